package dosim_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// poolMinute is the simulated minute of these tests: a fixed pool's cooldown is 10 of them.
const poolMinute = 5 * time.Millisecond

func startPools(t *testing.T) *dosimtest.Env {
	t.Helper()
	return start(t, dosim.Config{Seed: "empty", HealthPort: -1, PoolMinute: poolMinute})
}

func poolRequest(name, image string, cfg *godo.DropletAutoscaleConfiguration) *godo.DropletAutoscalePoolRequest {
	return &godo.DropletAutoscalePoolRequest{Name: name, Config: cfg, DropletTemplate: &godo.DropletAutoscaleResourceTemplate{
		Region: "nyc3", Size: "c-2", Image: image, SSHKeys: []string{"12345"}, Tags: []string{"role:api", "env:prod"}, WithDropletAgent: true}}
}

// members reads a pool's members, and the droplets they are (a member destroyed between
// the two reads is a droplet with status "gone").
func members(t *testing.T, env *dosimtest.Env, poolID string) ([]*godo.DropletAutoscaleResource, []*godo.Droplet) {
	t.Helper()
	ms, resp, err := env.Client.DropletAutoscale.ListMembers(context.Background(), poolID, nil)
	wantCode(t, "list members", resp, err, http.StatusOK)
	ds := make([]*godo.Droplet, len(ms))
	for i, m := range ms {
		d, _, err := env.Client.Droplets.Get(context.Background(), int(m.DropletID))
		if err != nil {
			d = &godo.Droplet{ID: int(m.DropletID), Status: "gone", Image: &godo.Image{}}
		}
		ds[i] = d
	}
	return ms, ds
}

// settled waits until a pool has want active members, all on image, and no change under way.
func settled(t *testing.T, env *dosimtest.Env, poolID, image string, want int) []*godo.Droplet {
	t.Helper()
	var ds []*godo.Droplet
	waitFor(t, 5*time.Second, "the pool to settle", func() bool {
		var ms []*godo.DropletAutoscaleResource
		ms, ds = members(t, env, poolID)
		if len(ms) != want || len(ds) != want {
			return false
		}
		for i, d := range ds {
			if d.Status != "active" || d.Image.Slug != image || ms[i].Status != "active" {
				return false
			}
		}
		h, _, _ := env.Client.DropletAutoscale.ListHistory(context.Background(), poolID, nil)
		return len(h) > 0 && h[0].Status != "in_progress"
	})
	return ds
}

func TestPoolReplacesMembersOneAtATime(t *testing.T) {
	t.Parallel()
	env := startPools(t)
	ctx := context.Background()
	p, resp, err := env.Client.DropletAutoscale.Create(ctx, poolRequest("api", "ubuntu-24-04-x64",
		&godo.DropletAutoscaleConfiguration{TargetNumberInstances: 2}))
	wantCode(t, "create pool", resp, err, http.StatusAccepted)
	if p.Status != "active" || p.Config.TargetNumberInstances != 2 || p.DropletTemplate.Image != "ubuntu-24-04-x64" {
		t.Errorf("a new pool: %+v", p)
	}
	old := settled(t, env, p.ID, "ubuntu-24-04-x64", 2)
	for _, d := range old {
		if !slices.Equal(d.Tags, []string{"role:api", "env:prod"}) {
			t.Errorf("member %s carries %v, not the template's tags", d.Name, d.Tags)
		}
	}
	req := poolRequest("api", "debian-13-x64", &godo.DropletAutoscaleConfiguration{TargetNumberInstances: 2})
	up, resp, err := env.Client.DropletAutoscale.Update(ctx, p.ID, req)
	wantCode(t, "update pool", resp, err, http.StatusOK)
	if up.DropletTemplate.Image != "debian-13-x64" {
		t.Errorf("updated template: %+v", up.DropletTemplate)
	}
	// Watch the members until both are on the new image: never fewer than two up and
	// never more than three in all (TestPoolCooldownBetweenChanges times the changes).
	waitFor(t, 5*time.Second, "both members replaced", func() bool {
		ms, ds := members(t, env, p.ID)
		active, onNew := 0, 0 // as the pool reports them (the droplets are read after)
		for i, d := range ds {
			if ms[i].Status == "active" {
				active++
			}
			if d.Image.Slug == "debian-13-x64" {
				onNew++
			}
		}
		if active < 2 || len(ms) > 3 {
			var st []string
			for i, d := range ds {
				st = append(st, d.Status+"/"+ms[i].Status+"/"+d.Image.Slug)
			}
			t.Fatalf("during the replacement: %d members, %d active: %v", len(ms), active, st)
		}
		return onNew == 2 && len(ms) == 2 && active == 2
	})
	history, resp, err := env.Client.DropletAutoscale.ListHistory(ctx, p.ID, nil)
	wantCode(t, "history", resp, err, http.StatusOK)
	var reasons []string
	for _, e := range history {
		reasons = append(reasons, e.Reason+":"+e.Status)
	}
	if strings.Join(reasons, " ") != "CONFIGURATION_CHANGE:success CONFIGURATION_CHANGE:success SCALE_UP:success" {
		t.Errorf("history, newest first: %v", reasons)
	}
	creates, destroys := createBeforeDestroy(t, env, old)
	if creates != 2 || destroys != 2 {
		t.Errorf("%d creates and %d destroys in the feed, want 2 and 2", creates, destroys)
	}
}

