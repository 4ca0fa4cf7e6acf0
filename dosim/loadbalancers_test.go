package dosim_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// Load balancers of the demo seed.
const (
	webNYC3   = "4de7ac8b-495b-4884-9a69-1050c6793c00"
	workerLB  = "4de7ac8b-495b-4884-9a69-1050c6793c10"
	unknownLB = "4de7ac8b-495b-4884-9a69-1050c6793cff"
)

func getLB(t *testing.T, env *dosimtest.Env, id string) *godo.LoadBalancer {
	t.Helper()
	lb, _, err := env.Client.LoadBalancers.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get load balancer %s: %v", id, err)
	}
	return lb
}

// inRegion keeps the IDs of droplets in region.
func inRegion(list []godo.Droplet, region string) []int {
	var out []int
	for _, d := range list {
		if d.Region.Slug == region {
			out = append(out, d.ID)
		}
	}
	return out
}

func TestLBList(t *testing.T) {
	env := startDemo(t)
	lbs, resp, err := env.Client.LoadBalancers.List(context.Background(), &godo.ListOptions{PerPage: 2})
	wantCode(t, "list load balancers", resp, err, http.StatusOK)
	if len(lbs) != 2 || resp.Links.IsLastPage() {
		t.Fatalf("first page of 2: %d load balancers, last page %v", len(lbs), resp.Links.IsLastPage())
	}
	web := listAll(t, env, "role:web", 200)
	lb := lbs[0]
	if lb.ID != webNYC3 || lb.Status != "active" || len(lb.ForwardingRules) == 0 || lb.HealthCheck == nil ||
		lb.Region.Slug != "nyc3" || lb.Tag != "" || lb.StickySessions == nil {
		t.Errorf("web-nyc3: %+v", lb)
	}
	if !slices.Equal(sorted(lb.DropletIDs), inRegion(web, "nyc3")) {
		t.Errorf("web-nyc3 lists %v, want the web droplets of nyc3 %v", lb.DropletIDs, inRegion(web, "nyc3"))
	}
	_, _, err = env.Client.LoadBalancers.Get(context.Background(), unknownLB)
	wantStatus(t, err, http.StatusNotFound)
}

func TestLBAddRemove(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	d := createIn(t, env, "web-new", "nyc3")
	before := getLB(t, env, webNYC3).DropletIDs
	resp, err := env.Client.LoadBalancers.AddDroplets(ctx, webNYC3, d.ID)
	wantCode(t, "add droplet", resp, err, http.StatusNoContent)
	if _, err := env.Client.LoadBalancers.AddDroplets(ctx, webNYC3, d.ID); err != nil {
		t.Errorf("adding a member again: %v", err)
	}
	if got := getLB(t, env, webNYC3).DropletIDs; !slices.Equal(got, append(slices.Clone(before), d.ID)) {
		t.Errorf("after add: %v, want %v and %d", got, before, d.ID)
	}
	resp, err = env.Client.LoadBalancers.RemoveDroplets(ctx, webNYC3, before[0])
	wantCode(t, "remove droplet", resp, err, http.StatusNoContent)
	if got := getLB(t, env, webNYC3).DropletIDs; slices.Contains(got, before[0]) || !slices.Contains(got, d.ID) {
		t.Errorf("after removing %d: %v", before[0], got)
	}
}

func TestLBAddErrors(t *testing.T) {
	env := startDemo(t)
	fra := createIn(t, env, "web-fra", "fra1")
	nyc := createIn(t, env, "worker-new", "nyc3")
	cases := []struct {
		name   string
		lb     string
		ids    []int
		status int
	}{
		{"tag-based balancer", workerLB, []int{nyc.ID}, http.StatusUnprocessableEntity},
		{"droplet of another region", webNYC3, []int{fra.ID}, http.StatusUnprocessableEntity},
		{"unknown droplet", webNYC3, []int{1}, http.StatusNotFound},
		{"no droplets", webNYC3, nil, http.StatusUnprocessableEntity},
		{"unknown balancer", unknownLB, []int{nyc.ID}, http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := getLB(t, env, webNYC3).DropletIDs
			_, err := env.Client.LoadBalancers.AddDroplets(context.Background(), c.lb, c.ids...)
			wantStatus(t, err, c.status)
			_, err = env.Client.LoadBalancers.RemoveDroplets(context.Background(), c.lb, c.ids...)
			wantStatus(t, err, c.status)
			if after := getLB(t, env, webNYC3).DropletIDs; !slices.Equal(before, after) {
				t.Errorf("a refused request changed web-nyc3 from %v to %v", before, after)
			}
		})
	}
}

func TestTagLBFollowsTag(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	lb := getLB(t, env, workerLB)
	workers := listAll(t, env, "role:worker", 200)
	if lb.Tag != "role:worker" || !slices.Equal(lb.DropletIDs, inRegion(workers, "nyc3")) {
		t.Fatalf("worker LB: tag %q members %v, want the nyc3 workers %v", lb.Tag, lb.DropletIDs, inRegion(workers, "nyc3"))
	}
	nyc := createIn(t, env, "worker-nyc3-new", "nyc3")
	sfo := createIn(t, env, "worker-sfo3-new", "sfo3")
	if _, err := env.Client.Tags.TagResources(ctx, "role:worker", dropletRes(nyc.ID, sfo.ID)); err != nil {
		t.Fatal(err)
	}
	members := getLB(t, env, workerLB).DropletIDs
	if !slices.Contains(members, nyc.ID) || slices.Contains(members, sfo.ID) {
		t.Errorf("after tagging: %v, want %d in and %d (sfo3) out", members, nyc.ID, sfo.ID)
	}
	if _, err := env.Client.Tags.UntagResources(ctx, "role:worker", untagRes(nyc.ID)); err != nil {
		t.Fatal(err)
	}
	if members := getLB(t, env, workerLB).DropletIDs; slices.Contains(members, nyc.ID) {
		t.Errorf("untagged droplet %d is still a member: %v", nyc.ID, members)
	}
	if _, err := env.Client.Droplets.Delete(ctx, lb.DropletIDs[0]); err != nil {
		t.Fatal(err)
	}
	if members := getLB(t, env, workerLB).DropletIDs; slices.Contains(members, lb.DropletIDs[0]) {
		t.Errorf("deleted droplet %d is still a member", lb.DropletIDs[0])
	}
}
