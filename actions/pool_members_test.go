package actions

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/fleet"
)

// A droplet rollout whose selection holds the api pool's members and one plain api
// droplet replaces the plain one and leaves the members to their pool, whatever the
// caller knew of pools.
func TestDropletRolloutLeavesPoolMembersOut(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{DemoExtras: true})
	ctx := context.Background()
	from, to := image(t, env.Client, "api-1.0.0"), image(t, env.Client, "api-1.1.0")
	plain, _, err := env.Client.Droplets.Create(ctx, &godo.DropletCreateRequest{Name: "api-by-hand", Region: "nyc3", Size: "c-2",
		Image: godo.DropletCreateImage{ID: from.ImageID}, Tags: []string{"role:api", "env:prod"}})
	if err != nil {
		t.Fatal(err)
	}
	members := poolMembers(t, env.Client)
	var selected []fleet.Server
	waitCond(t, "the plain droplet to turn active", func() bool {
		selected = slicesOnly(servers(t, env.Client, "role:api"), "active")
		return len(selected) == 5
	})
	st := testStrategy(env, 2)
	in, err := Gather(ctx, env.Client, "tag role:api", selected, to, st)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Replacements(); len(r) != 1 || r[0].Old.ID != plain.ID {
		t.Fatalf("the plan replaces %v, want only the plain droplet", r)
	}
	if len(p.Skipped) != 4 {
		t.Fatalf("%d skipped, want the 4 members", len(p.Skipped))
	}
	for _, s := range p.Skipped {
		if !members[s.Server.ID] || s.Reason != "member of pool api: roll the pool instead" {
			t.Errorf("skipped %s: %q", s.Server.Name, s.Reason)
		}
	}
	if _, err := apply(t, env.Client, p, testOptions(t)); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, env.Client)
	if got := after.count(to.ImageID, "role:api"); got != 1 {
		t.Errorf("%d api droplets on %s, want the plain one's replacement", got, to.Name)
	}
	for id := range members {
		if d, ok := after.byID[id]; !ok || d.Image.ID != from.ImageID || withMolt(d) {
			t.Errorf("member %d was touched: %+v", id, d)
		}
	}
	if now := poolMembers(t, env.Client); len(now) != 4 {
		t.Errorf("the pool has %d members, want its 4", len(now))
	}
}

// waitCond polls cond until it holds, failing t after 20 seconds.
func waitCond(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("ended waiting for %s", what)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// poolMembers is the demo pool's members.
func poolMembers(t *testing.T, c *godo.Client) map[int]bool {
	t.Helper()
	pools, err := fleet.ReadPools(context.Background(), c)
	if err != nil || len(pools) != 1 {
		t.Fatalf("pools: %v (%d)", err, len(pools))
	}
	out := map[int]bool{}
	for _, m := range pools[0].Members {
		out[m.DropletID] = true
	}
	return out
}

// slicesOnly keeps the servers in status.
func slicesOnly(list []fleet.Server, status string) []fleet.Server {
	var out []fleet.Server
	for _, s := range list {
		if strings.EqualFold(s.Status, status) {
			out = append(out, s)
		}
	}
	return out
}
