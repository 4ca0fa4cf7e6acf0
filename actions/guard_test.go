package actions

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/fleet"
)

func TestImageRole(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    fleet.Version
		role string // "" for none
	}{
		{fleet.Version{Name: "edge-1.2.0"}, "edge"},
		{fleet.Version{Name: "web-api-2.0.0-rc1"}, "web-api"},
		{fleet.Version{Name: "web_v1.4.2"}, "web"},
		{fleet.Version{Name: "worker 2.1.0"}, "worker"},
		{fleet.Version{Name: "1.2.0"}, ""},
		{fleet.Version{Name: "v1.2.0"}, ""},
		{fleet.Version{Name: "web-latest"}, ""},
		{fleet.Version{Name: "ubuntu-24-04-x64"}, ""},
		{fleet.Version{Name: "24.04 (LTS) x64", Type: "base"}, ""},
		{fleet.Version{Name: "golden-2024", Tags: []string{"env:prod", "role:worker"}}, "worker"},
		{fleet.Version{Name: "edge-1.2.0", Tags: []string{"role:web"}}, "web"},
	} {
		role, ok := ImageRole(tc.v)
		if ok != (tc.role != "") || role != tc.role {
			t.Errorf("ImageRole(%q, tags %v) = %q, %v; want %q", tc.v.Name, tc.v.Tags, role, ok, tc.role)
		}
	}
}

var (
	edge11 = fleet.Version{ImageID: 21, Name: "edge-1.1.0", Regions: []string{"nyc3", "fra1"}}
	edge12 = fleet.Version{ImageID: 22, Name: "edge-1.2.0", Regions: []string{"nyc3", "fra1"}}
	golden = fleet.Version{ImageID: 23, Name: "golden-image", Regions: []string{"nyc3", "fra1"}}
)

func roleServer(id int, name, role string, v fleet.Version) fleet.Server {
	s := server(id, name, "nyc3", v)
	s.Tags = []string{"role:" + role}
	return s
}

