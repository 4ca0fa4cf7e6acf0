package fleet_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// demoWithPool is the demo with its extras, the api pool of four members on api-1.0.0,
// whose minutes last minute.
func demoWithPool(t *testing.T, minute time.Duration) *dosimtest.Env {
	t.Helper()
	return dosimtest.Start(t, dosim.Config{DemoExtras: true, HealthPort: -1, PoolMinute: minute})
}

// retemplate points pool's template at image, keeping the rest as godo can send it.
func retemplate(t *testing.T, c *godo.Client, p fleet.Pool, image int) {
	t.Helper()
	dp, _, err := c.DropletAutoscale.Get(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := *dp.DropletTemplate
	tmpl.Image = godoImage(image)
	if _, _, err := c.DropletAutoscale.Update(t.Context(), p.ID, &godo.DropletAutoscalePoolRequest{Name: dp.Name,
		Config: dp.Config, DropletTemplate: &tmpl}); err != nil {
		t.Fatal(err)
	}
}

func godoImage(id int) string { return strconv.Itoa(id) }

func TestReadPoolsMarksMembersAndCountsThemByImage(t *testing.T) {
	t.Parallel()
	env := demoWithPool(t, time.Hour) // the pool takes its time: the census is of the members read
	ctx := t.Context()
	pools, err := fleet.ReadPools(ctx, env.Client)
	if err != nil || len(pools) != 1 {
		t.Fatalf("pools: %v, %d", err, len(pools))
	}
	p := pools[0]
	if p.Name != "api" || !p.Fixed() || p.Desired() != 4 || p.CooldownMinutes() != 10 || p.SizeText() != "fixed 4" ||
		p.Region != "nyc3" || p.Size != "c-2" || p.TemplateName() != "api-1.0.0" || len(p.Members) != 4 {
		t.Fatalf("pool: %+v", p)
	}
	servers, err := fleet.Load(ctx, env.Client, fleet.LoadOptions{Pools: true})
	if err != nil {
		t.Fatal(err)
	}
	marked := slices.DeleteFunc(slices.Clone(servers), func(s fleet.Server) bool { return s.Pool == "" })
	if len(marked) != 4 {
		t.Fatalf("%d servers marked as pool members, want 4", len(marked))
	}
	for _, s := range marked {
		if s.Pool != "api" || s.PoolID != p.ID || !p.HasMember(s.ID) || !s.HasTag("role:api") {
			t.Errorf("member %s: pool %q (%s), tags %v", s.Name, s.Pool, s.PoolID, s.Tags)
		}
	}
	c := p.Census(servers)
	if len(c.Images) != 1 || !c.Images[0].Template || c.Images[0].Count != 4 || c.Behind != 0 || c.Unread != 0 {
		t.Errorf("census before: %+v", c)
	}
	newer := env.ImageID(t, "api-1.1.0")
	retemplate(t, env.Client, p, newer)
	if pools, err = fleet.ReadPools(ctx, env.Client); err != nil {
		t.Fatal(err)
	}
	c = pools[0].Census(servers)
	if len(c.Images) != 2 || c.Images[0].Image.Name != "api-1.1.0" || c.Images[0].Count != 0 || c.Images[1].Count != 4 || c.Behind != 4 {
		t.Errorf("census once the template is api-1.1.0: %+v", c)
	}
	if c := pools[0].Census(servers[:0]); c.Unread != len(pools[0].Members) {
		t.Errorf("census of no servers: %+v", c)
	}
}

// An inventory that reads pools marks a member the pool made since the last read.
func TestInventoryMarksNewPoolMembers(t *testing.T) {
	t.Parallel()
	env := demoWithPool(t, 2*time.Millisecond)
	ctx := t.Context()
	inv := fleet.NewInventory(env.Client, fleet.LoadOptions{Pools: true})
	if _, err := inv.Refresh(ctx, fleet.RefreshOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	pools := inv.Pools()
	if len(pools) != 1 {
		t.Fatalf("%d pools", len(pools))
	}
	newer := env.ImageID(t, "api-1.1.0")
	retemplate(t, env.Client, pools[0], newer)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, err := inv.Refresh(ctx, fleet.RefreshOptions{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(r.Servers, func(s fleet.Server) bool { return s.Image.ImageID == newer && s.Pool == "api" }) {
			if r.Full {
				t.Fatal("the member was found by a full read, not by the refresh")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the pool's new member never showed as a member")
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// A refresh with nothing changed reads the feed and the pools' list, not every pool's
// members; a droplet changed, or the pool changed, has them read again.
func TestRefreshKeepsPoolMembersWhenNothingChanged(t *testing.T) {
	t.Parallel()
	env := demoWithPool(t, time.Hour) // the pool changes nothing by itself meanwhile
	ctx := t.Context()
	inv := fleet.NewInventory(env.Client, fleet.LoadOptions{Pools: true})
	if _, err := inv.Refresh(ctx, fleet.RefreshOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	byRoute := func(f func()) map[string]int {
		before := env.Sim.Stats().ByRoute
		f()
		out := map[string]int{}
		for k, v := range env.Sim.Stats().ByRoute {
			if d := v - before[k]; d > 0 {
				out[k] = d
			}
		}
		return out
	}
	refresh := func() {
		if _, err := inv.Refresh(ctx, fleet.RefreshOptions{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	const members = "GET /v2/droplets/autoscale/{id}/members"
	if got := byRoute(refresh); len(got) != 2 || got[members] != 0 {
		t.Errorf("nothing changed: %v; want the feed and the pools' list", got)
	}
	servers, _ := inv.Snapshot()
	a, _, err := env.Client.DropletActions.PowerOff(ctx, servers[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := byRoute(refresh); got[members] != 1 {
		t.Errorf("a droplet changed: %v; want the pool's members read again", got)
	}
	waitAction(t, env.Client, a.ID)
	refresh() // reads the droplet whose action was under way
	if got := byRoute(refresh); got[members] != 0 {
		t.Fatalf("nothing changed since: %v; want no members read", got)
	}
	retemplate(t, env.Client, inv.Pools()[0], env.ImageID(t, "api-1.1.0"))
	if got := byRoute(refresh); got[members] != 1 {
		t.Errorf("the pool changed: %v; want its members read again", got)
	}
}
