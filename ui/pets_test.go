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

// A pool whose members run a distribution image (a template of a base image and user
// data) keeps its members and its rows: they are the pool's, not pets.
func TestPoolMembersOnADistributionImageStayWithTheirPool(t *testing.T) {
	t.Parallel()
	servers, pools := poolDemoFleet(t)
	ubuntu := fleet.Version{ImageID: 999, Name: "24.04 (LTS) x64", Type: "base", Distribution: "Ubuntu", CreatedAt: clock()}
	members := 0
	for i := range servers {
		if servers[i].Pool != "" {
			servers[i].Image = ubuntu
			members++
		}
	}
	if members == 0 {
		t.Fatal("the pool demo has no members")
	}
	m := loaded(t, servers, 120, 60, func(d *Deps) { d.Pools = func() []fleet.Pool { return pools } })
	if m.fleet.list.rows.header("pool:api:0") < 0 {
		t.Fatal("the pool's rows are gone from the fleet list")
	}
	if head := m.fleet.list.rows.header("role:" + petsKey); head >= 0 {
		for _, id := range m.fleet.list.rows.At(head).ids() {
			if srv := m.fleet.list.servers[id]; srv.Pool != "" {
				t.Errorf("pool member %s is listed as a pet", srv.Name)
			}
		}
	}
}

// On the pets header, E selects the pets past their role's max age, and only them.
func TestSelectingAFindingOnThePetsHeaderSelectsPets(t *testing.T) {
	t.Parallel()
	m := audited(t, 120, 40)
	head := m.fleet.list.rows.header("role:" + petsKey)
	if head < 0 {
		t.Fatal("no pets section")
	}
	m.fleet.list.cursor = head
	pets := map[int]bool{}
	for _, id := range m.fleet.list.rows.At(head).ids() {
		pets[id] = true
	}
	m = press(t, m, "E")
	if len(m.fleet.list.selected) == 0 {
		t.Fatalf("E on the pets header selected nothing (%q); the demo's pets are past 60d", m.common.notice.text)
	}
	for id := range m.fleet.list.selected {
		if !pets[id] {
			t.Errorf("E on the pets header selected %s, which is no pet", m.fleet.list.servers[id].Name)
		}
	}
	if !strings.Contains(m.common.notice.text, "in the pets") {
		t.Errorf("the notice says %q; want it to name the pets", m.common.notice.text)
	}
}
