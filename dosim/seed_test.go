package dosim

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

func demoWorld(t *testing.T, now time.Time) *world {
	t.Helper()
	w, err := buildSeed(withDefaults(Config{Now: func() time.Time { return now }}), []int{42})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestDemoSeedDeterministic(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	a, b := demoWorld(t, now), demoWorld(t, now)
	line := func(w *world, d *Droplet) string {
		return fmt.Sprintf("%d %s %s %s %d %v %s %s", d.ID, d.Name, d.Region, d.Size, d.ImageID, d.Tags, d.CreatedAt, d.Status)
	}
	da, db := a.sortedDroplets(nil), b.sortedDroplets(nil)
	if len(da) != len(db) {
		t.Fatalf("%d droplets, then %d", len(da), len(db))
	}
	for i := range da {
		if line(a, da[i]) != line(b, db[i]) {
			t.Errorf("droplet %d: %s, then %s", i, line(a, da[i]), line(b, db[i]))
		}
	}
	if len(da) < 40 || len(da) > 60 {
		t.Errorf("the demo has %d droplets, want about 50", len(da))
	}
	if c := demoWorld(t, now.Add(24*time.Hour)); c.Droplets[da[0].ID].CreatedAt.Equal(da[0].CreatedAt) {
		t.Errorf("the demo's dates do not follow Config.Now")
	}
}

func TestDemoSeedShape(t *testing.T) {
	w := demoWorld(t, time.Now())
	byRole := map[string]int{}
	envs := map[string]int{}
	for _, d := range w.Droplets {
		var role, env string
		for _, tag := range d.Tags {
			if r, ok := strings.CutPrefix(tag, "role:"); ok {
				role = r
			}
			if e, ok := strings.CutPrefix(tag, "env:"); ok {
				env = e
			}
		}
		byRole[role]++
		envs[env]++
		im := w.Images[d.ImageID]
		if im == nil || !strings.HasPrefix(im.Name, role+"-") || im.Unhealthy || d.Status != "active" {
			t.Errorf("droplet %s (role %q) runs image %v", d.Name, role, im)
		}
	}
	if len(byRole) != 3 || byRole["web"] == 0 || byRole["worker"] == 0 || byRole["edge"] == 0 {
		t.Errorf("droplets by role: %v", byRole)
	}
	if len(envs) != 2 || envs["prod"] == 0 || envs["staging"] == 0 {
		t.Errorf("droplets by env: %v", envs)
	}
	semver := regexp.MustCompile(`^(web|worker|edge)-(\d+\.\d+\.\d+)(-broken)?$`)
	versions := map[string][]*Image{}
	broken := map[string]int{}
	for _, im := range w.Images {
		if im.Type != "snapshot" {
			continue
		}
		m := semver.FindStringSubmatch(im.Name)
		if m == nil {
			t.Errorf("snapshot %q is not named <role>-<semver>", im.Name)
			continue
		}
		if m[3] != "" {
			broken[m[1]]++
			if !im.Unhealthy {
				t.Errorf("%s is not marked unhealthy", im.Name)
			}
			continue
		}
		versions[m[1]] = append(versions[m[1]], im)
	}
	for _, role := range []string{"web", "worker", "edge"} {
		list := versions[role]
		if len(list) < 3 || len(list) > 4 || broken[role] != 1 {
			t.Errorf("%s: %d versions, %d broken", role, len(list), broken[role])
		}
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		for i := 1; i < len(list); i++ {
			if !list[i].CreatedAt.After(list[i-1].CreatedAt) || list[i].Name <= list[i-1].Name {
				t.Errorf("%s: %s (%s) does not follow %s (%s)", role, list[i].Name, list[i].CreatedAt, list[i-1].Name, list[i-1].CreatedAt)
			}
		}
	}
}

func TestAllocIPsStayInDropletRange(t *testing.T) {
	w := newWorld([]int{33, 34})
	seen := map[string]bool{}
	for i := range 2 * hostsPerNet {
		pub, priv := w.allocIPs()
		ip := net.ParseIP(pub).To4()
		wantNet := byte(33 + i/hostsPerNet)
		if seen[pub] || seen[priv] || ip[0] != 127 || ip[1] != wantNet || ip[2] >= dropletNets || ip[3] == 0 || ip[3] == 255 {
			t.Fatalf("address %d: %s, %s (repeated: %v)", i, pub, priv, seen[pub])
		}
		seen[pub], seen[priv] = true, true
	}
	if pub, _ := w.allocIPs(); pub != "127.33.0.1" {
		t.Errorf("after both networks are used up the addresses wrap to 127.33.0.1, got %s", pub)
	}
}

func TestNetsFor(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want int
	}{
		{Config{Seed: "demo"}, 1},
		{Config{Seed: "scale", Droplets: 10000}, 1},
		{Config{Seed: "scale", Droplets: hostsPerNet - headroomNets}, 1},
		{Config{Seed: "scale", Droplets: 50000}, 1},
		{Config{Seed: "scale", Droplets: 100000}, 2},
		{Config{Seed: "scale", Droplets: MaxDroplets}, 16},
	} {
		if got := netsFor(c.cfg); got != c.want {
			t.Errorf("%s seed of %d droplets: %d networks, want %d", c.cfg.Seed, c.cfg.Droplets, got, c.want)
		}
	}
}

