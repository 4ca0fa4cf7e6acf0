package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/fleet"
	"github.com/molt-sh/molt/internal/engine"
	"github.com/molt-sh/molt/ui"
)

// Without a terminal on stdout, `molt` prints what `molt status` prints.
func TestTUIWithoutTerminalPrintsStatus(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runIO(nil, &out, &errb); code != 0 {
		t.Fatalf("molt exited %d: %s", code, errb.String())
	}
	for _, want := range []string{"demo fleet (embedded simulator)", "54 droplets", "web-1.6.0"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("molt without a terminal should print the status (%q missing):\n%s", want, out.String())
		}
	}
}

// --readonly is a flag of molt itself.
func TestTUIReadonlyFlag(t *testing.T) {
	root := (&app{build: testBuild}).rootCmd()
	if f := root.Flags().Lookup(flagReadonly); f == nil || f.DefValue != "false" {
		t.Fatalf("molt has no --readonly flag")
	}
}

// readonly: true in the config file makes the UI read-only.
func TestTUIReadonlyFromConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	if configReadonly() {
		t.Fatalf("no config file should not be read-only")
	}
	if err := os.MkdirAll(filepath.Join(dir, "molt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "molt", "config.yaml"), []byte("readonly: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !configReadonly() {
		t.Fatalf("readonly: true in the config file was not read")
	}
}

// The last strategy per roles is kept in the account's own state directory: another
// account (or team) never sees it.
func TestStrategyStoreKeepsTheLastStrategyPerAccount(t *testing.T) {
	state := t.TempDir()
	storeOf := func(a fleet.Account) *strategyStore {
		return newStrategyStore(func() (string, error) { return fleet.AccountDirIn(state, a) })
	}
	alice := fleet.Account{UUID: "0a11ce00-0000-4000-8000-000000000001"}
	team := fleet.Account{UUID: alice.UUID, TeamUUID: "7ea70000-0000-4000-8000-000000000002"}
	st := actions.DefaultStrategy()
	st.Surge, st.Launch = 4, actions.Launch{Source: "flags", UserData: "#!/bin/sh", SSHKeys: []string{"1"}}
	if err := storeOf(alice).Save("web", st); err != nil {
		t.Fatal(err)
	}
	got, err := storeOf(alice).Load()
	if err != nil || got["web"].Surge != 4 {
		t.Fatalf("alice's web strategy did not come back: %+v, %v", got, err)
	}
	if got["web"].Launch.UserData != "" || got["web"].Launch.Source != "" {
		t.Fatalf("the launch template was kept: %+v", got["web"].Launch)
	}
	if _, err := os.Stat(filepath.Join(state, "accounts", alice.Key(), strategiesFile)); err != nil {
		t.Fatalf("the strategies are not in the account's directory: %v", err)
	}
	if other, err := storeOf(team).Load(); err != nil || len(other) != 0 {
		t.Fatalf("alice's team sees her own account's strategies: %+v, %v", other, err)
	}
}

// --no-mouse is a flag of molt itself, and mouse: false in the config file does the same.
func TestTUINoMouse(t *testing.T) {
	root := (&app{build: testBuild}).rootCmd()
	if f := root.Flags().Lookup(flagNoMouse); f == nil || f.DefValue != "false" {
		t.Fatalf("molt has no --no-mouse flag")
	}
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	if cfg := readConfig(); cfg.Mouse != nil {
		t.Fatalf("no config file should say nothing of the mouse")
	}
	if err := os.MkdirAll(filepath.Join(dir, "molt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "molt", "config.yaml"), []byte("mouse: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg := readConfig(); cfg.Mouse == nil || *cfg.Mouse {
		t.Fatalf("mouse: false in the config file was not read")
	}
}

// Leaving the cockpit while a rollout runs stops it where it is, resumable, says which
// rollout and how to resume it, and exits 4, as apply does.
func TestLeavingTheTUIMidRolloutExits4WithTheWayToResume(t *testing.T) {
	env, _ := engineSim(t, dosim.Config{Provision: 20 * time.Millisecond})
	dir := filepath.Join(t.TempDir(), "rollouts")
	eng, err := engine.New(engine.Options{Client: env.Client, Actions: actions.Options{Dir: dir, Version: "test",
		Timing: actions.Timing{PollMin: 5 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	servers, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{Tag: "role:web"})
	if err != nil {
		t.Fatal(err)
	}
	target, err := actions.ResolveImage(t.Context(), env.Client, "web-1.6.0")
	if err != nil {
		t.Fatal(err)
	}
	st := actions.DefaultStrategy()
	st.Canary, st.Pause, st.Health = 1, actions.Pause{Mode: "manual"}, actions.HealthCheck{Kind: "none"}
	st.Drain = actions.Duration(2 * time.Millisecond)
	st.Launch = actions.Launch{Source: "flags", SSHKeys: []string{"12345"}} // a key the simulator seeds
	plan, err := eng.Plan(t.Context(), ui.PlanRequest{Selection: "web", Servers: servers, Target: target, Strategy: st})
	if err != nil {
		t.Fatal(err)
	}
	run, err := eng.Start(plan, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	events, stop := run.Subscribe()
	timeout := time.After(30 * time.Second)
	for run.Status().State != actions.StateCheckpoint {
		select {
		case _, ok := <-events:
			if !ok {
				t.Fatalf("the rollout ended before its checkpoint: %s", run.Status().State)
			}
		case <-timeout:
			t.Fatalf("the rollout did not reach its checkpoint: %s", run.Status().State)
		}
	}
	stop()
	err = leaveTUI(eng, false, nil, "")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitInterrupted {
		t.Fatalf("leaving mid-rollout: %v, want exit %d", err, ExitInterrupted)
	}
	if want := "resume it with `molt resume " + run.ID() + "`"; !strings.Contains(err.Error(), want) {
		t.Fatalf("leaving mid-rollout says %q, want %q", err, want)
	}
	list, err := actions.ListRollouts(dir)
	if err != nil || len(list) != 1 || !list[0].Unfinished() {
		t.Fatalf("the rollout left is not resumable: %+v (%v)", list, err)
	}
	if err := leaveTUI(eng, false, tea.ErrProgramKilled, ""); err != nil {
		t.Fatalf("leaving with nothing running: %v", err)
	}
}

// A dumb terminal (TERM=dumb) gets molt status and a note saying why, not the cockpit's
// alternate screen and key sequences.
func TestTUIOnADumbTerminalPrintsStatusWithANote(t *testing.T) {
	t.Setenv("TERM", "dumb")
	var out, errb bytes.Buffer
	if code := runIO(nil, &out, &errb); code != 0 {
		t.Fatalf("molt exited %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "54 droplets") || strings.Contains(out.String(), "\x1b[") {
		t.Fatalf("molt on a dumb terminal should print the plain status:\n%q", out.String())
	}
	if !strings.Contains(errb.String(), "TERM=dumb cannot show the cockpit") {
		t.Fatalf("molt on a dumb terminal does not say why it prints the status: %q", errb.String())
	}
}

// A hang-up cancels the runs with the UI: the rollout the UI saw running is named even
// when its run has already returned.
func TestLeavingOnAHangUpNamesTheRolloutTheUISawRunning(t *testing.T) {
	env, _ := engineSim(t, dosim.Config{})
	eng, err := engine.New(engine.Options{Client: env.Client, Actions: actions.Options{Dir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	err = leaveTUI(eng, false, tea.ErrProgramKilled, "20260314-092653-ab12")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitInterrupted || !strings.Contains(err.Error(), "molt resume 20260314-092653-ab12") {
		t.Fatalf("leaving on a hang-up: %v", err)
	}
}
