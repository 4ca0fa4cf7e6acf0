package dosim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
)

func TestCreateOne(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	d, resp, err := env.Client.Droplets.Create(ctx, createReq("web-1", "role:web", "env:test"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusAccepted || d.Status != "new" || d.Name != "web-1" || d.Locked {
		t.Errorf("create: status %d, droplet %q %s locked=%v", resp.StatusCode, d.Name, d.Status, d.Locked)
	}
	if d.Image.Slug != "ubuntu-24-04-x64" || d.Region.Slug != "nyc3" || d.Size.Slug != "s-1vcpu-1gb" || d.SizeSlug != "s-1vcpu-1gb" {
		t.Errorf("create: image %q region %q size %q", d.Image.Slug, d.Region.Slug, d.SizeSlug)
	}
	if len(d.Networks.V4) != 0 {
		t.Errorf("a new droplet has no addresses yet, got %v", d.Networks.V4)
	}
	if len(resp.Links.Actions) != 1 || resp.Links.Actions[0].Rel != "create" ||
		resp.Links.Actions[0].HREF != env.URL+"/v2/actions/"+strconv.Itoa(resp.Links.Actions[0].ID) {
		t.Fatalf("create links.actions: %+v", resp.Links.Actions)
	}
	a, _, err := resp.Links.Actions[0].Get(ctx, env.Client)
	if err != nil || a.Type != "create" || a.ResourceID != d.ID || a.ResourceType != "droplet" {
		t.Errorf("create action: %+v, %v", a, err)
	}
	got := getDroplet(t, env, d.ID)
	if got.ID != d.ID || strings.Join(got.Tags, ",") != "role:web,env:test" {
		t.Errorf("get after create: id %d tags %v", got.ID, got.Tags)
	}
	tagged, _, err := env.Client.Droplets.ListByTag(ctx, "env:test", nil)
	if err != nil || len(tagged) != 1 || tagged[0].ID != d.ID {
		t.Errorf("list by a tag named at create: %d droplets, %v", len(tagged), err)
	}
	tag, _, err := env.Client.Tags.Get(ctx, "env:test")
	if err != nil || tag.Resources == nil || tag.Resources.Droplets == nil || tag.Resources.Droplets.Count != 1 {
		t.Errorf("a tag named at create does not exist as a tag: %+v, %v", tag, err)
	}
}

func TestCreateMultiple(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprintf("worker-%02d", i)
	}
	req := &godo.DropletMultiCreateRequest{Names: names, Region: "fra1", Size: "s-1vcpu-2gb",
		Image: godo.DropletCreateImage{Slug: "debian-12-x64"}, Tags: []string{"batch"}}
	ds, resp, err := env.Client.Droplets.CreateMultiple(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusAccepted || len(ds) != 10 || len(resp.Links.Actions) != 10 {
		t.Fatalf("create 10: status %d, %d droplets, %d actions", resp.StatusCode, len(ds), len(resp.Links.Actions))
	}
	for i, d := range ds {
		if d.Name != names[i] || d.Region.Slug != "fra1" || resp.Links.Actions[i].Rel != "create" {
			t.Errorf("droplet %d: %q in %s", i, d.Name, d.Region.Slug)
		}
	}
	req.Names = append(names, "worker-10")
	_, _, err = env.Client.Droplets.CreateMultiple(ctx, req)
	if er := wantStatus(t, err, http.StatusUnprocessableEntity); !strings.Contains(er.Message, "10") {
		t.Errorf("11 names: %q", er.Message)
	}
	if all := listAll(t, env, "batch", 0); len(all) != 10 {
		t.Errorf("a refused create made droplets: %d tagged batch", len(all))
	}
}

func TestCreateValidation(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1, DropletLimit: 3})
	ctx := context.Background()
	cases := []struct {
		name   string
		mutate func(*godo.DropletCreateRequest)
	}{
		{"no name", func(r *godo.DropletCreateRequest) { r.Name = "" }},
		{"bad name", func(r *godo.DropletCreateRequest) { r.Name = "web_1!" }},
		{"unknown size", func(r *godo.DropletCreateRequest) { r.Size = "huge" }},
		{"unknown image", func(r *godo.DropletCreateRequest) { r.Image = godo.DropletCreateImage{Slug: "plan9"} }},
		{"unknown image ID", func(r *godo.DropletCreateRequest) { r.Image = godo.DropletCreateImage{ID: 7} }},
		{"unknown region", func(r *godo.DropletCreateRequest) { r.Region = "mars1" }},
		{"bad tag", func(r *godo.DropletCreateRequest) { r.Tags = []string{"a tag"} }},
	}
	for _, c := range cases {
		req := createReq("ok-1")
		c.mutate(req)
		_, _, err := env.Client.Droplets.Create(ctx, req)
		er := wantStatus(t, err, http.StatusUnprocessableEntity)
		if er.Message == "" || er.RequestID == "" {
			t.Errorf("%s: error without message or request ID: %+v", c.name, er)
		}
	}
	for i := range 3 {
		create(t, env, createReq(fmt.Sprintf("ok-%d", i)))
	}
	_, _, err := env.Client.Droplets.Create(ctx, createReq("one-too-many"))
	if er := wantStatus(t, err, http.StatusUnprocessableEntity); !strings.Contains(er.Message, "droplet limit") {
		t.Errorf("over the droplet limit: %q", er.Message)
	}
}

