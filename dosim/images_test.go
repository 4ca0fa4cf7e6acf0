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

// allImages pages through an image listing, three at a time to exercise the links.
func allImages(t *testing.T, list func(context.Context, *godo.ListOptions) ([]godo.Image, *godo.Response, error)) []godo.Image {
	t.Helper()
	var out []godo.Image
	opt := &godo.ListOptions{Page: 1, PerPage: 3}
	for {
		page, resp, err := list(context.Background(), opt)
		if err != nil {
			t.Fatalf("list images page %d: %v", opt.Page, err)
		}
		out = append(out, page...)
		if resp.Meta == nil || resp.Links == nil || resp.Links.IsLastPage() {
			return out
		}
		opt.Page++
	}
}

func TestImageListFilters(t *testing.T) {
	t.Parallel()
	env := startDemo(t)
	c := env.Client.Images
	byTag := func(ctx context.Context, opt *godo.ListOptions) ([]godo.Image, *godo.Response, error) {
		return c.ListByTag(ctx, "role:web", opt)
	}
	all := allImages(t, c.List)
	const distributions = 9 // the catalogue's public images
	cases := []struct {
		name string
		list func(context.Context, *godo.ListOptions) ([]godo.Image, *godo.Response, error)
		want int
		each func(godo.Image) bool
	}{
		{"all", c.List, len(all), func(godo.Image) bool { return true }},
		{"distribution", c.ListDistribution, distributions, func(im godo.Image) bool { return im.Public && im.Type == "base" && im.Slug != "" }},
		{"private", c.ListUser, len(all) - distributions, func(im godo.Image) bool { return !im.Public && im.Type == "snapshot" && im.Slug == "" }},
		{"application", c.ListApplication, 0, nil},
		// Four versions of web and the broken build.
		{"tag", byTag, 5, func(im godo.Image) bool { return strings.HasPrefix(im.Name, "web-") && hasTag(im.Tags, "role:web") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := allImages(t, tc.list)
			if len(got) != tc.want {
				t.Fatalf("%d images, want %d", len(got), tc.want)
			}
			for i, im := range got {
				if !tc.each(im) {
					t.Errorf("image %d %q (%s, public %v, tags %v) does not belong", im.ID, im.Name, im.Type, im.Public, im.Tags)
				}
				if i > 0 && got[i-1].ID >= im.ID {
					t.Errorf("images out of ID order at %d", i)
				}
			}
		})
	}
	if len(all) < 10 {
		t.Errorf("the demo seed has %d images, want the distributions and every role's snapshots", len(all))
	}
}

func TestImageGetBySlugAndID(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	im, resp, err := env.Client.Images.GetBySlug(ctx, "debian-12-x64")
	wantCode(t, "get by slug", resp, err, http.StatusOK)
	if im.Distribution != "Debian" || !im.Public || im.Status != "available" || len(im.Regions) == 0 {
		t.Errorf("debian image: %+v", im)
	}
	again, _, err := env.Client.Images.GetByID(ctx, im.ID)
	if err != nil || again.Slug != "debian-12-x64" {
		t.Errorf("get by ID %d: %+v, %v", im.ID, again, err)
	}
	_, _, err = env.Client.Images.GetBySlug(ctx, "windows-95")
	wantStatus(t, err, http.StatusNotFound)
	_, _, err = env.Client.Images.GetByID(ctx, 1)
	wantStatus(t, err, http.StatusNotFound)
}