// TestClaimNets stands in for a simulator of another process holding the /16 this
// process would pick next: the claim must skip it.
func TestClaimNets(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := probe.Addr().(*net.TCPAddr).Port
	probe.Close()
	nextNet16() // make sure the sequence has started
	upcoming := int((net16Next.Load()+1-2)%net16Count) + net16Min
	foreign, err := net.Listen("tcp", claimAddr(upcoming, port))
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close()
	nets, lns := claimNets(port, 2)
	defer closeAll(lns)
	if len(lns) != 2 || len(nets) != 2 || nets[0] == upcoming || nets[1] == upcoming || nets[0] == nets[1] {
		t.Fatalf("claimed %v (%d listeners) while another simulator holds 127.%d.0.0/16", nets, len(lns), upcoming)
	}
	more, lns2 := claimNets(port, 1)
	defer closeAll(lns2)
	if len(lns2) != 1 || more[0] == nets[0] || more[0] == nets[1] {
		t.Errorf("a second claim got %v after %v", more, nets)
	}
	if none, lns3 := claimNets(-1, 1); len(lns3) != 0 || none[0] < net16Min || none[0] >= net16Min+net16Count {
		t.Errorf("without health listeners: %v, %d listeners", none, len(lns3))
	}
}

func TestRateWindows(t *testing.T) {
	l := newRateLimiter(3, 5)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 3 {
		if r := l.take(t0.Add(time.Duration(i) * time.Second)); !r.ok || r.remaining != 5-(i+1) {
			t.Fatalf("request %d: %+v", i+1, r)
		}
	}
	r := l.take(t0.Add(10 * time.Second))
	if r.ok || r.remaining != 0 || r.retryAfter != 50 {
		t.Errorf("over the burst limit: %+v, want refused, remaining 0, retry after 50s", r)
	}
	if r.reset != t0.Add(time.Hour).Unix() {
		t.Errorf("reset %d, want when the first request expires (%d)", r.reset, t0.Add(time.Hour).Unix())
	}
	if r := l.peek(t0.Add(10 * time.Second)); !r.ok || r.remaining != 2 {
		t.Errorf("peek after a refusal: %+v", r)
	}
	for i := range 2 {
		if r := l.take(t0.Add(time.Minute + time.Duration(i)*time.Second)); !r.ok {
			t.Fatalf("request %d after the minute: %+v", i+4, r)
		}
	}
	r = l.take(t0.Add(2 * time.Minute))
	if r.ok || r.retryAfter != 0 || r.remaining != 0 {
		t.Errorf("over the hourly limit: %+v, want refused without retry-after", r)
	}
	if r := l.take(t0.Add(time.Hour)); !r.ok || r.remaining != 0 || r.reset != t0.Add(time.Hour+time.Second).Unix() {
		t.Errorf("an hour after the first request: %+v", r)
	}
}

func demoWorldWith(t *testing.T, now time.Time, extras bool) *world {
	t.Helper()
	w, err := buildSeed(withDefaults(Config{Now: func() time.Time { return now }, DemoExtras: extras}), []int{42})
	if err != nil {
		t.Fatal(err)
	}
	w.reindex()
	return w
}

// TestSeedHistory pins the past of the seeded worlds: each droplet's create at its
// created_at, actions numbered in the order they happened, and the demo's hand changes.
func TestSeedHistory(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	for _, seed := range []string{"demo", "scale"} {
		w, err := buildSeed(withDefaults(Config{Seed: seed, Droplets: 500, Now: func() time.Time { return now }}), []int{42})
		if err != nil {
			t.Fatal(err)
		}
		w.reindex()
		for _, d := range w.Droplets {
			creates := 0
			for _, a := range w.actionsOn(dropletKey(d.ID)) {
				if a.Type == "create" {
					creates++
					if !a.StartedAt.Equal(d.CreatedAt) || a.Status != "completed" || a.CompletedAt == nil || a.ID != d.CreateAction {
						t.Errorf("%s %s: create action %+v", seed, d.Name, a)
					}
				}
			}
			if creates != 1 {
				t.Errorf("%s %s: %d create actions", seed, d.Name, creates)
			}
		}
		order := w.actions.order
		for i := 1; i < len(order); i++ {
			if order[i].StartedAt.Before(order[i-1].StartedAt) || !order[i].StartedAt.Before(now) {
				t.Errorf("%s: action %d (%s) starts before the one numbered before it, or in the future", seed, order[i].ID, order[i].StartedAt)
			}
		}
	}
}

