package fleet

import (
	"path/filepath"
	"testing"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// Each simulated world is its own account; a team's token keys on the team.
func TestAccountDirIsPerAccount(t *testing.T) {
	state := t.TempDir()
	var dirs []string
	for _, team := range []string{"", "", "ops"} {
		env := dosimtest.Start(t, dosim.Config{Seed: "empty", HealthPort: -1, Team: team})
		acct, _, err := env.Client.Account.Get(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		a := AccountOf(env.Client, acct)
		if (team != "") != (a.Key() == a.TeamUUID) || a.Key() == "" {
			t.Fatalf("account %+v keys on %q", a, a.Key())
		}
		dir, err := AccountDirIn(state, a)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(dir) != filepath.Join(state, "accounts") {
			t.Fatalf("account dir %s is not under %s/accounts", dir, state)
		}
		for _, d := range dirs {
			if d == dir {
				t.Fatalf("two accounts share %s", dir)
			}
		}
		dirs = append(dirs, dir)
	}
	if _, err := AccountDirIn(state, Account{UUID: "../../etc"}); err == nil {
		t.Fatal("an account named ../../etc got a directory")
	}
}

func TestReadingLeavesOutDropletsKeptByARollout(t *testing.T) {
	v1, v2 := image(1, "web-1.0.0", 10), image(2, "web-1.1.0", 1)
	kept := server(3, "web-c", "nyc3", v1, "role:web", "molt:20261101-120000-ab12", "molt:20261101-120000-ab12:g1")
	kept.Status = "off"
	off := server(4, "web-d", "nyc3", v1, "role:web")
	off.Status = "off"
	r := NewReading([]Server{
		server(1, "web-a", "nyc3", v2, "role:web", "molt:20261101-120000-ab12:g1"),
		server(2, "api", "nyc3", v1),
		kept, off,
	}, Options{}, now)
	if r.Roles["web"]["image:2"] != 1 || r.Roles["web"]["image:1"] != 1 || r.Roles[NoRole]["image:1"] != 1 {
		t.Fatalf("reading = %v: the kept droplet counts, or another is missing", r.Roles)
	}
	if r.Versions["image:2"].Name != "web-1.1.0" || !r.Whole {
		t.Fatalf("versions %v, whole %v", r.Versions, r.Whole)
	}
}

// An old droplet drained out of a load balancer on its role tag has lost that tag while
// its rollout retires it: it is neither a server of no role in the history nor a pet.
func TestDropletLeavingItsRoleIsNoRoleAndNoPet(t *testing.T) {
	v1, v2 := image(1, "web-1.0.0", 10), image(2, "web-1.1.0", 1)
	draining := server(3, "web-c", "nyc3", v1, "env:prod", "molt:20261101-120000-ab12")
	untagged := server(4, "scratch", "nyc3", v1, "env:prod")
	r := NewReading([]Server{server(1, "web-a", "nyc3", v2, "role:web", "molt:20261101-120000-ab12:g1"), draining, untagged}, Options{}, now)
	if r.Roles["web"]["image:2"] != 1 || r.Roles[NoRole]["image:1"] != 1 {
		t.Fatalf("reading = %v: want web's new droplet and the untagged one, not the one leaving", r.Roles)
	}
	if why := PetReason(draining, DefaultRolePrefix); why != "" {
		t.Errorf("the droplet leaving is a pet: %s", why)
	}
	if why := PetReason(untagged, DefaultRolePrefix); why != "no role tag" {
		t.Errorf("the untagged droplet: pet reason %q, want no role tag", why)
	}
}
