package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/fleet"
)

// petFleet is web on its own snapshot, a web server built from a distribution image by
// hand (a pet), one molt made from a distribution image (not a pet: it carries its
// create's tag), and a server with no role tag (a pet).
func petFleet() []fleet.Server {
	at := clock().Add(-30 * 24 * time.Hour)
	snap := fleet.Version{ImageID: 10, Name: "web-1.2.0", Type: "snapshot", CreatedAt: at, Semver: fleet.ParseSemver("web-1.2.0")}
	ubuntu := fleet.Version{ImageID: 20, Name: "24.04 (LTS) x64", Type: "base", Distribution: "Ubuntu", CreatedAt: at}
	srv := func(id int, name string, im fleet.Version, tags ...string) fleet.Server {
		return fleet.Server{ID: id, Name: name, Region: "nyc3", Size: "s-1vcpu-1gb", Status: "active", CreatedAt: at, Image: im, Tags: tags}
	}
	return []fleet.Server{
		srv(1, "web-01", snap, "role:web"),
		srv(2, "web-02", snap, "role:web"),
		srv(3, "web-hand", ubuntu, "role:web"),
		srv(4, "web-molt", ubuntu, "role:web", "molt:r1:g1"),
		srv(5, "scratch", snap),
	}
}

func TestPetsAreASectionOfTheirOwn(t *testing.T) {
	sp := fleet.NewSpread(petFleet(), fleet.Options{Now: clock()})
	type want struct {
		role, release string
		pet           bool
		names         []string
	}
	var got []want
	for _, g := range sortedGroups(sp, sortName, false, nil) {
		w := want{role: g.role, release: g.release.Label, pet: g.pet}
		for _, s := range g.members {
			w.names = append(w.names, s.Name)
		}
		got = append(got, w)
	}
	wantGroups := []want{
		{role: "web", release: "web-1.2.0", names: []string{"web-01", "web-02"}},
		{role: "web", release: "24.04 (LTS) x64", names: []string{"web-molt"}},
		{role: "web", release: "24.04 (LTS) x64", pet: true, names: []string{"web-hand"}},
		{role: fleet.NoRole, release: "web-1.2.0", pet: true, names: []string{"scratch"}},
	}
	if !slices.EqualFunc(got, wantGroups, func(a, b want) bool {
		return a.role == b.role && a.release == b.release && a.pet == b.pet && slices.Equal(a.names, b.names)
	}) {
		t.Fatalf("groups:\n got %+v\nwant %+v", got, wantGroups)
	}

	m := loaded(t, petFleet(), 120, 40)
	head := m.fleet.list.rows.header("role:" + petsKey)
	if head < 0 {
		t.Fatal("no pets section in the fleet list")
	}
	r := m.fleet.list.rows.At(head)
	if ids := r.ids(); !slices.Equal(ids, []int{3, 5}) || r.count != 2 {
		t.Errorf("the pets section holds %v (%d), want servers 3 and 5", ids, r.count)
	}
	if m.fleet.list.rows.header("role:"+fleet.NoRole) >= 0 {
		t.Error("servers without a role tag still have a role header of their own; they are pets")
	}
	for i := range m.fleet.list.rows.Len() {
		if row := m.fleet.list.rows.At(i); row.kind == rowServer && (row.server.ID == 3 || row.server.ID == 5) && i < head {
			t.Errorf("pet %s is listed above the pets section, at row %d", row.server.Name, i)
		}
	}
	m.fleet.list.cursor = head
	view := screen(m)
	for _, s := range []string{"♥ pets  2 servers · outside the immutable model", "♥ web  24.04 (LTS) x64", "♥ no role  web-1.2.0", "roles    no role 1 · web 1"} {
		if !strings.Contains(view, s) {
			t.Errorf("the fleet screen does not show %q:\n%s", s, view)
		}
	}
}
