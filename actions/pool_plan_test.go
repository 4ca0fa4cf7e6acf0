package actions

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/fleet"
)

// poolInput is a fixed pool of three members on app-1.0.0 in nyc3, to be rolled onto
// app-1.1.0.
func poolInput() PoolPlanInput {
	from := fleet.Version{ImageID: 10, Name: "app-1.0.0", Regions: []string{"nyc3"}, Status: "available"}
	to := fleet.Version{ImageID: 11, Name: "app-1.1.0", Regions: []string{"nyc3"}, Status: "available", MinDiskSize: 25}
	in := PoolPlanInput{Pool: fleet.Pool{ID: "p1", Name: "app", Status: "active", Region: "nyc3", Size: "c-2", TemplateImage: "10",
		Template: from, Tags: []string{"role:app"}, Config: fleet.PoolConfig{Target: 3}}, FromRef: "10", Target: to,
		Strategy: DefaultStrategy(), Now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), Minute: time.Minute}
	for id := 1; id <= 3; id++ {
		in.Pool.Members = append(in.Pool.Members, fleet.PoolMember{DropletID: id, Status: "active"})
		in.Servers = append(in.Servers, fleet.Server{ID: id, Name: "app-" + string(rune('a'+id)), Image: from, Disk: 25, Tags: []string{"role:app"}})
	}
	return in
}

func TestNewPoolPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		change  func(*PoolPlanInput)
		err     string // a refusal, or ""
		check   func(*testing.T, PoolPlan)
		warning string
	}{
		{name: "three members, 21 minutes each, the last cooldown not waited", check: func(t *testing.T, p PoolPlan) {
			if p.Replaced != 3 || p.Estimate.Duration.D() != 53*time.Minute || p.Estimate.PerMember.D() != 21*time.Minute || len(p.Warnings) != 0 {
				t.Errorf("plan: %d replaced, %s (%s a member), warnings %q", p.Replaced, p.Estimate.Duration, p.Estimate.PerMember, p.Warnings)
			}
		}},
		{name: "the cooldown after the last change is waited first", change: func(in *PoolPlanInput) {
			in.LastChange = in.Now.Add(-4 * time.Minute)
		}, check: func(t *testing.T, p PoolPlan) {
			if p.Estimate.Wait.D() != 6*time.Minute || p.Estimate.Duration.D() != 59*time.Minute {
				t.Errorf("wait %s, duration %s", p.Estimate.Wait, p.Estimate.Duration)
			}
		}},
		{name: "an autoscaling pool's own cooldown", change: func(in *PoolPlanInput) {
			in.Pool.Config = fleet.PoolConfig{Min: 2, Max: 6, Cooldown: 5}
		}, check: func(t *testing.T, p PoolPlan) {
			if p.Estimate.PerMember.D() != 11*time.Minute || p.Pool.Desired != 3 {
				t.Errorf("%s a member, desired %d", p.Estimate.PerMember, p.Pool.Desired)
			}
		}},
		{name: "the template on the target already", change: func(in *PoolPlanInput) {
			in.Target = in.Pool.Template
		}, check: func(t *testing.T, p PoolPlan) {
			if p.Replaced != 0 {
				t.Errorf("%d replaced, want none", p.Replaced)
			}
		}},
		{name: "a pool being deleted", change: func(in *PoolPlanInput) { in.Pool.Status = "deleting" }, err: "pool app is deleting"},
		{name: "a pool changing", change: func(in *PoolPlanInput) { in.Changing = "scale up in progress" }, err: "changing its members already"},
		{name: "members behind the template", change: func(in *PoolPlanInput) {
			in.Servers[0].Image = fleet.Version{ImageID: 9, Name: "app-0.9.0"}
		}, err: "replacing 1 members behind its template"},
		{name: "an image not in the pool's region", change: func(in *PoolPlanInput) { in.Target.Regions = []string{"fra1"} }, err: "not available in nyc3"},
		{name: "an image too big for the size", change: func(in *PoolPlanInput) { in.Target.MinDiskSize = 50 }, err: "needs a 50 GB disk"},
		{name: "a downgrade is a guard", change: func(in *PoolPlanInput) {
			in.Target = fleet.Version{ImageID: 9, Name: "app-0.9.0", Regions: []string{"nyc3"}, Status: "available"}
		}, check: func(t *testing.T, p PoolPlan) {
			if len(p.Guards) != 1 || p.Guards[0].Kind != GuardDowngrade || len(p.Guards[0].Servers) != 3 || p.Refusal() == nil {
				t.Errorf("guards %+v", p.Guards)
			}
		}},
		{name: "another role's image is a guard the strategy can allow", change: func(in *PoolPlanInput) {
			in.Target = fleet.Version{ImageID: 20, Name: "web-1.6.0", Regions: []string{"nyc3"}, Status: "available"}
			in.Strategy.AllowOtherRole = true
		}, check: func(t *testing.T, p PoolPlan) {
			if len(p.Guards) != 1 || p.Guards[0].Kind != GuardOtherRole || p.Refusal() != nil {
				t.Errorf("guards %+v, refusal %v", p.Guards, p.Refusal())
			}
		}},
		{name: "a health check longer than the cooldown", change: func(in *PoolPlanInput) {
			in.Strategy.Health.Timeout = Duration(15 * time.Minute)
		}, warning: "the pool retires an old member 10m after its replacement appears"},
		{name: "no health check", change: func(in *PoolPlanInput) { in.Strategy.Health.Kind = HealthNone }, warning: "no health check"},
		{name: "a balancer by ID", change: func(in *PoolPlanInput) {
			in.LBs = []LB{{ID: "lb1", Name: "app-lb", Region: "nyc3", DropletIDs: []int{2, 99}}, {ID: "lb2", Name: "other", DropletIDs: []int{99}}}
		}, warning: "load balancer app-lb lists members of pool app by droplet ID"},
		{name: "a balancer by the template's tag", change: func(in *PoolPlanInput) {
			in.LBs = []LB{{ID: "lb1", Name: "app-tag", Region: "nyc3", Tag: "role:app"}, {ID: "lb2", Name: "fra", Region: "fra1", Tag: "role:app"}}
		}, warning: "load balancer app-tag follows the pool by its tag role:app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := poolInput()
			if tt.change != nil {
				tt.change(&in)
			}
			p, err := NewPoolPlan(in)
			switch {
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one saying %q", err, tt.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
			if tt.warning != "" && (len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], tt.warning)) {
				t.Errorf("warnings %q, want one saying %q", p.Warnings, tt.warning)
			}
		})
	}
}

