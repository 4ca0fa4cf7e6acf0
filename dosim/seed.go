package dosim

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"time"
)

// roleSeed describes one role of the demo fleet.
type roleSeed struct {
	role     string
	size     string
	regions  []string
	versions []string
	ages     []int // image age in days, per version
	prod     []int // prod droplets per version
	staging  []int // staging droplets per version
	broken   string
	// missing lists regions where the newest image was not copied to.
	missing []string
}

var demoRoles = []roleSeed{
	{role: "web", size: "s-2vcpu-4gb", regions: []string{"nyc3", "fra1"},
		versions: []string{"1.3.0", "1.4.0", "1.5.0", "1.6.0"}, ages: []int{142, 88, 37, 2},
		prod: []int{2, 5, 11, 0}, staging: []int{0, 0, 1, 2}, broken: "1.6.0-broken"},
	{role: "worker", size: "s-4vcpu-8gb", regions: []string{"nyc3", "sfo3"},
		versions: []string{"2.0.0", "2.1.0", "2.2.0"}, ages: []int{120, 51, 9},
		prod: []int{3, 9, 2}, staging: []int{0, 0, 2}, broken: "2.2.0-broken"},
	{role: "edge", size: "s-1vcpu-2gb", regions: []string{"nyc3", "fra1", "sfo3"},
		versions: []string{"0.9.0", "1.0.0", "1.1.0", "1.2.0"}, ages: []int{201, 95, 30, 5},
		prod: []int{1, 3, 6, 0}, staging: []int{0, 0, 0, 1}, broken: "1.2.0-broken", missing: []string{"sfo3"}},
}

// buildSeed makes the initial world named by cfg.Seed.
func buildSeed(cfg Config, nets []int) (*world, error) {
	w := newWorld(nets)
	w.Account = newAccount(cfg.Team)
	seedKeys(w)
	base := cfg.Now().UTC().Truncate(time.Hour)
	switch cfg.Seed {
	case "demo":
		seedDemo(w, base)
		var extras []historyEvent
		if cfg.DemoExtras {
			extras = seedExtras(w, base)
		}
		events := append(createEvents(w), handChangeEvents(w, base)...)
		w.writeHistory(append(events, extras...))
		w.DropletLimit = len(w.Droplets) + 100
	case "scale":
		if cfg.Droplets < 0 {
			return nil, fmt.Errorf("the scale seed needs --droplets 0 or more, not %d", cfg.Droplets)
		}
		seedScale(w, base, cfg.Droplets)
		w.writeHistory(createEvents(w))
		w.DropletLimit = len(w.Droplets) + 100
	case "empty":
		seedImages(w, base)
		w.DropletLimit = 100
	default:
		return nil, fmt.Errorf("unknown seed %q (want demo, scale or empty)", cfg.Seed)
	}
	if cfg.DropletLimit > 0 {
		w.DropletLimit = cfg.DropletLimit
	}
	return w, nil
}

// seedImages adds the catalogue's distribution images and each role's snapshots; it
// returns the snapshots by role, oldest version first.
func seedImages(w *world, base time.Time) map[string][]*Image {
	seedDistributions(w, base)
	out := map[string][]*Image{}
	for _, rs := range demoRoles {
		for i, v := range rs.versions {
			regs := rs.regions
			if i == len(rs.versions)-1 && rs.missing != nil {
				regs = without(rs.regions, rs.missing)
			}
			im := addSnapshot(w, rs.role+"-"+v, rs.role, regs, base.AddDate(0, 0, -rs.ages[i]))
			out[rs.role] = append(out[rs.role], im)
		}
		// The broken image was built after the one before the newest, and is marked unhealthy.
		n := len(rs.versions)
		at := base.AddDate(0, 0, -(rs.ages[n-2]+rs.ages[n-1])/2)
		im := addSnapshot(w, rs.role+"-"+rs.broken, rs.role, rs.regions, at)
		im.Unhealthy = true
		im.Description = "Fails its health check: pick it to watch a rollback."
	}
	return out
}

// seededKeys are the SSH keys every world starts with; their IDs are the ones molt's
// tests and examples launch droplets with.
var seededKeys = []struct {
	id         int
	name, host string
}{{1234, "molt-ci", "ci"}, {12345, "molt-operator", "operator"}}

// seedKeys gives every world its SSH keys (a droplet create naming an unknown key is
// refused, as DigitalOcean refuses it).
func seedKeys(w *world) {
	for n, k := range seededKeys {
		blob := []byte("\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20")
		for i := range 32 {
			blob = append(blob, byte(7*i+3+n))
		}
		pub := "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob) + " " + k.host + "@molt.example"
		w.Keys[k.id] = &SSHKey{ID: k.id, Name: k.name, PublicKey: pub, Fingerprint: fingerprint(pub)}
	}
}

// seedDistributions adds the public distribution images. The first two take the first
// IDs of the world, as they always have (the demo's droplet and snapshot IDs follow
// them); the others have IDs of their own, as DigitalOcean's public images do.
func seedDistributions(w *world, base time.Time) {
	for _, ds := range distroList {
		id := ds.id
		if id == 0 {
			id = w.newID()
		}
		w.Images[id] = &Image{ID: id, Name: ds.name, Type: "base", Distro: ds.distro, Slug: ds.slug, Public: true,
			Regions: allRegionSlugs(), CreatedAt: base.AddDate(0, -ds.ageMonths, 0), MinDiskSize: 7, SizeGB: 2.1,
			Tags: []string{}, Status: "available"}
	}
}

func addSnapshot(w *world, name, role string, regs []string, at time.Time) *Image {
	im := &Image{ID: w.newID(), Name: name, Type: "snapshot", Distro: "Ubuntu", Regions: append([]string(nil), regs...),
		CreatedAt: at, MinDiskSize: 25, SizeGB: 3.4, Tags: []string{"role:" + role}, Status: "available"}
	w.Images[im.ID] = im
	w.addTag("role:" + role)
	return im
}