func TestDemoHandChanges(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	w := demoWorldWith(t, now, false)
	changed := map[string][]string{}
	for _, a := range w.actions.order {
		if d, ok := w.Droplets[a.ResourceID]; ok && a.Type != "create" {
			changed[d.Name] = append(changed[d.Name], a.Type)
			if !a.StartedAt.After(d.CreatedAt) || !a.CompletedAt.Before(now) {
				t.Errorf("%s on %s at %s: not between its creation and now", a.Type, d.Name, a.StartedAt)
			}
		}
	}
	want := map[string]string{
		"worker-nyc3-02": "power_off resize power_on",
		"edge-fra1-01":   "password_reset",
		"web-nyc3-03":    "rebuild",
		"web-fra1-02":    "change_kernel",
	}
	if len(changed) != len(want) {
		t.Errorf("changed by hand: %v, want %v", changed, want)
	}
	for name, types := range want {
		if got := strings.Join(changed[name], " "); got != types {
			t.Errorf("%s: %q, want %q", name, got, types)
		}
	}
	for _, d := range w.Droplets {
		switch d.Name {
		case "worker-nyc3-02":
			if d.Size != "s-4vcpu-8gb" {
				t.Errorf("the resized worker ended at %s, not its role's size", d.Size)
			}
		case "web-fra1-02":
			if d.Kernel == nil {
				t.Errorf("the droplet whose kernel was changed has an internal kernel")
			}
		}
	}
}

// TestDemoExtras pins the pets and the pool, and that without DemoExtras the demo is the
// 48 droplets other packages count.
func TestDemoExtras(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	plain, full := demoWorldWith(t, now, false), demoWorldWith(t, now, true)
	if len(plain.Droplets) != 48 || len(plain.Pools) != 0 || len(full.Droplets) != 48+len(demoPets)+apiPool.members {
		t.Fatalf("droplets: %d without extras, %d with", len(plain.Droplets), len(full.Droplets))
	}
	for id, d := range plain.Droplets {
		if e := full.Droplets[id]; e == nil || e.Name != d.Name || e.ImageID != d.ImageID || e.PublicIP != d.PublicIP {
			t.Errorf("the extras reshuffled droplet %d: %+v", id, e)
		}
	}
	pets := 0
	for _, d := range full.Droplets {
		im := full.Images[d.ImageID]
		if !im.Public {
			continue
		}
		pets++
		if im.Type != "base" || !d.Backups || len(d.BackupIDs) != 7 || now.Sub(d.CreatedAt) < 180*24*time.Hour {
			t.Errorf("pet %s: image %s (%s), backups %v %v, created %s", d.Name, im.Name, im.Type, d.Backups, d.BackupIDs, d.CreatedAt)
		}
		for _, a := range full.actionsOn(dropletKey(d.ID)) {
			if a.Type != "create" && a.Type != "enable_backups" {
				t.Errorf("pet %s was changed: %s", d.Name, a.Type)
			}
		}
	}
	if pets != len(demoPets) {
		t.Errorf("%d droplets run distribution images, want the %d pets", pets, len(demoPets))
	}
	if len(full.Pools) != 1 {
		t.Fatalf("%d pools", len(full.Pools))
	}
	for _, p := range full.Pools {
		tmpl := full.Images[p.Template.ImageID]
		if p.Name != "api" || p.Config.Target != 4 || len(p.Members) != 4 || tmpl.Name != "api-1.0.0" || len(p.History) != 1 {
			t.Errorf("pool: %+v on %s", p, tmpl.Name)
		}
		for _, id := range p.Members {
			if d := full.Droplets[id]; d.ImageID != tmpl.ID || !hasString(d.Tags, "role:api") || d.Pool != p.ID {
				t.Errorf("member %s: image %d, tags %v", d.Name, d.ImageID, d.Tags)
			}
		}
	}
	newer := 0
	for _, im := range full.Images {
		if im.Name == "api-1.1.0" {
			newer++
		}
	}
	if newer != 1 {
		t.Errorf("the newer api image the template lags behind is missing")
	}
}
