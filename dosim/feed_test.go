package dosim_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
)

// TestActionFeed reads the account's actions as a client refreshing an inventory does:
// the first page holds the newest, and links lead to the rest.
func TestActionFeed(t *testing.T) {
	t.Parallel()
	env := startDemo(t)
	ctx := context.Background()
	first, resp, err := env.Client.Actions.List(ctx, &godo.ListOptions{PerPage: 20})
	wantCode(t, "list actions", resp, err, http.StatusOK)
	if len(first) != 20 || resp.Meta.Total < 48+5 || resp.Links.IsLastPage() {
		t.Fatalf("first page: %d actions of %d, last page %v", len(first), resp.Meta.Total, resp.Links.IsLastPage())
	}
	for i := 1; i < len(first); i++ {
		if first[i].ID >= first[i-1].ID || first[i].StartedAt.After(first[i-1].StartedAt.Time) {
			t.Errorf("actions %d and %d are not newest first", first[i-1].ID, first[i].ID)
		}
	}
	d := create(t, env, createReq("newest"))
	if latest, _, _ := env.Client.Actions.List(ctx, &godo.ListOptions{PerPage: 1}); len(latest) != 1 ||
		latest[0].Type != "create" || latest[0].ResourceID != d.ID || latest[0].RegionSlug != "nyc3" {
		t.Errorf("a create is not the newest action: %+v", latest)
	}
	if _, err := env.Client.Droplets.Delete(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if latest, _, _ := env.Client.Actions.List(ctx, &godo.ListOptions{PerPage: 1}); len(latest) != 1 ||
		latest[0].Type != "destroy" || latest[0].ResourceID != d.ID || latest[0].CompletedAt == nil {
		t.Errorf("a destroy is not the newest action: %+v", latest)
	}
	var resized godo.Droplet
	for _, x := range listAll(t, env, "role:worker", 200) {
		if x.Name == "worker-nyc3-02" {
			resized = x
		}
	}
	acts, _, err := env.Client.Droplets.Actions(ctx, resized.ID, nil)
	var types []string
	for _, a := range acts {
		types = append(types, a.Type)
	}
	if err != nil || strings.Join(types, " ") != "power_on resize power_off create" {
		t.Errorf("the resized worker's history, newest first: %v, %v", types, err)
	}
}

// TestDemoExtrasThroughGodo shows the pets and the pool to a client.
func TestDemoExtrasThroughGodo(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{HealthPort: -1, DemoExtras: true})
	ctx := context.Background()
	all := listAll(t, env, "", 200)
	if len(all) != 54 {
		t.Errorf("%d droplets with the extras, want 48 + 2 pets + 4 pool members", len(all))
	}
	pools, _, err := env.Client.DropletAutoscale.List(ctx, nil)
	if err != nil || len(pools) != 1 || pools[0].Name != "api" || pools[0].Config.TargetNumberInstances != 4 {
		t.Fatalf("pools: %+v, %v", pools, err)
	}
	ms, _, err := env.Client.DropletAutoscale.ListMembers(ctx, pools[0].ID, nil)
	if err != nil || len(ms) != 4 {
		t.Errorf("members: %d, %v", len(ms), err)
	}
	pets := 0
	for _, d := range all {
		if d.Image.Public {
			pets++
			if bs, _, err := env.Client.Droplets.Backups(ctx, d.ID, nil); err != nil || len(bs) != 7 {
				t.Errorf("pet %s: %d backups, %v", d.Name, len(bs), err)
			}
		}
	}
	if pets != 2 {
		t.Errorf("%d droplets on distribution images, want 2 pets", pets)
	}
}
