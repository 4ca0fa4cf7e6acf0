package actions

import (
	"context"
	"errors"
	"maps"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// healthyInService counts the web droplets that answer their health check and are
// listed by a load balancer: the capacity that serves traffic. A sample counts only when
// load balancer membership did not change while it was taken (molt takes a droplet out
// of service before destroying it), so that it is one consistent picture.
func healthyInService(ctx context.Context, env *dosimtest.Env, c *godo.Client) (int, error) {
	for range 100 {
		before, err := lbMembers(ctx, c)
		if err != nil {
			return 0, err
		}
		n, err := probeListed(ctx, env, c, before)
		if err != nil {
			return 0, err
		}
		after, err := lbMembers(ctx, c)
		if err != nil {
			return 0, err
		}
		if maps.Equal(before, after) {
			return n, nil
		}
	}
	return 0, errors.New("load balancers kept changing while sampling")
}

func lbMembers(ctx context.Context, c *godo.Client) (map[int]bool, error) {
	lbs, _, err := c.LoadBalancers.List(ctx, &godo.ListOptions{PerPage: 200})
	if err != nil {
		return nil, err
	}
	listed := map[int]bool{}
	for _, lb := range lbs {
		for _, id := range lb.DropletIDs {
			listed[id] = true
		}
	}
	return listed, nil
}

func probeListed(ctx context.Context, env *dosimtest.Env, c *godo.Client, listed map[int]bool) (int, error) {
	ds, _, err := c.Droplets.ListByTag(ctx, "role:web", &godo.ListOptions{PerPage: 200})
	if err != nil {
		return 0, err
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	n := 0
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for _, d := range ds {
		ip, _ := d.PublicIPv4()
		if d.Status != "active" || ip == "" || !listed[d.ID] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := hc.Get("http://" + net.JoinHostPort(ip, strconv.Itoa(env.Sim.HealthPort())) + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return n, nil
}

// TestCapacityNeverDrops samples the fleet throughout a rollout (one that succeeds and
// one whose image turns bad and is rolled back) and checks that it never serves with
// fewer healthy servers than it started with.
func TestCapacityNeverDrops(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"web-1.6.0", "web-1.6.0-broken"} {
		t.Run(target, func(t *testing.T) {
			env := startSim(t, dosim.Config{RatePerMinute: 5000, Provision: 80 * time.Millisecond})
			sampler := env.NewClient(t, env.Token, false)
			ctx := context.Background()
			initial, err := healthyInService(ctx, env, sampler)
			if err != nil || initial == 0 {
				t.Fatalf("capacity at the start: %d, %v", initial, err)
			}
			st := testStrategy(env, 5)
			st.MaxFailures = 1
			st.AllowDowngrade = true // web-1.6.0-broken is a pre-release of 1.6.0, which two of them run
			p := plan(t, env.Client, target, st, "role:web")
			e := start(t, env, p, testOptions(t))
			done := make(chan error, 1)
			go func() { done <- run(t, e) }()
			lowest, samples := initial, 0
			for running := true; running; {
				select {
				case <-done:
					running = false
				case <-time.After(5 * time.Millisecond):
				}
				n, err := healthyInService(ctx, env, sampler)
				if err != nil {
					t.Fatal(err)
				}
				lowest, samples = min(lowest, n), samples+1
			}
			if lowest < initial {
				t.Errorf("capacity fell to %d healthy servers in service, from %d (%d samples)", lowest, initial, samples)
			}
			t.Logf("%d samples, lowest capacity %d of %d", samples, lowest, initial)
			if samples < 5 {
				t.Errorf("only %d samples: the rollout was too quick to watch", samples)
			}
		})
	}
}
