package dosim_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
)

func dropletRes(ids ...int) *godo.TagResourcesRequest {
	req := &godo.TagResourcesRequest{}
	for _, id := range ids {
		req.Resources = append(req.Resources, godo.Resource{ID: strconv.Itoa(id), Type: godo.DropletResourceType})
	}
	return req
}

func untagRes(ids ...int) *godo.UntagResourcesRequest {
	return &godo.UntagResourcesRequest{Resources: dropletRes(ids...).Resources}
}

func TestTagCreate(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	tag, resp, err := env.Client.Tags.Create(ctx, &godo.TagCreateRequest{Name: "canary"})
	wantCode(t, "create tag", resp, err, http.StatusCreated)
	if tag.Name != "canary" || tag.Resources == nil || tag.Resources.Count != 0 || tag.Resources.Droplets == nil || tag.Resources.Droplets.Count != 0 {
		t.Errorf("new tag: %+v", tag)
	}
	for _, bad := range []string{"", "two words", "slash/tag", strings.Repeat("x", 256)} {
		_, _, err := env.Client.Tags.Create(ctx, &godo.TagCreateRequest{Name: bad})
		if er := wantStatus(t, err, http.StatusBadRequest); !strings.Contains(er.Message, "Error validating resource tag") {
			t.Errorf("invalid tag %q: %q", bad, er.Message)
		}
	}
	_, _, err = env.Client.Tags.Get(ctx, "nosuchtag")
	wantStatus(t, err, http.StatusNotFound)
	list, _, err := env.Client.Tags.List(ctx, nil)
	if err != nil || !slices.ContainsFunc(list, func(t godo.Tag) bool { return t.Name == "canary" }) {
		t.Errorf("list tags: %v, %v", list, err)
	}
}

func TestTagAndUntagDroplets(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	a := createIn(t, env, "a", "nyc3")
	b := createIn(t, env, "b", "nyc3")
	resp, err := env.Client.Tags.TagResources(ctx, "rollout:r1", dropletRes(b.ID))
	wantCode(t, "tag b", resp, err, http.StatusNoContent)
	resp, err = env.Client.Tags.TagResources(ctx, "rollout:r1", dropletRes(a.ID))
	wantCode(t, "tag a", resp, err, http.StatusNoContent)
	got, _, err := env.Client.Droplets.ListByTag(ctx, "rollout:r1", nil)
	if err != nil || !slices.Equal(dropletIDs(got), []int{a.ID, b.ID}) {
		t.Fatalf("list by the new tag: %v, %v", dropletIDs(got), err)
	}
	tag, _, err := env.Client.Tags.Get(ctx, "rollout:r1")
	if err != nil {
		t.Fatal(err)
	}
	res := tag.Resources
	wantURI := env.URL + "/v2/droplets/" + strconv.Itoa(a.ID)
	if res.Count != 2 || res.Droplets.Count != 2 || res.LastTaggedURI != wantURI || res.Droplets.LastTaggedURI != wantURI ||
		res.Droplets.LastTagged == nil || res.Droplets.LastTagged.ID != a.ID {
		t.Errorf("tag resources after tagging b then a: %+v droplets %+v", res, res.Droplets)
	}
	resp, err = env.Client.Tags.UntagResources(ctx, "rollout:r1", untagRes(a.ID))
	wantCode(t, "untag a", resp, err, http.StatusNoContent)
	got, _, _ = env.Client.Droplets.ListByTag(ctx, "rollout:r1", nil)
	if !slices.Equal(dropletIDs(got), []int{b.ID}) {
		t.Errorf("after untagging a: %v", dropletIDs(got))
	}
	if tags := getDroplet(t, env, a.ID).Tags; len(tags) != 0 {
		t.Errorf("droplet a still has tags %v", tags)
	}
	resp, err = env.Client.Tags.Delete(ctx, "rollout:r1")
	wantCode(t, "delete tag", resp, err, http.StatusNoContent)
	if tags := getDroplet(t, env, b.ID).Tags; len(tags) != 0 {
		t.Errorf("deleting a tag should untag droplet b, which has %v", tags)
	}
	_, _, err = env.Client.Tags.Get(ctx, "rollout:r1")
	wantStatus(t, err, http.StatusNotFound)
}