func without(list, drop []string) []string {
	var out []string
	for _, x := range list {
		if !hasString(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

func seedDemo(w *world, base time.Time) {
	rng := rand.New(rand.NewPCG(42, 7))
	images := seedImages(w, base)
	for _, rs := range demoRoles {
		seq := map[string]int{}
		for i, im := range images[rs.role] {
			for env, counts := range [][]int{rs.prod, rs.staging} {
				for range counts[i] {
					region := pickRegion(rs, im, seq)
					seq[region]++
					name := fmt.Sprintf("%s-%s-%02d", rs.role, region, seq[region])
					envTag := []string{"env:prod", "env:staging"}[env]
					if env == 1 {
						name = fmt.Sprintf("%s-stg-%s-%02d", rs.role, region, seq[region])
					}
					created := im.CreatedAt.Add(time.Duration(rng.IntN(72)+1) * time.Hour)
					d := seedDroplet(w, name, region, rs.size, im.ID, created, []string{"role:" + rs.role, envTag})
					d.Monitoring = rs.role != "edge"
					d.IPv6 = rs.role == "edge"
				}
			}
		}
	}
	seedNetworking(w, base)
}

// pickRegion spreads a role's droplets over its regions, keeping to the image's regions.
func pickRegion(rs roleSeed, im *Image, seq map[string]int) string {
	best := ""
	for _, r := range rs.regions {
		if hasString(im.Regions, r) && (best == "" || seq[r] < seq[best]) {
			best = r
		}
	}
	return best
}

func seedDroplet(w *world, name, region, size string, imageID int, created time.Time, tags []string) *Droplet {
	pub, priv := w.allocIPs()
	d := &Droplet{ID: w.newID(), Name: name, Region: region, Size: size, ImageID: imageID, Status: "active",
		CreatedAt: created, ReadyAt: created, Tags: tags, PublicIP: pub, PrivateIP: priv, VPCUUID: w.defaultVPCFor(region, created).ID}
	w.putDroplet(d)
	for _, t := range tags {
		w.addTag(t)
	}
	return d
}

// seedNetworking adds the demo's load balancers, reserved IPs and volumes.
func seedNetworking(w *world, base time.Time) {
	for i, region := range []string{"nyc3", "fra1"} {
		lb := &LoadBalancer{ID: fmt.Sprintf("4de7ac8b-495b-4884-9a69-1050c6793c%02d", i), Name: "web-" + region,
			IP: w.infraIP(250, 10+i), Region: region, CreatedAt: base.AddDate(-1, 0, 0), VPCUUID: defaultVPC(region)}
		for _, d := range w.sortedDroplets(func(d *Droplet) bool { return d.Region == region && hasString(d.Tags, "role:web") }) {
			lb.DropletIDs = append(lb.DropletIDs, d.ID)
		}
		w.LoadBalancers[lb.ID] = lb
	}
	w.LoadBalancers["4de7ac8b-495b-4884-9a69-1050c6793c10"] = &LoadBalancer{ID: "4de7ac8b-495b-4884-9a69-1050c6793c10",
		Name: "workers-nyc3", IP: w.infraIP(250, 20), Region: "nyc3", Tag: "role:worker",
		DropletIDs: []int{}, CreatedAt: base.AddDate(-1, 0, 0), VPCUUID: defaultVPC("nyc3")}
	edges := w.sortedDroplets(func(d *Droplet) bool { return hasString(d.Tags, "role:edge") && hasString(d.Tags, "env:prod") })
	seen := map[string]bool{}
	n := 0
	for _, d := range edges {
		if seen[d.Region] {
			continue
		}
		seen[d.Region] = true
		n++
		ip := w.infraIP(251, n)
		w.ReservedIPs[ip] = &ReservedIP{IP: ip, Region: d.Region, DropletID: d.ID}
	}
	spare := w.infraIP(251, n+1)
	w.ReservedIPs[spare] = &ReservedIP{IP: spare, Region: "nyc3"}
	workers := w.sortedDroplets(func(d *Droplet) bool { return hasString(d.Tags, "role:worker") && hasString(d.Tags, "env:prod") })
	for i := range 4 {
		v := &Volume{ID: fmt.Sprintf("506f78a4-e098-11e5-ad9f-000f53306a%02d", i), Name: fmt.Sprintf("worker-data-%d", i+1),
			Region: "nyc3", SizeGB: 100, DropletIDs: []int{}, CreatedAt: base.AddDate(0, -3, 0), Tags: []string{"role:worker"}}
		if i < 3 && i < len(workers) {
			d := workers[i]
			v.Region = d.Region
			v.DropletIDs = []int{d.ID}
			d.VolumeIDs = append(d.VolumeIDs, v.ID)
		}
		w.Volumes[v.ID] = v
	}
}

// seedScale spreads n droplets over the demo's roles, versions and regions.
func seedScale(w *world, base time.Time, n int) {
	images := seedImages(w, base)
	for i := range n {
		rs := demoRoles[i%len(demoRoles)]
		ims := images[rs.role]
		// Weighted towards the middle versions: most servers lag one release behind.
		v := []int{0, 1, 1, 2, 2, 2, 1, 2}[(i/len(demoRoles))%8] % len(ims)
		im := ims[v]
		region := im.Regions[(i/7)%len(im.Regions)]
		created := im.CreatedAt.Add(time.Duration(i%72+1) * time.Hour)
		seedDroplet(w, fmt.Sprintf("%s-%05d", rs.role, i), region, rs.size, im.ID, created, []string{"role:" + rs.role, "env:prod"})
	}
}