func TestImageUpdate(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	private, _, err := env.Client.Images.ListUser(ctx, nil)
	if err != nil || len(private) == 0 {
		t.Fatalf("list private images: %d, %v", len(private), err)
	}
	im, resp, err := env.Client.Images.Update(ctx, private[0].ID, &godo.ImageUpdateRequest{Name: "renamed", Distribution: "Debian"})
	wantCode(t, "rename", resp, err, http.StatusOK)
	if im.Name != "renamed" || im.Distribution != "Debian" {
		t.Errorf("after update: %q %q", im.Name, im.Distribution)
	}
	ubuntu, _, _ := env.Client.Images.GetBySlug(ctx, "ubuntu-24-04-x64")
	_, _, err = env.Client.Images.Update(ctx, ubuntu.ID, &godo.ImageUpdateRequest{Name: "mine now"})
	wantStatus(t, err, http.StatusNotFound)
	path := "/v2/images/" + strconv.Itoa(private[0].ID)
	for _, body := range []map[string]string{{"name": ""}, {"distribution": "Windows"}} {
		if resp, data := raw(t, env, http.MethodPut, path, "", body); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("PUT %v: %d %s, want 422", body, resp.StatusCode, data)
		}
	}
}

func TestImageDeleteKeepsDroplets(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	web, _, err := env.Client.Droplets.ListByTag(ctx, "role:web", &godo.ListOptions{PerPage: 200})
	if err != nil || len(web) == 0 {
		t.Fatalf("list web droplets: %v", err)
	}
	d := web[0]
	resp, err := env.Client.Images.Delete(ctx, d.Image.ID)
	wantCode(t, "delete image", resp, err, http.StatusNoContent)
	_, _, err = env.Client.Images.GetByID(ctx, d.Image.ID)
	wantStatus(t, err, http.StatusNotFound)
	after := getDroplet(t, env, d.ID)
	if after.Image == nil || after.Image.ID != d.Image.ID || after.Image.Status != "deleted" {
		t.Errorf("a droplet built from a deleted image should still show it, got %+v", after.Image)
	}
	ubuntu, _, _ := env.Client.Images.GetBySlug(ctx, "ubuntu-24-04-x64")
	_, err = env.Client.Images.Delete(ctx, ubuntu.ID)
	wantStatus(t, err, http.StatusNotFound)
	_, err = env.Client.Images.Delete(ctx, d.Image.ID)
	wantStatus(t, err, http.StatusNotFound)
}

func TestImageActions(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{HealthPort: -1, DemoExtras: true})
	ctx := context.Background()
	web, _, err := env.Client.Images.ListByTag(ctx, "role:web", nil)
	if err != nil || len(web) == 0 {
		t.Fatal(err)
	}
	im := web[0]
	_, _, err = env.Client.ImageActions.Transfer(ctx, im.ID, &godo.ActionRequest{"type": "transfer", "region": im.Regions[0]})
	wantStatus(t, err, http.StatusUnprocessableEntity) // already there
	a, resp, err := env.Client.ImageActions.Transfer(ctx, im.ID, &godo.ActionRequest{"type": "transfer", "region": "lon1"})
	wantCode(t, "transfer", resp, err, http.StatusCreated)
	waitAction(t, "transfer", func(ctx context.Context) (*godo.Action, *godo.Response, error) {
		return env.Client.ImageActions.Get(ctx, im.ID, a.ID)
	})
	if got, _, _ := env.Client.Images.GetByID(ctx, im.ID); !slices.Contains(got.Regions, "lon1") {
		t.Errorf("after the transfer the image is in %v", got.Regions)
	}
	_, _, err = env.Client.ImageActions.Convert(ctx, im.ID)
	wantStatus(t, err, http.StatusUnprocessableEntity) // a snapshot, not a backup
	var pet godo.Droplet
	for _, d := range listAll(t, env, "role:bastion", 200) {
		pet = d
	}
	backup := pet.BackupIDs[0]
	a, resp, err = env.Client.ImageActions.Convert(ctx, backup)
	wantCode(t, "convert", resp, err, http.StatusCreated)
	waitAction(t, "convert", func(ctx context.Context) (*godo.Action, *godo.Response, error) {
		return env.Client.ImageActions.Get(ctx, backup, a.ID)
	})
	if got, _, _ := env.Client.Images.GetByID(ctx, backup); got.Type != "snapshot" {
		t.Errorf("a converted backup is a %s", got.Type)
	}
}
