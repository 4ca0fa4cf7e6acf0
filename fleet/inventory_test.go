package fleet_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// fingerprint lists the servers by ID with what a refresh must get right.
func fingerprint(servers []fleet.Server) []string {
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = strings.Join([]string{s.Name, s.Status, s.Region, s.Image.Name, strings.Join(s.Tags, ",")}, "|")
	}
	slices.Sort(out)
	return out
}

// TestInventoryUpdateReadsOnlyTheChangedDroplets changes three droplets of a thousand (one
// created, one destroyed, one tagged) and updates the inventory with their IDs: three
// requests, and the same fleet as a full read.
func TestInventoryUpdateReadsOnlyTheChangedDroplets(t *testing.T) {
	// The new droplet stays "new" for the test: its status is compared.
	env := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: 1000, HealthPort: -1, Provision: time.Hour})
	inv := fleet.NewInventory(env.Client, fleet.LoadOptions{})
	before, err := inv.Reload(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	created := createLike(t, env.Client)
	destroyed, tagged := before[10].ID, before[20].ID
	if _, err := env.Client.Droplets.Delete(t.Context(), destroyed); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.Tags.TagResources(t.Context(), "role:web", &godo.TagResourcesRequest{
		Resources: []godo.Resource{{ID: itoa(tagged), Type: godo.DropletResourceType}}}); err != nil {
		t.Fatal(err)
	}
	requests := env.Sim.Stats().Requests
	after, err := inv.Update(t.Context(), created, destroyed, tagged)
	if err != nil {
		t.Fatal(err)
	}
	if n := env.Sim.Stats().Requests - requests; n != 3 {
		t.Errorf("the update made %d requests, want 3", n)
	}
	full, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fingerprint(after), fingerprint(full)) {
		t.Fatalf("after the update the inventory has %d servers, a full read %d; they differ", len(after), len(full))
	}
	if snap, fullAt := inv.Snapshot(); len(snap) != len(after) || fullAt.IsZero() || fullAt.After(inv.UpdatedAt()) {
		t.Fatalf("snapshot of %d servers, full read at %v, updated at %v", len(snap), fullAt, inv.UpdatedAt())
	}
	if len(before) != 1000 || before[10].ID != destroyed {
		t.Fatal("the update changed the snapshot an earlier caller holds")
	}
}

func TestInventoryByTagDropsADropletThatLostTheTag(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	inv := fleet.NewInventory(env.Client, fleet.LoadOptions{Tag: "role:worker"})
	before, err := inv.Reload(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	id := before[0].ID
	if _, err := env.Client.Tags.UntagResources(t.Context(), "role:worker", &godo.UntagResourcesRequest{
		Resources: []godo.Resource{{ID: itoa(id), Type: godo.DropletResourceType}}}); err != nil {
		t.Fatal(err)
	}
	after, err := inv.Update(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before)-1 || slices.ContainsFunc(after, func(s fleet.Server) bool { return s.ID == id }) {
		t.Fatalf("after untagging droplet %d the inventory has %d of %d servers, want it gone", id, len(after), len(before))
	}
}

func itoa(id int) string { return strconv.Itoa(id) }