func TestNewPoolPlanRefusesALockedPool(t *testing.T) {
	t.Parallel()
	in := poolInput()
	in.Servers[1].Tags = append(in.Servers[1].Tags, RolloutTag("20260101-000000-abcd"))
	_, err := NewPoolPlan(in)
	var le *LockedError
	if !errors.As(err, &le) || le.Rollout != "20260101-000000-abcd" {
		t.Errorf("err = %v, want the pool locked by 20260101-000000-abcd", err)
	}
}

// Through the API: a balancer that lists the pool's members by ID is flagged, and one
// that serves role:api in nyc3 is said to follow the pool.
func TestGatherPoolFindsBalancers(t *testing.T) {
	t.Parallel()
	c := newSmallPoolCase(t)
	ctx := context.Background()
	var ids []int
	for id := range c.members {
		ids = append(ids, id)
	}
	rule := []godo.ForwardingRule{{EntryProtocol: "http", EntryPort: 80, TargetProtocol: "http", TargetPort: 8080}}
	for _, req := range []*godo.LoadBalancerRequest{
		{Name: "api-by-id", Region: "nyc3", ForwardingRules: rule, DropletIDs: ids[:2]},
		{Name: "api-by-tag", Region: "nyc3", ForwardingRules: rule, Tag: "role:api"},
	} {
		if _, _, err := c.client.LoadBalancers.Create(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	p := c.plan(t)
	text := strings.Join(p.Warnings, "\n")
	if len(p.LBs) != 2 || !strings.Contains(text, "load balancer api-by-id lists members of pool api by droplet ID") ||
		!strings.Contains(text, "load balancer api-by-tag follows the pool by its tag role:api") {
		t.Errorf("balancers %v, warnings:\n%s", p.LBs, text)
	}
}

// A pool rollout is resumed only on the account it ran on: against another simulator
// (another account) the resume is refused before anything changes, whether the caller
// read the account first or Run reads it.
func TestPoolResumeRefusesAnotherAccount(t *testing.T) {
	t.Parallel()
	c := newSmallPoolCase(t)
	path, err := poolRun(t, c, false, &poolCrashPoint{"the template result", 1, resultOf(OpPoolTemplate)})
	if !errors.Is(err, errCrashed) {
		t.Fatalf("no crash: %v", err)
	}
	other := startSim(t, poolSimConfig("empty", false))
	here, err := ReadAccount(context.Background(), other.Client)
	if err != nil {
		t.Fatal(err)
	}
	opt := c.opt
	opt.Account = &here
	var mismatch *AccountMismatchError
	if _, err := ResumePool(other.Client, path, opt); !errors.As(err, &mismatch) {
		t.Errorf("resume with the other account known: %v, want a mismatch", err)
	}
	before, _ := ReadJournal(path)
	r, err := ResumePool(other.Client, path, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := runPool(t, r); !errors.As(err, &mismatch) {
		t.Errorf("a run on the other account: %v, want a mismatch", err)
	}
	after, _ := ReadJournal(path)
	if len(after) != len(before) {
		t.Errorf("the refused run journaled %d records", len(after)-len(before))
	}
	if st := other.Sim.Stats(); st.ByMethod["POST"]+st.ByMethod["PUT"]+st.ByMethod["DELETE"] != 0 {
		t.Errorf("the other account was changed: %v", st.ByMethod)
	}
}