func TestTagResourceErrors(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	d := createIn(t, env, "x", "nyc3")
	cases := []struct {
		name   string
		tag    string
		res    godo.Resource
		status int
	}{
		{"unknown droplet", "ok", godo.Resource{ID: "1", Type: godo.DropletResourceType}, http.StatusNotFound},
		{"droplet ID not a number", "ok", godo.Resource{ID: "abc", Type: godo.DropletResourceType}, http.StatusNotFound},
		{"unknown volume", "ok", godo.Resource{ID: "nope", Type: godo.VolumeResourceType}, http.StatusNotFound},
		{"no volume snapshots", "ok", godo.Resource{ID: "nope", Type: godo.VolumeSnapshotResourceType}, http.StatusNotFound},
		{"untaggable type", "ok", godo.Resource{ID: "x", Type: godo.LoadBalancerResourceType}, http.StatusUnprocessableEntity},
		{"invalid tag", "bad%20tag", godo.Resource{ID: strconv.Itoa(d.ID), Type: godo.DropletResourceType}, http.StatusUnprocessableEntity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := env.Client.Tags.TagResources(ctx, c.tag, &godo.TagResourcesRequest{Resources: []godo.Resource{c.res}})
			wantStatus(t, err, c.status)
		})
	}
	_, err := env.Client.Tags.UntagResources(ctx, "never-made", untagRes(d.ID))
	wantStatus(t, err, http.StatusNotFound)
	if resp, body := raw(t, env, http.MethodPost, "/v2/tags/ok/resources", "", map[string]any{
		"resources": []map[string]any{{"resource_id": d.ID, "resource_type": "droplet"}}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a numeric resource_id: %d %s, want 400", resp.StatusCode, body)
	}
	if tags := getDroplet(t, env, d.ID).Tags; len(tags) != 0 {
		t.Errorf("failed requests tagged the droplet: %v", tags)
	}
}

func TestTagImagesAndVolumes(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	images, _, err := env.Client.Images.ListUser(ctx, nil)
	if err != nil || len(images) == 0 {
		t.Fatalf("private images: %v", err)
	}
	vols, _, err := env.Client.Storage.ListVolumes(ctx, nil)
	if err != nil || len(vols) == 0 {
		t.Fatalf("volumes: %v", err)
	}
	req := &godo.TagResourcesRequest{Resources: []godo.Resource{
		{ID: strconv.Itoa(images[0].ID), Type: godo.ImageResourceType},
		{ID: vols[0].ID, Type: godo.VolumeResourceType},
	}}
	if _, err := env.Client.Tags.TagResources(ctx, "keep", req); err != nil {
		t.Fatal(err)
	}
	tagged, _, err := env.Client.Images.ListByTag(ctx, "keep", nil)
	if err != nil || len(tagged) != 1 || tagged[0].ID != images[0].ID {
		t.Errorf("images by tag: %v, %v", tagged, err)
	}
	v, _, err := env.Client.Storage.GetVolume(ctx, vols[0].ID)
	if err != nil || !hasTag(v.Tags, "keep") {
		t.Errorf("volume tags: %v, %v", v, err)
	}
	tag, _, err := env.Client.Tags.Get(ctx, "keep")
	if err != nil {
		t.Fatal(err)
	}
	r := tag.Resources
	if r.Count != 2 || r.Images.Count != 1 || r.Volumes.Count != 1 || r.Droplets.Count != 0 ||
		r.Volumes.LastTaggedURI != env.URL+"/v2/volumes/"+vols[0].ID {
		t.Errorf("tag resources: %+v images %+v volumes %+v", r, r.Images, r.Volumes)
	}
}

func TestTagListCountsSeededTags(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	tags, resp, err := env.Client.Tags.List(ctx, &godo.ListOptions{PerPage: 200})
	wantCode(t, "list tags", resp, err, http.StatusOK)
	names := []string{}
	for _, tag := range tags {
		names = append(names, tag.Name)
		if tag.Name != "role:web" {
			continue
		}
		web := listAll(t, env, "role:web", 200)
		if tag.Resources.Droplets.Count != len(web) || tag.Resources.Images.Count != 5 {
			t.Errorf("role:web counts %d droplets and %d images, want %d and 5",
				tag.Resources.Droplets.Count, tag.Resources.Images.Count, len(web))
		}
	}
	if !slices.IsSorted(names) || !slices.Contains(names, "env:prod") || !slices.Contains(names, "role:web") {
		t.Errorf("tags %v, want the seeded ones in order", names)
	}
}
