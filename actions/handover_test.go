package actions

import (
	"context"
	"slices"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
)

// reservedIPs maps each reserved IP to the name of the droplet it points at.
func reservedIPs(t *testing.T, c *godo.Client) map[string]string {
	t.Helper()
	ips, _, err := c.ReservedIPs.List(context.Background(), &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, ip := range ips {
		if ip.Droplet != nil {
			d, _, err := c.Droplets.Get(context.Background(), ip.Droplet.ID)
			if err != nil {
				t.Fatalf("reserved IP %s points at droplet %d: %v", ip.IP, ip.Droplet.ID, err)
			}
			out[ip.IP] = d.Name + "@" + d.Image.Name
		}
	}
	return out
}

func rollback(t *testing.T, c *godo.Client, path string, opt Options) *Executor {
	t.Helper()
	e, err := Rollback(c, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	mustErr(t, run(t, e), ErrRolledBack)
	return e
}

func TestReservedIPHandoverAndHandBack(t *testing.T) {
	env := startSim(t, dosim.Config{})
	before := snapshot(t, env.Client)
	ipsBefore := reservedIPs(t, env.Client)
	p := plan(t, env.Client, "edge-1.1.0", testStrategy(env, 2), "role:edge", "env:prod")
	moved := 0
	for _, r := range p.Replacements() {
		if r.ReservedIP != "" {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("the plan moves no reserved IP")
	}
	opt := testOptions(t)
	e, err := apply(t, env.Client, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	ipsAfter := reservedIPs(t, env.Client)
	for _, r := range p.Replacements() {
		if ip := r.ReservedIP; ip != "" && ipsAfter[ip] != r.Old.Name+"@edge-1.1.0" {
			t.Errorf("reserved IP %s points at %s, want the new %s", ip, ipsAfter[ip], r.Old.Name)
		}
	}
	rollback(t, env.Client, e.JournalPath(), opt)
	if got := reservedIPs(t, env.Client); !mapsEqual(got, ipsBefore) {
		t.Errorf("after the rollback reserved IPs point at %v, want %v", got, ipsBefore)
	}
	sameFleet(t, env.Client, before, p)
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestKeepThenFastRollback(t *testing.T) {
	for _, tc := range []struct{ role, target string }{{"web", "web-1.6.0"}, {"worker", "worker-2.2.0"}} {
		t.Run(tc.role, func(t *testing.T) {
			env := startSim(t, dosim.Config{})
			before := snapshot(t, env.Client)
			st := testStrategy(env, 4)
			st.Retire, _ = ParseRetire("keep=24h")
			p := plan(t, env.Client, tc.target, st, "role:"+tc.role, "env:prod")
			opt := testOptions(t)
			e, err := apply(t, env.Client, p, opt)
			if err != nil {
				t.Fatal(err)
			}
			mid := snapshot(t, env.Client)
			for _, r := range p.Replacements() {
				old := mid.byID[r.Old.ID]
				if old.Status != "off" || (len(r.TagLBs) > 0 && slices.Contains(old.Tags, r.TagLBs[0])) {
					t.Errorf("kept %s is %s with tags %v; want off and out of tag load balancers", old.Name, old.Status, old.Tags)
				}
			}
			created := env.Sim.Stats().DropletsCreated
			rollback(t, env.Client, e.JournalPath(), opt)
			if n := env.Sim.Stats().DropletsCreated - created; n != 0 {
				t.Errorf("the rollback created %d droplets; the fast path creates none", n)
			}
			after := snapshot(t, env.Client)
			for _, r := range p.Replacements() {
				if d := after.byID[r.Old.ID]; d.Status != "active" || !hasAll(d.Tags, r.Old.Tags) {
					t.Errorf("%s is %s with tags %v after the rollback", r.Old.Name, d.Status, d.Tags)
				}
			}
			sameFleet(t, env.Client, before, p)
		})
	}
}