func TestCreateImageByIDAndVolumes(t *testing.T) {
	env := start(t, dosim.Config{HealthPort: -1})
	ctx := context.Background()
	web := listAll(t, env, "role:web", 200)[0]
	req := createReq("web-by-id", "role:web")
	req.Image = godo.DropletCreateImage{ID: web.Image.ID}
	req.Region = web.Region.Slug
	req.Size = web.SizeSlug
	d := create(t, env, req)
	if d.Image.ID != web.Image.ID || d.Image.Name != web.Image.Name {
		t.Errorf("image by ID: got %d %q, want %d %q", d.Image.ID, d.Image.Name, web.Image.ID, web.Image.Name)
	}
	req = createReq("worker-vol")
	req.Volumes = []godo.DropletCreateVolume{{Name: "worker-data-4"}}
	d = create(t, env, req)
	if len(d.VolumeIDs) != 1 {
		t.Fatalf("volume by name: volume_ids %v", d.VolumeIDs)
	}
	req = createReq("worker-vol-2")
	req.Volumes = []godo.DropletCreateVolume{{ID: d.VolumeIDs[0]}}
	_, _, err := env.Client.Droplets.Create(ctx, req)
	wantStatus(t, err, http.StatusUnprocessableEntity) // the volume is attached already
}

// TestCreateNullLists sends what godo sends for a request without keys or tags.
func TestCreateNullLists(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	body := map[string]any{"name": "bare", "region": "ams3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64",
		"ssh_keys": nil, "tags": nil, "backups": false, "ipv6": true, "private_networking": false, "monitoring": false}
	resp, data := raw(t, env, http.MethodPost, "/v2/droplets", "", body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("create with null lists: %d %s", resp.StatusCode, data)
	}
	var root struct{ Droplet godo.Droplet }
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	if root.Droplet.Tags == nil || len(root.Droplet.Tags) != 0 || !hasTag(root.Droplet.Features, "ipv6") {
		t.Errorf("tags %v (want []), features %v", root.Droplet.Tags, root.Droplet.Features)
	}
}

func TestDelete(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	a := create(t, env, createReq("a", "doomed"))
	b := create(t, env, createReq("b", "doomed"))
	c := create(t, env, createReq("c"))
	resp, err := env.Client.Droplets.Delete(ctx, c.ID)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v", err)
	}
	_, _, err = env.Client.Droplets.Get(ctx, c.ID)
	wantStatus(t, err, http.StatusNotFound)
	_, err = env.Client.Droplets.Delete(ctx, c.ID)
	wantStatus(t, err, http.StatusNotFound)
	resp, err = env.Client.Droplets.DeleteByTag(ctx, "doomed")
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete by tag: %v", err)
	}
	for _, id := range []int{a.ID, b.ID} {
		_, _, err = env.Client.Droplets.Get(ctx, id)
		wantStatus(t, err, http.StatusNotFound)
	}
	d := create(t, env, createReq("d"))
	hr, body := raw(t, env, http.MethodDelete, "/v2/droplets/"+strconv.Itoa(d.ID), "", map[string]any{"reason": "test"})
	if hr.StatusCode != http.StatusNoContent || len(body) != 0 {
		t.Errorf("DELETE with a JSON body: %d %s", hr.StatusCode, body)
	}
	st := env.Sim.Stats()
	if st.DropletsCreated != 4 || st.DropletsDeleted != 4 || st.Droplets != 0 {
		t.Errorf("stats: %+v", st)
	}
}

