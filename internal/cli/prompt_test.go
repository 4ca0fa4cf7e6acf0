package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/molt-sh/molt/dosim"
)

// moltTyped runs the command line as on an operator's terminal whose keyboard types
// input, and returns the exit code, stdout and stderr.
func moltTyped(t *testing.T, input string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), testBuild, Hooks{Terminal: true}, args, strings.NewReader(input), &out, &errOut)
	return code, out.String(), errOut.String()
}

// apply on a terminal shows the plan and replaces nothing unless the selection's name
// is typed; typed, it runs.
func TestApplyAsksForTheSelectionName(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	apply := args(conn, fastFlags(env), []string{"apply", "--tag", "role:web", "--region", "fra1", "--to", "web-1.6.0", "--surge", "4"})
	for _, typed := range []string{"", "web\n", "yes\n"} {
		code, out, errOut := moltTyped(t, typed, apply...)
		if code != ExitError || !strings.Contains(errOut, "not confirmed") || !strings.Contains(out, `type "role:web fra1"`) {
			t.Errorf("typed %q: exit %d, %q\n%s", typed, code, errOut, out)
		}
	}
	if n := env.Sim.Stats().ByMethod["POST"]; n != 0 {
		t.Fatalf("%d POSTs before anyone confirmed", n)
	}
	code, out, errOut := moltTyped(t, "role:web fra1\n", apply...)
	if code != ExitOK || !strings.Contains(out, "done: 9 replaced") {
		t.Fatalf("confirmed: exit %d: %s\n%s", code, errOut, out)
	}
}

// At a manual checkpoint the operator on the terminal is asked, and the answer steers
// the run: continue finishes it, rollback undoes the canary.
func TestCheckpointAsksTheOperator(t *testing.T) {
	cases := []struct {
		answer string
		code   int
		onNew  int // fra1 web servers on web-1.6.0 afterwards
	}{
		{"continue", ExitOK, 11},
		{"c", ExitOK, 11},
		{"rollback", ExitRolledBack, 2},
	}
	for _, c := range cases {
		t.Run(c.answer, func(t *testing.T) {
			env, conn := engineSim(t, dosim.Config{})
			code, out, errOut := moltTyped(t, "role:web fra1\nwhat?\n"+c.answer+"\n", args(conn, fastFlags(env), []string{"apply",
				"--tag", "role:web", "--region", "fra1", "--to", "web-1.6.0", "--canary", "1", "--surge", "4"})...)
			if code != c.code {
				t.Fatalf("exit %d, want %d: %s\n%s", code, c.code, errOut, out)
			}
			if n := strings.Count(out, "Checkpoint after wave 1. Type continue, abort or rollback: "); n != 2 {
				t.Errorf("the checkpoint question was asked %d times, want twice (once more after a wrong answer):\n%s", n, out)
			}
			if n := namesOnImage(t, env.Client, "role:web")["web-1.6.0"]; n != c.onNew {
				t.Errorf("%d web servers on web-1.6.0, want %d", n, c.onNew)
			}
		})
	}
}

// When the terminal's input ends with the checkpoint unanswered, nobody is left to ask:
// the run stops there, resumable, rather than wait for ever.
func TestCheckpointWithTheInputClosedStops(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	code, out, errOut := moltTyped(t, "role:web fra1\n", args(conn, fastFlags(env), []string{"apply",
		"--tag", "role:web", "--region", "fra1", "--to", "web-1.6.0", "--canary", "1", "--surge", "4"})...)
	if code != ExitInterrupted || !strings.Contains(errOut, "molt resume") || !strings.Contains(out, "Checkpoint after wave 1") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
}

// rollback on a terminal asks for the rollout's ID to be typed.
func TestRollbackAsksForTheRolloutID(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	code, out, errOut := molt(t, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--region", "nyc3",
		"--to", "web-1.6.0", "--surge", "3", "--retire", "keep"})...)
	if code != ExitOK {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	id := rolloutID.FindString(out)
	rollback := args(conn, []string{"rollback", id, "--poll-min", "5ms"})
	code, out, errOut = moltTyped(t, "20250101-120000-abcd\n", rollback...)
	if code != ExitError || !strings.Contains(errOut, "not confirmed") || !strings.Contains(out, "Roll back rollout "+id) {
		t.Fatalf("a wrong ID: exit %d: %s\n%s", code, errOut, out)
	}
	code, out, errOut = moltTyped(t, id+"\n", rollback...)
	if code != ExitOK || !strings.Contains(out, "Rollout "+id+" is rolled back.") {
		t.Fatalf("the right ID: exit %d: %s\n%s", code, errOut, out)
	}
}