// createBeforeDestroy reads the account's feed, oldest first, and checks that each old
// member was destroyed only after a new member had been created since the last destroy.
func createBeforeDestroy(t *testing.T, env *dosimtest.Env, old []*godo.Droplet) (creates, destroys int) {
	t.Helper()
	feed, _, err := env.Client.Actions.List(context.Background(), &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	oldIDs := map[int]bool{}
	for _, d := range old {
		oldIDs[d.ID] = true
	}
	ahead := 0 // new members created and not yet matched by a destroy
	for i := len(feed) - 1; i >= 0; i-- {
		a := feed[i]
		switch {
		case a.Type == "create" && !oldIDs[a.ResourceID] && len(oldIDs) > 0:
			creates++
			ahead++
		case a.Type == "destroy" && oldIDs[a.ResourceID]:
			destroys++
			if ahead--; ahead < 0 {
				t.Errorf("old member %d was destroyed before its replacement was created", a.ResourceID)
			}
		}
	}
	return creates, destroys
}

func TestPoolKeepsItsSize(t *testing.T) {
	t.Parallel()
	env := startPools(t)
	ctx := context.Background()
	p, _, err := env.Client.DropletAutoscale.Create(ctx, poolRequest("fixed", "ubuntu-24-04-x64",
		&godo.DropletAutoscaleConfiguration{TargetNumberInstances: 3}))
	if err != nil {
		t.Fatal(err)
	}
	ds := settled(t, env, p.ID, "ubuntu-24-04-x64", 3)
	if _, err := env.Client.Droplets.Delete(ctx, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	after := settled(t, env, p.ID, "ubuntu-24-04-x64", 3)
	if after[2].ID == ds[0].ID || slices.ContainsFunc(after, func(d *godo.Droplet) bool { return d.ID == ds[0].ID }) {
		t.Errorf("the destroyed member is still listed")
	}
	// Down to one: the others are shut down, then destroyed a minute later.
	_, _, err = env.Client.DropletAutoscale.Update(ctx, p.ID, poolRequest("fixed", "ubuntu-24-04-x64",
		&godo.DropletAutoscaleConfiguration{TargetNumberInstances: 1}))
	if err != nil {
		t.Fatal(err)
	}
	settled(t, env, p.ID, "ubuntu-24-04-x64", 1)
	h, _, _ := env.Client.DropletAutoscale.ListHistory(ctx, p.ID, nil)
	if len(h) != 3 || h[0].Reason != "SCALE_DOWN" || h[0].CurrentInstanceCount != 3 || h[0].DesiredInstanceCount != 1 ||
		h[1].Reason != "SCALE_UP" || h[1].DesiredInstanceCount != 3 {
		t.Errorf("history: %+v", h)
	}
}

func TestPoolDelete(t *testing.T) {
	t.Parallel()
	env := startPools(t)
	ctx := context.Background()
	keep, _, err := env.Client.DropletAutoscale.Create(ctx, poolRequest("keep", "ubuntu-24-04-x64",
		&godo.DropletAutoscaleConfiguration{MinInstances: 1, MaxInstances: 3, TargetCPUUtilization: 0.6, CooldownMinutes: 5}))
	if err != nil {
		t.Fatal(err)
	}
	if keep.Config.MinInstances != 1 || keep.Config.CooldownMinutes != 5 || keep.CurrentUtilization == nil {
		t.Errorf("a dynamic pool: %+v, utilization %+v", keep.Config, keep.CurrentUtilization)
	}
	kept := settled(t, env, keep.ID, "ubuntu-24-04-x64", 1)
	drop, _, err := env.Client.DropletAutoscale.Create(ctx, poolRequest("drop", "ubuntu-24-04-x64",
		&godo.DropletAutoscaleConfiguration{TargetNumberInstances: 1}))
	if err != nil {
		t.Fatal(err)
	}
	dropped := settled(t, env, drop.ID, "ubuntu-24-04-x64", 1)
	pools, resp, err := env.Client.DropletAutoscale.List(ctx, nil)
	wantCode(t, "list pools", resp, err, http.StatusOK)
	if len(pools) != 2 {
		t.Errorf("%d pools", len(pools))
	}
	resp, err = env.Client.DropletAutoscale.Delete(ctx, keep.ID)
	wantCode(t, "delete pool", resp, err, http.StatusAccepted)
	status, _, _, _ := call(t, env, http.MethodDelete, "/v2/droplets/autoscale/"+drop.ID+"/dangerous", nil)
	if status != http.StatusBadRequest {
		t.Errorf("delete-dangerous without X-Dangerous: %d, want 400", status)
	}
	resp, err = env.Client.DropletAutoscale.DeleteDangerous(ctx, drop.ID)
	wantCode(t, "delete pool and members", resp, err, http.StatusAccepted)
	waitFor(t, 2*time.Second, "both pools gone", func() bool {
		list, _, err := env.Client.DropletAutoscale.List(ctx, nil)
		return err == nil && len(list) == 0
	})
	if d, _, err := env.Client.Droplets.Get(ctx, kept[0].ID); err != nil || d.Status != "active" {
		t.Errorf("a plain delete left no droplet behind: %v", err)
	}
	_, _, err = env.Client.Droplets.Get(ctx, dropped[0].ID)
	wantStatus(t, err, http.StatusNotFound)
	_, _, err = env.Client.DropletAutoscale.Get(ctx, keep.ID)
	wantStatus(t, err, http.StatusNotFound)
}

func TestPoolValidation(t *testing.T) {
	t.Parallel()
	env := startPools(t)
	ctx := context.Background()
	target := &godo.DropletAutoscaleConfiguration{TargetNumberInstances: 2}
	cases := map[string]*godo.DropletAutoscalePoolRequest{
		"no config":      poolRequest("a", "ubuntu-24-04-x64", nil),
		"target too big": poolRequest("a", "ubuntu-24-04-x64", &godo.DropletAutoscaleConfiguration{TargetNumberInstances: 1001}),
		"min above max":  poolRequest("a", "ubuntu-24-04-x64", &godo.DropletAutoscaleConfiguration{MinInstances: 3, MaxInstances: 2}),
		"cooldown":       poolRequest("a", "ubuntu-24-04-x64", &godo.DropletAutoscaleConfiguration{MinInstances: 1, MaxInstances: 2, CooldownMinutes: 30}),
		"unknown image":  poolRequest("a", "no-such-image", target),
		"no name":        poolRequest("", "ubuntu-24-04-x64", target),
		"atlanta": func() *godo.DropletAutoscalePoolRequest {
			r := poolRequest("a", "ubuntu-24-04-x64", target)
			r.DropletTemplate.Region = "atl1"
			return r
		}(),
		"no SSH key": func() *godo.DropletAutoscalePoolRequest {
			r := poolRequest("a", "ubuntu-24-04-x64", target)
			r.DropletTemplate.SSHKeys = nil
			return r
		}(),
		"unknown SSH key": func() *godo.DropletAutoscalePoolRequest {
			r := poolRequest("a", "ubuntu-24-04-x64", target)
			r.DropletTemplate.SSHKeys = []string{"7"}
			return r
		}(),
		"size not in nyc3": func() *godo.DropletAutoscalePoolRequest {
			r := poolRequest("a", "ubuntu-24-04-x64", target)
			r.DropletTemplate.Size = "gpu-h100x1-80gb"
			return r
		}(),
	}
	for name, req := range cases {
		_, _, err := env.Client.DropletAutoscale.Create(ctx, req)
		if er := apiError(t, err); er.Response.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", name, er.Response.StatusCode)
		}
	}
	p, _, err := env.Client.DropletAutoscale.Create(ctx, poolRequest("named", "ubuntu-24-04-x64", target))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = env.Client.DropletAutoscale.Update(ctx, p.ID, poolRequest("renamed", "ubuntu-24-04-x64", target))
	refused(t, "a new name", err, "cannot be updated")
}

// TestPoolTemplatePutBack is what a client can do instead of pausing a replacement: put
// the previous template back. The member still on it stays; only the one already made
// from the new template is replaced, back.
func TestPoolTemplatePutBack(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1, PoolMinute: 20 * time.Millisecond})
	ctx := context.Background()
	cfg := &godo.DropletAutoscaleConfiguration{TargetNumberInstances: 2}
	p, _, err := env.Client.DropletAutoscale.Create(ctx, poolRequest("api", "ubuntu-24-04-x64", cfg))
	if err != nil {
		t.Fatal(err)
	}
	settled(t, env, p.ID, "ubuntu-24-04-x64", 2)
	if _, _, err := env.Client.DropletAutoscale.Update(ctx, p.ID, poolRequest("api", "debian-13-x64", cfg)); err != nil {
		t.Fatal(err)
	}
	var kept int
	waitFor(t, 5*time.Second, "one member replaced", func() bool {
		ms, ds := members(t, env, p.ID)
		onNew := 0
		for _, d := range ds {
			if d.Image.Slug == "debian-13-x64" && d.Status == "active" {
				onNew++
			} else {
				kept = d.ID
			}
		}
		return len(ms) == 2 && onNew == 1
	})
	if _, _, err := env.Client.DropletAutoscale.Update(ctx, p.ID, poolRequest("api", "ubuntu-24-04-x64", cfg)); err != nil {
		t.Fatal(err)
	}
	after := settled(t, env, p.ID, "ubuntu-24-04-x64", 2)
	if !slices.ContainsFunc(after, func(d *godo.Droplet) bool { return d.ID == kept }) {
		t.Errorf("member %d, still on the template put back, was replaced too", kept)
	}
}