// TestPlanGuards pins which servers trip which guard, and that each override allows
// exactly its own: --allow-other-role covers several roles as well.
func TestPlanGuards(t *testing.T) {
	t.Parallel()
	web := []fleet.Server{roleServer(1, "web-a", "web", v14), roleServer(2, "web-b", "web", v14)}
	edges := []fleet.Server{roleServer(3, "edge-a", "edge", edge12), roleServer(4, "edge-b", "edge", edge11),
		roleServer(5, "edge-c", "edge", fleet.Version{ImageID: 24, Name: "edge-custom"})}
	mixed := []fleet.Server{roleServer(1, "web-a", "web", v14), roleServer(6, "worker-a", "worker", v14),
		server(7, "bare", "nyc3", v14)}
	mixed[2].Tags = nil
	for _, tc := range []struct {
		name       string
		servers    []fleet.Server
		target     fleet.Version
		otherRole  bool // allow it
		downgrade  bool
		trips      map[GuardKind][]string
		refused    bool
		warnsAbout string // a warning naming what could not be judged
	}{
		{name: "own role, newer", servers: web, target: v15},
		{name: "another role's image", servers: web, target: edge12,
			trips: map[GuardKind][]string{GuardOtherRole: {"web-a", "web-b"}}, refused: true},
		{name: "another role's image, allowed", servers: web, target: edge12, otherRole: true,
			trips: map[GuardKind][]string{GuardOtherRole: {"web-a", "web-b"}}},
		{name: "another role's image, downgrade allowed only", servers: web, target: edge12, downgrade: true,
			trips: map[GuardKind][]string{GuardOtherRole: {"web-a", "web-b"}}, refused: true},
		{name: "downgrade", servers: edges, target: edge11,
			trips: map[GuardKind][]string{GuardDowngrade: {"edge-a"}}, refused: true, warnsAbout: "edge-c on edge-custom"},
		{name: "downgrade, allowed", servers: edges, target: edge11, downgrade: true,
			trips: map[GuardKind][]string{GuardDowngrade: {"edge-a"}}, warnsAbout: "edge-c on edge-custom"},
		{name: "downgrade, other role allowed only", servers: edges, target: edge11, otherRole: true,
			trips: map[GuardKind][]string{GuardDowngrade: {"edge-a"}}, refused: true},
		{name: "several roles", servers: mixed, target: v15,
			trips: map[GuardKind][]string{GuardOtherRole: {"worker-a"}, GuardSeveralRoles: {"bare", "web-a", "worker-a"}}, refused: true},
		{name: "several roles, allowed", servers: mixed, target: v15, otherRole: true,
			trips: map[GuardKind][]string{GuardOtherRole: {"worker-a"}, GuardSeveralRoles: {"bare", "web-a", "worker-a"}}},
		{name: "an image named for no role", servers: web, target: golden, warnsAbout: "named for no role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := input(tc.servers...)
			in.Target = tc.target
			in.Strategy.AllowOtherRole, in.Strategy.AllowDowngrade = tc.otherRole, tc.downgrade
			p, err := NewPlan(in)
			if err != nil {
				t.Fatal(err)
			}
			got := map[GuardKind][]string{}
			for _, g := range p.Guards {
				got[g.Kind] = g.Servers
				allowed := map[GuardKind]bool{GuardOtherRole: tc.otherRole, GuardSeveralRoles: tc.otherRole, GuardDowngrade: tc.downgrade}[g.Kind]
				if g.Allowed != allowed || g.Message == "" || !strings.HasPrefix(g.Flag, "--allow-") {
					t.Errorf("guard %+v: allowed %v, want %v, with a message and a flag", g, g.Allowed, allowed)
				}
			}
			if len(got) != len(tc.trips) {
				t.Errorf("guards %v, want %v", got, tc.trips)
			}
			for kind, want := range tc.trips {
				if !slices.Equal(sorted(got[kind]), want) {
					t.Errorf("%s tripped by %v, want %v", kind, got[kind], want)
				}
			}
			var ge *GuardError
			if refused := errors.As(p.Refusal(), &ge); refused != tc.refused {
				t.Errorf("refusal %v, want refused %v", p.Refusal(), tc.refused)
			}
			if tc.warnsAbout != "" && !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, tc.warnsAbout) }) {
				t.Errorf("warnings %q say nothing of %q", p.Warnings, tc.warnsAbout)
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// A plan that trips a guard its strategy does not allow never starts: nothing is
// journaled, nothing is called.
func TestStartRefusesAGuardedPlan(t *testing.T) {
	t.Parallel()
	in := input(roleServer(1, "web-a", "web", v14))
	in.Target = edge12
	p, err := NewPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err = Start(nil, p, Options{Dir: dir})
	var ge *GuardError
	if !errors.As(err, &ge) || !strings.Contains(err.Error(), "--allow-other-role") || !strings.Contains(err.Error(), "web-a") && !strings.Contains(err.Error(), "1 server of role web") {
		t.Fatalf("start: %v, want a refusal naming the flag and the servers", err)
	}
	if list, _ := ListRollouts(dir); len(list) != 0 {
		t.Errorf("a refused plan left %d journals", len(list))
	}
}

func TestStrategyValidateRefusesTimesThatCannotBeMeant(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		change func(*Strategy)
		want   string // "" for valid
	}{
		{func(s *Strategy) {}, ""},
		{func(s *Strategy) { s.MinReady = Duration(-time.Second) }, "min-ready must be 0 or more, not -1s"},
		{func(s *Strategy) { s.Health.Grace = Duration(-time.Second) }, "grace must be 0 or more, not -1s"},
		{func(s *Strategy) { s.Drain = Duration(-time.Second) }, "drain must be 0 or more, not -1s"},
		{func(s *Strategy) { s.Drain = 0 }, ""},
		{func(s *Strategy) { s.Health.Interval = 0 }, "health-interval must be positive, not 0s"},
		{func(s *Strategy) { s.Health.Interval = Duration(-time.Second) }, "health-interval must be positive, not -1s"},
		{func(s *Strategy) { s.Health.Kind, s.Health.Interval = HealthNone, 0 }, ""},
		{func(s *Strategy) { s.Launch.UserData = strings.Repeat("x", MaxUserData) }, ""},
		{func(s *Strategy) { s.Launch.UserData = strings.Repeat("x", MaxUserData+1) }, "user-data is 65537 bytes, more than the 64 KiB"},
	} {
		st := DefaultStrategy()
		tc.change(&st)
		err := st.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Validate() = %v, want %q", err, tc.want)
		}
	}
}
