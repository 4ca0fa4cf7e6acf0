package chaos

import (
	"context"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// The sampler must see a load balancer lose a healthy droplet, and must not take a
// handover (add the new, then remove the old) for a loss.
func TestSamplerSeesALossAndNoHandover(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "demo"})
	ctx := context.Background()
	c := env.NewClient(t, env.Token, false)
	start, err := snapshot(ctx, c, env.Sim.HealthPort())
	if err != nil {
		t.Fatal(err)
	}
	lb := start.LBs[0]
	sp := startSampler(ctx, c, start, env.Sim.HealthPort())
	defer sp.Stop()
	waitFor(t, "samples of every unit", func() bool { return minSamples(sp.Stats()) >= 3 })

	old := lb.Members[0]
	neu := createLike(t, c, start, old, env.Sim.HealthPort())
	if _, err := c.LoadBalancers.AddDroplets(ctx, lb.ID, neu); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LoadBalancers.RemoveDroplets(ctx, lb.ID, old); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Droplets.Delete(ctx, old); err != nil {
		t.Fatal(err)
	}
	n := samplesOf(sp.Stats(), lb.Name)
	waitFor(t, "samples after the handover", func() bool { return samplesOf(sp.Stats(), lb.Name) >= n+3 })
	if vs := CheckSamples(sp.Stats()); len(vs) != 0 {
		t.Fatalf("a handover taken for a loss: %v", vs)
	}

	if _, err := c.LoadBalancers.RemoveDroplets(ctx, lb.ID, lb.Members[1]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the loss seen", func() bool { return len(CheckSamples(sp.Stats())) > 0 })
	vs := CheckSamples(sp.Stop())
	if len(vs) != 1 || vs[0].Invariant != InvHealthyMin {
		t.Errorf("want one %q violation, got %v", InvHealthyMin, vs)
	}
}

// createLike creates a droplet like id and waits until it answers /healthz.
func createLike(t *testing.T, c *godo.Client, w World, id, port int) int {
	t.Helper()
	was := w.byID()[id]
	d, _, err := c.Droplets.Create(context.Background(), &godo.DropletCreateRequest{Name: was.Name, Region: was.Region,
		Size: "s-2vcpu-4gb", Image: godo.DropletCreateImage{ID: was.ImageID}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new droplet healthy", func() bool {
		got, _, err := c.Droplets.Get(context.Background(), d.ID)
		if err != nil {
			return false
		}
		ip, _ := got.PublicIPv4()
		return probe(context.Background(), ip, port)
	})
	return d.ID
}

func minSamples(us []UnitStat) int {
	n := -1
	for _, u := range us {
		if n < 0 || u.Samples < n {
			n = u.Samples
		}
	}
	return n
}

func samplesOf(us []UnitStat, lb string) int {
	for _, u := range us {
		if u.Unit == "load balancer "+lb {
			return u.Samples
		}
	}
	return 0
}

// waitFor waits for cond, checking every few milliseconds, for at most 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		<-tick.C
	}
}
