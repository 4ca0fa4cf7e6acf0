package dosim

import (
	"fmt"
	"time"
)

// The demo's extras (Config.DemoExtras): the droplets the audit and the pool features
// need, kept apart from the 48 that other packages' tests count.

// petSeed is a droplet built by hand from a public distribution image and kept ever
// since: never replaced, backed up daily.
type petSeed struct {
	name, region, size, image string
	days                      int // age
	tags                      []string
}

var demoPets = []petSeed{
	{"bastion-nyc3", "nyc3", "s-1vcpu-2gb", "ubuntu-22-04-x64", 430, []string{"role:bastion", "env:prod"}},
	{"metrics-fra1", "fra1", "s-2vcpu-4gb", "debian-12-x64", 190, []string{"role:metrics", "env:prod"}},
}

// apiPool is the demo's autoscale pool: four members on api-1.0.0 while api-1.1.0,
// built since, waits for someone to update the template.
var apiPool = struct {
	name, region, size string
	members, poolDays  int
	versions           []string
	ages               []int
}{"api", "nyc3", "c-2", 4, 60, []string{"1.0.0", "1.1.0"}, []int{64, 6}}

// seedExtras adds the pets and the pool, and returns their history.
func seedExtras(w *world, base time.Time) []historyEvent {
	var events []historyEvent
	for _, p := range demoPets {
		events = append(events, seedPet(w, base, p)...)
	}
	return append(events, seedPool(w, base)...)
}

func seedPet(w *world, base time.Time, p petSeed) []historyEvent {
	var im *Image
	for _, x := range w.Images {
		if x.Slug == p.image {
			im = x
		}
	}
	created := base.AddDate(0, 0, -p.days).Add(10*time.Hour + 41*time.Minute)
	d := seedDroplet(w, p.name, p.region, p.size, im.ID, created, p.tags)
	d.Monitoring, d.Backups = true, true
	d.BackupPolicy = &BackupPolicy{Plan: "daily", Hour: 4}
	for day := keptBackups("daily"); day >= 1; day-- {
		w.takeBackup(d, base.AddDate(0, 0, -day).Add(5*time.Hour+12*time.Minute))
	}
	return []historyEvent{{at: created.Add(2 * time.Hour), typ: "enable_backups", d: d, took: 5 * time.Second,
		params: d.BackupPolicy.params()}}
}

// seedPool adds the api role's snapshots and the pool, made from the older one.
func seedPool(w *world, base time.Time) []historyEvent {
	var ims []*Image
	for i, v := range apiPool.versions {
		ims = append(ims, addSnapshot(w, "api-"+v, "api", []string{apiPool.region}, base.AddDate(0, 0, -apiPool.ages[i])))
	}
	created := base.AddDate(0, 0, -apiPool.poolDays).Add(14 * time.Hour)
	p := &Pool{ID: "a1c2e3f4-5b6d-4e8f-9a0b-1c2d3e4f5a6b", Name: apiPool.name, Config: PoolConfig{Target: apiPool.members},
		Template: PoolTemplate{Name: "api", Region: apiPool.region, Size: apiPool.size, Image: fmt.Sprint(ims[0].ID),
			ImageID: ims[0].ID, SSHKeys: []string{fmt.Sprint(seededKeys[1].id)}, Tags: []string{"role:api", "env:prod"},
			WithDropletAgent: true, PublicNetworking: true},
		CreatedAt: created, UpdatedAt: created, Status: "active", Members: []int{}}
	for i := range apiPool.members {
		name := fmt.Sprintf("api-%06x", (w.NextID+1)*2654435761&0xffffff) // as a pool names its members
		d := seedDroplet(w, name, apiPool.region, apiPool.size, ims[0].ID, created.Add(time.Duration(i)*time.Second), p.Template.Tags)
		d.Monitoring, d.Pool, d.PoolTemplate = true, p.ID, templateKey(p.Template)
		p.Members = append(p.Members, d.ID)
	}
	done := created.Add(provisionTook + 10*time.Second)
	p.History = []PoolEvent{{ID: historyID(created, 0), Current: 0, Desired: apiPool.members, Reason: "SCALE_UP",
		Status: "success", CreatedAt: created, UpdatedAt: done}}
	p.NextChange = done.Add(fixedCooldown * time.Minute)
	w.Pools[p.ID] = p
	return nil
}