func TestNotFound(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	for _, id := range []int{1, 999999999} {
		_, _, err := env.Client.Droplets.Get(ctx, id)
		er := wantStatus(t, err, http.StatusNotFound)
		if er.Message != "The resource you were accessing could not be found." || er.RequestID == "" {
			t.Errorf("404: %+v", er)
		}
	}
	_, _, err := env.Client.Actions.Get(ctx, 42)
	wantStatus(t, err, http.StatusNotFound)
	resp, body := raw(t, env, http.MethodGet, "/v2/no-such-thing", "", nil)
	checkErrorBody(t, resp, body, http.StatusNotFound, "not_found")
	resp, body = raw(t, env, http.MethodGet, "/v2/droplets/abc", "", nil)
	checkErrorBody(t, resp, body, http.StatusNotFound, "not_found")
}

func TestUnauthorized(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	resp, body := raw(t, env, http.MethodGet, "/v2/droplets", "-", nil)
	checkErrorBody(t, resp, body, http.StatusUnauthorized, "unauthorized")
	if resp, _ = raw(t, env, http.MethodGet, "/_sim/stats", "-", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("admin path without a token: %d", resp.StatusCode)
	}
	wrong := env.NewClient(t, "dop_v1_wrong", true)
	_, _, err := wrong.Droplets.List(context.Background(), nil)
	er := wantStatus(t, err, http.StatusUnauthorized)
	if er.Message != "Unable to authenticate you." || er.RequestID == "" || er.RequestID != er.Response.Header.Get("x-request-id") {
		t.Errorf("401 through godo: message %q, request ID %q, header %q", er.Message, er.RequestID, er.Response.Header.Get("x-request-id"))
	}
	if wrong.Rate.Limit == 0 {
		t.Errorf("a 401 carries no rate limit headers")
	}
}

