package dosim_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// Shared by the tests of images, snapshots, tags, load balancers, reserved IPs, volumes
// and the account.

// startDemo runs the demo world without health listeners.
func startDemo(t *testing.T) *dosimtest.Env {
	t.Helper()
	return start(t, dosim.Config{HealthPort: -1})
}

// createIn makes an Ubuntu droplet in region through godo.
func createIn(t *testing.T, env *dosimtest.Env, name, region string, tags ...string) *godo.Droplet {
	t.Helper()
	req := createReq(name, tags...)
	req.Region = region
	return create(t, env, req)
}

// waitAction polls an action through get until it completes, and fails the test if it errors.
func waitAction(t *testing.T, what string, get func(context.Context) (*godo.Action, *godo.Response, error)) *godo.Action {
	t.Helper()
	var a *godo.Action
	waitFor(t, 2*time.Second, what+" to complete", func() bool {
		var err error
		a, _, err = get(context.Background())
		if err != nil {
			t.Fatalf("get %s: %v", what, err)
		}
		return a.Status != "in-progress"
	})
	if a.Status != "completed" {
		t.Fatalf("%s ended %q, want completed", what, a.Status)
	}
	return a
}

// wantCode checks the status of a call that should have succeeded.
func wantCode(t *testing.T, what string, resp *godo.Response, err error, status int) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d", what, resp.StatusCode, status)
	}
}

// dropletIDs lists the IDs of droplets in the order given.
func dropletIDs(list []godo.Droplet) []int {
	out := make([]int, len(list))
	for i, d := range list {
		out[i] = d.ID
	}
	return out
}

// sorted returns a sorted copy.
func sorted(ids []int) []int {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func TestAccount(t *testing.T) {
	cases := []struct {
		name string
		cfg  dosim.Config
		want int
	}{
		{"empty seed", dosim.Config{Seed: "empty"}, 100},
		{"configured limit", dosim.Config{Seed: "empty", DropletLimit: 42}, 42},
		{"scale seed leaves room for 100 more", dosim.Config{Seed: "scale", Droplets: 30}, 130},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.HealthPort = -1
			env := dosimtest.Start(t, c.cfg)
			acct, resp, err := env.Client.Account.Get(context.Background())
			wantCode(t, "get account", resp, err, http.StatusOK)
			if acct.DropletLimit != c.want {
				t.Errorf("droplet_limit %d, want %d", acct.DropletLimit, c.want)
			}
			if acct.Status != "active" || acct.UUID == "" || acct.Email == "" || !acct.EmailVerified || acct.FloatingIPLimit < 1 {
				t.Errorf("account: %+v", acct)
			}
		})
	}
}
