package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// worldPrint is every droplet of a simulator with its name, image, status and tags.
func worldPrint(t *testing.T, c *godo.Client) string {
	t.Helper()
	ds, _, err := c.Droplets.List(context.Background(), &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, d := range ds {
		tags := slices.Clone(d.Tags)
		slices.Sort(tags)
		lines = append(lines, fmt.Sprintf("%d %s %d %s %v", d.ID, d.Name, d.Image.ID, d.Status, tags))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// patientFlags give replacements all the time a loaded machine may need to turn active
// and pass their health check (they wait on the condition, not the clock).
var patientFlags = []string{"--health-timeout", "1m", "--active-timeout", "1m"}

// stopAtCanary applies a canary onto web-1.6.0 with nobody to answer its checkpoint:
// exit 4, resumable. It returns the rollout's ID.
func stopAtCanary(t *testing.T, env *dosimtest.Env, conn []string) string {
	t.Helper()
	code, out, errOut := molt(t, args(conn, fastFlags(env), patientFlags, []string{"apply", "--yes", "--tag", "role:web", "--to", "web-1.6.0",
		"--surge", "10", "--canary", "1"})...)
	id := rolloutID.FindString(out)
	if code != ExitInterrupted || id == "" {
		t.Fatalf("apply with a canary: exit %d, rollout %q: %s\n%s", code, id, errOut, out)
	}
	return id
}

// TestResumeAndRollbackRefuseAnotherAccount: two simulators, one state directory. A
// rollout interrupted on A is refused by resume and rollback against B, naming both
// accounts, with B's droplets unchanged; against A it resumes to its end.
func TestResumeAndRollbackRefuseAnotherAccount(t *testing.T) {
	a, connA := engineSim(t, dosim.Config{})
	b := dosimtest.Start(t, dosim.Config{})
	connB := []string{"--api-url", b.URL, "--access-token", b.Token}
	id := stopAtCanary(t, a, connA)
	before := worldPrint(t, b.Client)
	for _, cmd := range [][]string{{"resume", id}, {"resume"}, {"rollback", id, "--yes"}} {
		code, out, errOut := molt(t, args(connB, cmd, []string{"--poll-min", "5ms"})...)
		if code == 0 || !strings.Contains(errOut, a.Sim.AccountUUID()[:8]) || !strings.Contains(errOut, b.Sim.AccountUUID()[:8]) {
			t.Errorf("%v against B: exit %d, want a refusal naming both accounts: %s\n%s", cmd, code, errOut, out)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v against B says more than one line: %q", cmd, errOut)
		}
	}
	if after := worldPrint(t, b.Client); after != before {
		t.Errorf("B's droplets changed:\n%s\nwere\n%s", after, before)
	}
	code, out, errOut := molt(t, args(connA, []string{"resume", id, "--poll-min", "5ms"})...)
	if code != 0 {
		t.Fatalf("resume against A: exit %d: %s\n%s", code, errOut, out)
	}
	if on := namesOnImage(t, a.Client, "role:web"); on["web-1.6.0"] != 21 {
		t.Errorf("after the resume, web runs %v; want all 21 on web-1.6.0", on)
	}
}

// TestOldDropletTakenOutOfTheRolloutPausesIt: someone takes an old droplet out of a
// rollout stopped at its checkpoint (removes its lock tag). The resumed rollout does not
// destroy it: it pauses, says why and exits 4; resumed again, it finishes the rest.
func TestOldDropletTakenOutOfTheRolloutPausesIt(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	id := stopAtCanary(t, env, conn)
	ds, _, err := env.Client.Droplets.ListByTag(context.Background(), actions.RolloutTag(id), &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ds, func(d godo.Droplet) bool { return d.Image.Name != "web-1.6.0" })
	victim := ds[i]
	if _, err := env.Client.Tags.UntagResources(context.Background(), actions.RolloutTag(id), &godo.UntagResourcesRequest{
		Resources: []godo.Resource{{ID: strconv.Itoa(victim.ID), Type: godo.DropletResourceType}}}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := molt(t, args(conn, []string{"resume", id, "--poll-min", "5ms"})...)
	why := fmt.Sprintf("droplet %d (%s) no longer carries molt:%s", victim.ID, victim.Name, id)
	if code != ExitInterrupted || !strings.Contains(out, why) || !strings.Contains(out, "rollout paused: identity check") ||
		!strings.Contains(errOut, "paused with nobody to answer") {
		t.Fatalf("resume: exit %d, want 4 and a pause saying %q: %s\n%s", code, why, errOut, out)
	}
	if code, out, errOut = molt(t, args(conn, []string{"resume", id, "--poll-min", "5ms"})...); code != 0 {
		t.Fatalf("the second resume: exit %d: %s\n%s", code, errOut, out)
	}
	d, _, err := env.Client.Droplets.Get(context.Background(), victim.ID)
	if err != nil || d.Status != "active" || d.Image.Name == "web-1.6.0" {
		t.Errorf("the droplet taken out of the rollout: %+v, %v; want it there as it was", d, err)
	}
	if on := namesOnImage(t, env.Client, "role:web"); on["web-1.6.0"] != 21 {
		t.Errorf("web runs %v; want 21 on web-1.6.0 (and the one left alone beside them)", on)
	}
}

// planJSON is the part of plan -o json the guard tests read.
type planJSON struct {
	Guards []actions.Guard `json:"guards"`
	Waves  []struct {
		Replacements []json.RawMessage `json:"replacements"`
	} `json:"waves"`
	Account *fleet.Account `json:"account"`
}

// TestPlanGuards: each guard refuses the plan (exit 1, after showing it) until its flag
// allows it, in text and in JSON, naming the servers that trip it.
func TestPlanGuards(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	for _, tc := range []struct {
		name      string
		selection []string
		kinds     []actions.GuardKind
		flag      string
		servers   int // servers that trip the first kind
	}{
		{"another role's image", []string{"--tag", "role:web", "--to", "edge-1.2.0"}, []actions.GuardKind{actions.GuardOtherRole}, "--allow-other-role", 21},
		{"a downgrade", []string{"--tag", "role:edge", "--to", "edge-1.1.0"}, []actions.GuardKind{actions.GuardDowngrade}, "--allow-downgrade", 1},
		{"several roles", []string{"--region", "fra1", "--to", "web-1.6.0"}, []actions.GuardKind{actions.GuardOtherRole, actions.GuardSeveralRoles}, "--allow-other-role", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := args(conn, []string{"plan"}, tc.selection)
			code, out, errOut := molt(t, base...)
			if code != ExitError || !strings.Contains(out, "Refused unless "+tc.flag) || !strings.Contains(errOut, "refused: ") ||
				!strings.Contains(errOut, "pass "+tc.flag) {
				t.Fatalf("plan: exit %d, want 1 and the refusal naming %s:\n%s\n%s", code, tc.flag, out, errOut)
			}
			code, out, errOut = molt(t, append(base, "-o", "json")...)
			var p planJSON
			if err := json.Unmarshal([]byte(out), &p); err != nil || code != ExitError {
				t.Fatalf("plan -o json: exit %d, %v: %s", code, err, errOut)
			}
			var kinds []actions.GuardKind
			for _, g := range p.Guards {
				kinds = append(kinds, g.Kind)
				if g.Allowed || g.Flag != tc.flag {
					t.Errorf("guard %s: allowed %v, flag %s", g.Kind, g.Allowed, g.Flag)
				}
			}
			if !slices.Equal(kinds, tc.kinds) || len(p.Guards[0].Servers) != tc.servers {
				t.Errorf("guards %v tripped by %d servers, want %v by %d", kinds, len(p.Guards[0].Servers), tc.kinds, tc.servers)
			}
			if p.Account == nil || p.Account.UUID != env.Sim.AccountUUID() {
				t.Errorf("the plan names account %+v, want the simulator's %s", p.Account, env.Sim.AccountUUID())
			}
			code, out, errOut = molt(t, append(base, tc.flag)...)
			if code != 0 || !strings.Contains(out, "Allowed by "+tc.flag) {
				t.Errorf("plan %s: exit %d, want 0 and the guard shown as allowed:\n%s\n%s", tc.flag, code, out, errOut)
			}
		})
	}
	t.Run("apply refuses and changes nothing", func(t *testing.T) {
		before := worldPrint(t, env.Client)
		code, out, errOut := molt(t, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--to", "edge-1.2.0"})...)
		if code != ExitError || !strings.Contains(out, "Refused unless --allow-other-role") || !strings.Contains(errOut, "nothing was changed") {
			t.Errorf("apply onto another role's image: exit %d:\n%s\n%s", code, out, errOut)
		}
		if after := worldPrint(t, env.Client); after != before {
			t.Error("a refused apply changed the droplets")
		}
	})
}

// TestValuesThatCannotBeMeant are usage errors (exit 2) in one line naming the flag.
func TestValuesThatCannotBeMeant(t *testing.T) {
	_, conn := engineSim(t, dosim.Config{})
	big := filepath.Join(t.TempDir(), "user-data")
	if err := os.WriteFile(big, make([]byte, 100<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	plan := args(conn, []string{"plan", "--tag", "role:web", "--to", "web-1.6.0"})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(plan, "--min-ready", "-1s"), "min-ready must be 0 or more"},
		{append(plan, "--grace", "-5s"), "grace must be 0 or more"},
		{append(plan, "--health-interval", "0s"), "health-interval must be positive"},
		{append(plan, "--health-interval", "-1s"), "health-interval must be positive"},
		{append(plan, "--drain", "-1s"), "drain must be 0 or more"},
		{append(plan, "--user-data", big), "--user-data " + big + " is 102400 bytes, more than the 64 KiB"},
		{[]string{"sim", "--provision", "-1s"}, "--provision must be 0 (instant) or more"},
		{[]string{"sim", "--rate-per-minute", "-1"}, "--rate-per-minute must be 0 (the default, 250) or more"},
		{[]string{"sim", "--state", filepath.Join(t.TempDir(), "missing", "world.json")}, "--state"},
		{[]string{"--drain", "-1s"}, "--drain must be 0 or more"},
	} {
		code, out, errOut := molt(t, tc.args...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, want 2 and one line saying %q:\n%s%s", tc.args, code, tc.want, errOut, out)
		}
	}
}