// checkErrorBody checks DigitalOcean's error envelope and its request ID.
func checkErrorBody(t *testing.T, resp *http.Response, body []byte, status int, id string) {
	t.Helper()
	var eb struct {
		ID        string `json:"id"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if resp.StatusCode != status || eb.ID != id || eb.Message == "" {
		t.Errorf("got %d %+v, want %d with id %q", resp.StatusCode, eb, status, id)
	}
	if rid := resp.Header.Get("x-request-id"); rid == "" || rid != eb.RequestID {
		t.Errorf("x-request-id %q, body request_id %q", rid, eb.RequestID)
	}
	if resp.Header.Get("ratelimit-limit") == "" || resp.Header.Get("ratelimit-remaining") == "" || resp.Header.Get("ratelimit-reset") == "" {
		t.Errorf("%d answer without rate limit headers: %v", status, resp.Header)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("content type %q", resp.Header.Get("Content-Type"))
	}
}

func TestProvisioning(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1, Provision: 60 * time.Millisecond})
	ctx := context.Background()
	d, resp, err := env.Client.Droplets.Create(ctx, createReq("web-1"))
	if err != nil {
		t.Fatal(err)
	}
	actionID := resp.Links.Actions[0].ID
	if a, _, _ := env.Client.Actions.Get(ctx, actionID); a.Status != "in-progress" || a.CompletedAt != nil {
		t.Errorf("create action right after create: %s, completed %v", a.Status, a.CompletedAt)
	}
	if got := getDroplet(t, env, d.ID); got.Status != "new" {
		t.Errorf("droplet right after create: %s", got.Status)
	}
	d = waitStatus(t, env, d.ID, "active")
	pub, _ := d.PublicIPv4()
	priv, _ := d.PrivateIPv4()
	if !strings.HasPrefix(pub, "127.") || !strings.HasPrefix(priv, "10.") {
		t.Errorf("active droplet addresses: public %q private %q", pub, priv)
	}
	a, _, err := env.Client.Actions.Get(ctx, actionID)
	if err != nil || a.Status != "completed" || a.CompletedAt == nil {
		t.Errorf("create action once active: %+v, %v", a, err)
	}
	other := create(t, env, createReq("web-2"))
	if other = waitStatus(t, env, other.ID, "active"); mustIP(t, other) == pub {
		t.Errorf("two droplets share %s", pub)
	}
}

func mustIP(t *testing.T, d *godo.Droplet) string {
	t.Helper()
	ip, err := d.PublicIPv4()
	if err != nil || ip == "" {
		t.Fatalf("droplet %d has no public address: %v", d.ID, err)
	}
	return ip
}

func TestDropletActions(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1, Provision: 250 * time.Millisecond, ActionDelay: 250 * time.Millisecond})
	ctx := context.Background()
	d := create(t, env, createReq("app-1"))
	_, _, err := env.Client.DropletActions.Reboot(ctx, d.ID)
	wantStatus(t, err, http.StatusUnprocessableEntity) // still provisioning
	waitStatus(t, env, d.ID, "active")
	debian := create(t, env, &godo.DropletCreateRequest{Name: "deb", Region: "nyc3", Size: "s-1vcpu-1gb", Image: godo.DropletCreateImage{Slug: "debian-12-x64"}})
	steps := []struct {
		name  string
		do    func() (*godo.Action, *godo.Response, error)
		check func(*godo.Droplet) bool
	}{
		{"power_off", func() (*godo.Action, *godo.Response, error) { return env.Client.DropletActions.PowerOff(ctx, d.ID) },
			func(d *godo.Droplet) bool { return d.Status == "off" }},
		{"power_on", func() (*godo.Action, *godo.Response, error) { return env.Client.DropletActions.PowerOn(ctx, d.ID) },
			func(d *godo.Droplet) bool { return d.Status == "active" }},
		{"shutdown", func() (*godo.Action, *godo.Response, error) { return env.Client.DropletActions.Shutdown(ctx, d.ID) },
			func(d *godo.Droplet) bool { return d.Status == "off" }},
		{"power_on", func() (*godo.Action, *godo.Response, error) { return env.Client.DropletActions.PowerOn(ctx, d.ID) },
			func(d *godo.Droplet) bool { return d.Status == "active" }},
		{"reboot", func() (*godo.Action, *godo.Response, error) { return env.Client.DropletActions.Reboot(ctx, d.ID) },
			func(d *godo.Droplet) bool { return d.Status == "active" }},
		{"rename", func() (*godo.Action, *godo.Response, error) {
			return env.Client.DropletActions.Rename(ctx, d.ID, "app-renamed")
		},
			func(d *godo.Droplet) bool { return d.Name == "app-renamed" }},
		{"rebuild", func() (*godo.Action, *godo.Response, error) {
			return env.Client.DropletActions.RebuildByImageSlug(ctx, d.ID, "debian-12-x64")
		}, func(d *godo.Droplet) bool { return d.Image.Slug == "debian-12-x64" }},
		{"rebuild", func() (*godo.Action, *godo.Response, error) {
			return env.Client.DropletActions.RebuildByImageID(ctx, d.ID, debian.Image.ID)
		}, func(d *godo.Droplet) bool { return d.Image.ID == debian.Image.ID }},
		{"snapshot", func() (*godo.Action, *godo.Response, error) {
			return env.Client.DropletActions.Snapshot(ctx, d.ID, "app-1.0.0")
		},
			func(d *godo.Droplet) bool { return len(d.SnapshotIDs) == 1 }},
	}
	for _, step := range steps {
		a, resp, err := step.do()
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if resp.StatusCode != http.StatusCreated || a.Type != step.name || a.Status != "in-progress" || a.ResourceID != d.ID {
			t.Fatalf("%s: status %d, action %+v", step.name, resp.StatusCode, a)
		}
		if got := getDroplet(t, env, d.ID); !got.Locked {
			t.Errorf("%s: droplet not locked while its action runs", step.name)
		}
		_, _, err = env.Client.DropletActions.Reboot(ctx, d.ID)
		wantStatus(t, err, http.StatusUnprocessableEntity)
		waitFor(t, 2*time.Second, step.name+" completed", func() bool {
			got, _, err := env.Client.DropletActions.Get(ctx, d.ID, a.ID)
			return err == nil && got.Status == "completed" && got.CompletedAt != nil
		})
		if got := getDroplet(t, env, d.ID); got.Locked || !step.check(got) {
			t.Errorf("%s: after completion locked=%v status %s name %s image %d", step.name, got.Locked, got.Status, got.Name, got.Image.ID)
		}
	}
	_, _, err = env.Client.DropletActions.Rename(ctx, d.ID, "bad name")
	wantStatus(t, err, http.StatusUnprocessableEntity)
	_, _, err = env.Client.DropletActions.PowerOff(ctx, 12345)
	wantStatus(t, err, http.StatusNotFound)
	acts, _, err := env.Client.Droplets.Actions(ctx, d.ID, &godo.ListOptions{PerPage: 200})
	if err != nil || len(acts) != len(steps)+1 {
		t.Errorf("droplet actions: %d, %v; want %d (create + steps)", len(acts), err, len(steps)+1)
	}
}

func TestActionsByTagAndList(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	var ids []int
	for i := range 3 {
		ids = append(ids, create(t, env, createReq(fmt.Sprintf("edge-%d", i), "role:edge")).ID)
	}
	create(t, env, createReq("other"))
	for _, id := range ids {
		waitStatus(t, env, id, "active")
	}
	acts, resp, err := env.Client.DropletActions.PowerOffByTag(ctx, "role:edge")
	if err != nil || resp.StatusCode != http.StatusCreated || len(acts) != 3 {
		t.Fatalf("power off by tag: %d actions, %v", len(acts), err)
	}
	for _, id := range ids {
		waitStatus(t, env, id, "off")
	}
	all, resp, err := env.Client.Actions.List(ctx, &godo.ListOptions{PerPage: 5})
	if err != nil || resp.Meta.Total != 7 || len(all) != 5 || resp.Links.IsLastPage() {
		t.Fatalf("GET /v2/actions: %d of %d, %v", len(all), resp.Meta.Total, err)
	}
	one, _, err := env.Client.Actions.Get(ctx, acts[0].ID)
	if err != nil || one.Type != "power_off" || one.Status != "completed" {
		t.Errorf("GET /v2/actions/%d: %+v, %v", acts[0].ID, one, err)
	}
	hr, body := raw(t, env, http.MethodPost, "/v2/droplets/actions?tag_name=role:edge", "", map[string]any{"type": "rename", "name": "x"})
	checkErrorBody(t, hr, body, http.StatusUnprocessableEntity, "unprocessable_entity")
}

func TestDeleteEndsActions(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1, Provision: 200 * time.Millisecond, ActionDelay: time.Second})
	ctx := context.Background()
	short, resp, err := env.Client.Droplets.Create(ctx, createReq("short-lived"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.Droplets.Delete(ctx, short.ID); err != nil {
		t.Fatal(err)
	}
	if a, _, err := env.Client.Actions.Get(ctx, resp.Links.Actions[0].ID); err != nil || a.Status != "errored" {
		t.Errorf("the create of a droplet deleted while new: %+v, %v", a, err)
	}
	d := waitStatus(t, env, create(t, env, createReq("busy")).ID, "active")
	a, _, err := env.Client.DropletActions.Snapshot(ctx, d.ID, "busy-snap")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.Droplets.Delete(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if got, _, err := env.Client.Actions.Get(ctx, a.ID); err != nil || got.Status != "errored" {
		t.Errorf("a snapshot whose droplet was deleted: %+v, %v", got, err)
	}
}
