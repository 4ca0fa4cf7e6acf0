package dosim_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/digitalocean/godo"
)

func TestSnapshotList(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	private, _, err := env.Client.Images.ListUser(ctx, &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	snaps, resp, err := env.Client.Snapshots.ListDroplet(ctx, &godo.ListOptions{PerPage: 200})
	wantCode(t, "list droplet snapshots", resp, err, http.StatusOK)
	if len(snaps) != len(private) {
		t.Fatalf("%d droplet snapshots, want one per private image (%d)", len(snaps), len(private))
	}
	for i, s := range snaps {
		if s.ID != strconv.Itoa(private[i].ID) || s.Name != private[i].Name || s.ResourceType != "droplet" || s.ResourceID == "" {
			t.Errorf("snapshot %d: %+v, image %d %q", i, s, private[i].ID, private[i].Name)
		}
	}
	all, _, err := env.Client.Snapshots.List(ctx, &godo.ListOptions{PerPage: 200})
	if err != nil || len(all) != len(snaps) {
		t.Errorf("all snapshots: %d, %v; want the %d droplet snapshots", len(all), err, len(snaps))
	}
	vols, _, err := env.Client.Snapshots.ListVolume(ctx, nil)
	if err != nil || len(vols) != 0 {
		t.Errorf("volume snapshots: %d, %v; want none", len(vols), err)
	}
	ubuntu, _, _ := env.Client.Images.GetBySlug(ctx, "ubuntu-24-04-x64")
	_, _, err = env.Client.Snapshots.Get(ctx, strconv.Itoa(ubuntu.ID))
	wantStatus(t, err, http.StatusNotFound)
}

func TestSnapshotOfDroplet(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	d := waitStatus(t, env, createIn(t, env, "snap-me", "fra1").ID, "active")
	a, _, err := env.Client.DropletActions.Snapshot(ctx, d.ID, "snap-me-1")
	if err != nil {
		t.Fatal(err)
	}
	waitAction(t, "snapshot", func(ctx context.Context) (*godo.Action, *godo.Response, error) {
		return env.Client.Actions.Get(ctx, a.ID)
	})
	d = getDroplet(t, env, d.ID)
	if len(d.SnapshotIDs) != 1 {
		t.Fatalf("droplet snapshot_ids %v, want one", d.SnapshotIDs)
	}
	id := strconv.Itoa(d.SnapshotIDs[0])
	snap, resp, err := env.Client.Snapshots.Get(ctx, id)
	wantCode(t, "get snapshot", resp, err, http.StatusOK)
	if snap.Name != "snap-me-1" || snap.ResourceID != strconv.Itoa(d.ID) || !slices.Equal(snap.Regions, []string{"fra1"}) {
		t.Errorf("snapshot: %+v", snap)
	}
	resp, err = env.Client.Snapshots.Delete(ctx, id)
	wantCode(t, "delete snapshot", resp, err, http.StatusNoContent)
	_, _, err = env.Client.Snapshots.Get(ctx, id)
	wantStatus(t, err, http.StatusNotFound)
	_, _, err = env.Client.Images.GetByID(ctx, d.SnapshotIDs[0])
	wantStatus(t, err, http.StatusNotFound)
	if ids := getDroplet(t, env, d.ID).SnapshotIDs; len(ids) != 0 {
		t.Errorf("the droplet still lists deleted snapshots %v", ids)
	}
}
