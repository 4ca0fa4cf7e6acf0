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

// attachedVolume returns a demo volume attached to a droplet.
func attachedVolume(t *testing.T, env *dosimtest.Env) godo.Volume {
	t.Helper()
	vols, resp, err := env.Client.Storage.ListVolumes(context.Background(), nil)
	wantCode(t, "list volumes", resp, err, http.StatusOK)
	for _, v := range vols {
		if len(v.DropletIDs) == 1 {
			return v
		}
	}
	t.Fatalf("no attached volume in %+v", vols)
	return godo.Volume{}
}

func getVolume(t *testing.T, env *dosimtest.Env, id string) *godo.Volume {
	t.Helper()
	v, _, err := env.Client.Storage.GetVolume(context.Background(), id)
	if err != nil {
		t.Fatalf("get volume %s: %v", id, err)
	}
	return v
}

func TestVolumeList(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	cases := []struct {
		name   string
		params *godo.ListVolumeParams
		want   int
	}{
		{"all", nil, 4},
		{"by name", &godo.ListVolumeParams{Name: "worker-data-4"}, 1},
		{"by name and region", &godo.ListVolumeParams{Name: "worker-data-4", Region: "fra1"}, 0},
		{"by region", &godo.ListVolumeParams{Region: "fra1"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vols, _, err := env.Client.Storage.ListVolumes(ctx, c.params)
			if err != nil || len(vols) != c.want {
				t.Fatalf("%d volumes, %v; want %d", len(vols), err, c.want)
			}
			for _, v := range vols {
				if c.params != nil && ((c.params.Name != "" && v.Name != c.params.Name) || (c.params.Region != "" && v.Region.Slug != c.params.Region)) {
					t.Errorf("volume %s in %s does not match %+v", v.Name, v.Region.Slug, c.params)
				}
			}
		})
	}
	_, _, err := env.Client.Storage.GetVolume(ctx, "506f78a4-e098-11e5-ad9f-000f53306aff")
	wantStatus(t, err, http.StatusNotFound)
}

func TestVolumeDetachThenAttachElsewhere(t *testing.T) {
	// Long enough an action that the refusals below meet it in progress on a busy machine.
	env := start(t, dosim.Config{HealthPort: -1, ActionDelay: 250 * time.Millisecond})
	ctx := context.Background()
	v := attachedVolume(t, env)
	owner := v.DropletIDs[0]
	next := createIn(t, env, "worker-next", v.Region.Slug)
	_, _, err := env.Client.StorageActions.Attach(ctx, v.ID, next.ID)
	wantStatus(t, err, http.StatusUnprocessableEntity) // still attached to its owner
	a, resp, err := env.Client.StorageActions.DetachByDropletID(ctx, v.ID, owner)
	wantCode(t, "detach", resp, err, http.StatusAccepted)
	if a.Status != "in-progress" || a.Type != "detach_volume" || a.ResourceType != "volume" || a.RegionSlug != v.Region.Slug {
		t.Errorf("detach action: %+v", a)
	}
	_, _, err = env.Client.StorageActions.Attach(ctx, v.ID, next.ID)
	wantStatus(t, err, http.StatusUnprocessableEntity) // a detach is in progress
	waitAction(t, "detach", func(ctx context.Context) (*godo.Action, *godo.Response, error) {
		return env.Client.StorageActions.Get(ctx, v.ID, a.ID)
	})
	if got := getVolume(t, env, v.ID).DropletIDs; len(got) != 0 {
		t.Errorf("after detach the volume lists %v", got)
	}
	if ids := getDroplet(t, env, owner).VolumeIDs; slices.Contains(ids, v.ID) {
		t.Errorf("after detach droplet %d still lists %v", owner, ids)
	}
	a, resp, err = env.Client.StorageActions.Attach(ctx, v.ID, next.ID)
	wantCode(t, "attach", resp, err, http.StatusAccepted)
	waitAction(t, "attach", func(ctx context.Context) (*godo.Action, *godo.Response, error) {
		return env.Client.StorageActions.Get(ctx, v.ID, a.ID)
	})
	if got := getVolume(t, env, v.ID).DropletIDs; !slices.Equal(got, []int{next.ID}) {
		t.Errorf("after attach the volume lists %v, want [%d]", got, next.ID)
	}
	if ids := getDroplet(t, env, next.ID).VolumeIDs; !slices.Equal(ids, []string{v.ID}) {
		t.Errorf("after attach droplet %d lists %v", next.ID, ids)
	}
	actions, _, err := env.Client.StorageActions.List(ctx, v.ID, nil)
	if err != nil || len(actions) != 2 || actions[0].Type != "attach_volume" || actions[1].Type != "detach_volume" { // newest first
		t.Errorf("volume actions: %+v, %v", actions, err)
	}
}

func TestVolumeActionErrors(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	v := attachedVolume(t, env)
	elsewhere := "fra1"
	if v.Region.Slug == elsewhere {
		elsewhere = "sfo3"
	}
	far := createIn(t, env, "far", elsewhere)
	near := createIn(t, env, "near", v.Region.Slug)
	cases := []struct {
		name    string
		attach  bool
		droplet int
		status  int
	}{
		{"attach to another region", true, far.ID, http.StatusUnprocessableEntity},
		{"attach to its own droplet again", true, v.DropletIDs[0], http.StatusUnprocessableEntity},
		{"attach to an unknown droplet", true, 1, http.StatusNotFound},
		{"detach from a droplet it is not on", false, near.ID, http.StatusUnprocessableEntity},
		{"detach from an unknown droplet", false, 1, http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.attach {
				_, _, err = env.Client.StorageActions.Attach(ctx, v.ID, c.droplet)
			} else {
				_, _, err = env.Client.StorageActions.DetachByDropletID(ctx, v.ID, c.droplet)
			}
			wantStatus(t, err, c.status)
		})
	}
	_, _, err := env.Client.StorageActions.Attach(ctx, "506f78a4-e098-11e5-ad9f-000f53306aff", near.ID)
	wantStatus(t, err, http.StatusNotFound)
	_, _, err = env.Client.StorageActions.Resize(ctx, v.ID, int(v.SizeGigaBytes)-1, v.Region.Slug)
	wantStatus(t, err, http.StatusUnprocessableEntity)
	if got := getVolume(t, env, v.ID); !slices.Equal(got.DropletIDs, v.DropletIDs) || got.SizeGigaBytes != v.SizeGigaBytes {
		t.Errorf("refused actions changed the volume: %+v", got)
	}
}

func TestVolumeResize(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	v := attachedVolume(t, env)
	a, resp, err := env.Client.StorageActions.Resize(ctx, v.ID, int(v.SizeGigaBytes)*2, v.Region.Slug)
	wantCode(t, "resize", resp, err, http.StatusAccepted)
	waitAction(t, "resize", func(ctx context.Context) (*godo.Action, *godo.Response, error) {
		return env.Client.StorageActions.Get(ctx, v.ID, a.ID)
	})
	if got := getVolume(t, env, v.ID).SizeGigaBytes; got != v.SizeGigaBytes*2 {
		t.Errorf("size after resize: %d, want %d", got, v.SizeGigaBytes*2)
	}
}
