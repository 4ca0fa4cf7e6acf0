package actions

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// testTiming scales the engine's clocks to the simulator's test delays.
func testTiming() Timing {
	return Timing{PollMin: 5 * time.Millisecond, RetryBase: 5 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		AdoptDelay: 5 * time.Millisecond, CallTimeout: 5 * time.Second, Attempts: 8, Settle: 300 * time.Millisecond}
}

// testStrategy checks health over real sockets against the simulator's /healthz.
func testStrategy(env *dosimtest.Env, surge int) Strategy {
	st := DefaultStrategy()
	st.Surge = surge
	st.Health = HealthCheck{Kind: HealthHTTP, Port: env.Sim.HealthPort(), Path: "/healthz", Interval: Duration(5 * time.Millisecond),
		ProbeTimeout: Duration(time.Second), Timeout: Duration(time.Second), Threshold: 2}
	st.ActiveTimeout = Duration(2 * time.Second)
	st.Drain = Duration(2 * time.Millisecond) // short, and still a phase of its own
	st.Launch = Launch{Source: "flags", SSHKeys: []string{"12345"}}
	return st
}

// startSim runs a simulator for the test. Rate limits left zero are lifted: these tests
// provision in milliseconds and poll as fast, so the real 250 requests a minute would
// fail their own unretried reads (snapshots, load balancer lists) on a slow machine.
// Tests about the limits set them, or inject 429s as faults.
func startSim(t testing.TB, cfg dosim.Config) *dosimtest.Env {
	t.Helper()
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute = 1 << 30
	}
	if cfg.RatePerHour == 0 {
		cfg.RatePerHour = 1 << 30
	}
	return dosimtest.Start(t, cfg)
}

// servers loads the droplets carrying every one of tags.
func servers(t testing.TB, c *godo.Client, tags ...string) []fleet.Server {
	t.Helper()
	all, err := fleet.Load(context.Background(), c, fleet.LoadOptions{Tag: tags[0]})
	if err != nil {
		t.Fatalf("load fleet: %v", err)
	}
	return slices.DeleteFunc(all, func(s fleet.Server) bool {
		for _, tag := range tags[1:] {
			if !s.HasTag(tag) {
				return true
			}
		}
		return false
	})
}

func image(t testing.TB, c *godo.Client, name string) fleet.Version {
	t.Helper()
	v, err := ResolveImage(context.Background(), c, name)
	if err != nil {
		t.Fatalf("resolve image: %v", err)
	}
	return v
}

// plan gathers and plans the replacement of the droplets carrying tags onto target.
func plan(t testing.TB, c *godo.Client, target string, st Strategy, tags ...string) Plan {
	t.Helper()
	ctx := context.Background()
	in, err := Gather(ctx, c, "tag "+tags[0], servers(t, c, tags...), image(t, c, target), st)
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	p, err := NewPlan(in)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

func testOptions(t testing.TB) Options {
	op := Operator{User: "test", Host: "host"}
	return Options{Dir: t.TempDir(), Timing: testTiming(), Operator: &op}
}

// apply starts and runs a plan to its end.
func apply(t testing.TB, c *godo.Client, p Plan, opt Options) (*Executor, error) {
	t.Helper()
	e, err := Start(c, p, opt)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e, e.Run(ctx)
}

// world is the cloud as a test checks it.
type world struct {
	byID map[int]godo.Droplet
	lbs  []godo.LoadBalancer
}

func snapshot(t testing.TB, c *godo.Client) world {
	t.Helper()
	ctx := context.Background()
	w := world{byID: map[int]godo.Droplet{}}
	opt := &godo.ListOptions{Page: 1, PerPage: 200}
	for {
		list, resp, err := c.Droplets.List(ctx, opt)
		if err != nil {
			t.Fatalf("list droplets: %v", err)
		}
		for _, d := range list {
			w.byID[d.ID] = d
		}
		if resp.Links == nil || resp.Links.IsLastPage() {
			break
		}
		opt.Page++
	}
	lbs, _, err := c.LoadBalancers.List(ctx, &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatalf("list load balancers: %v", err)
	}
	w.lbs = lbs
	return w
}

// imageOf counts droplets by image among those with every tag.
func (w world) count(imageID int, tags ...string) int {
	n := 0
	for _, d := range w.byID {
		if d.Image != nil && d.Image.ID == imageID && hasAll(d.Tags, tags) {
			n++
		}
	}
	return n
}

func hasAll(have, want []string) bool {
	for _, t := range want {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
}

func withMolt(d godo.Droplet) bool {
	for _, t := range d.Tags {
		if LockOf([]string{t}) != "" {
			return true
		}
	}
	return false
}

func mustErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}
