package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// While `molt apply` drives a rollout (here waiting at a timed checkpoint), a second
// `molt resume` or `molt rollback` of it exits 5 naming the driver, and changes nothing;
// once the driver has stopped, the resume goes on (case 1 of issue 11).
func TestSecondDriverExitsLocked(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildMolt(t)
	env, conn := engineSim(t, dosim.Config{Provision: 50 * time.Millisecond})
	cmd := exec.Command(bin, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--region", "nyc3",
		"--to", "web-1.6.0", "--surge", "9", "--canary", "1", "--pause", "10m"})...) // one checkpoint
	cmd.Env = os.Environ()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	id, sc := "", bufio.NewScanner(stdout)
	for sc.Scan() {
		if id == "" {
			id = rolloutID.FindString(sc.Text())
		}
		if strings.HasPrefix(sc.Text(), "checkpoint after wave 1") {
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	before := mutationCount(env.Sim)
	for _, second := range [][]string{{"resume", id}, {"rollback", id, "--yes"}} {
		code, _, errOut := molt(t, args(conn, second, []string{"--poll-min", "5ms"})...)
		if code != ExitLocked || !strings.Contains(errOut, "is driven by") || !strings.Contains(errOut, fmt.Sprintf("pid %d", cmd.Process.Pid)) {
			t.Errorf("%s while apply drives: exit %d, %q; want 5 naming pid %d", second[0], code, errOut, cmd.Process.Pid)
		}
	}
	if n := mutationCount(env.Sim) - before; n != 0 {
		t.Errorf("the refused commands made %d changes", n)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var ee *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("apply after SIGTERM: %v, want exit 4; %s", err, stderr.String())
	}
	code, out, errOut := molt(t, args(conn, []string{"resume", id, "--poll-min", "5ms"})...)
	if code != 0 {
		t.Fatalf("resume once the driver stopped: exit %d: %s\n%s", code, errOut, out)
	}
}

func mutationCount(s *dosim.Sim) int {
	st := s.Stats()
	return st.ByMethod["POST"] + st.ByMethod["DELETE"] + st.ByMethod["PUT"]
}

// rollouts lists a damaged journal beside readable ones, with where it is damaged, and
// exits 1; resume without an ID names it (case 5 of issue 11).
func TestDamagedJournalsAreNamed(t *testing.T) {
	_, conn, out := appliedNYC3Web(t)
	var code int
	var errOut string
	good := rolloutID.FindString(out)
	dir, _ := actions.DefaultDir()
	bad := "20250101-120000-abcd"
	if err := os.WriteFile(filepath.Join(dir, bad+".jsonl"), []byte("{\"seq\":1,\"kind\":\"header\",\"header\":{}}\nnot json\n{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = molt(t, "rollouts")
	if code != ExitError || !strings.Contains(out, good) || !strings.Contains(out, bad) || !strings.Contains(out, "damaged at line 2") ||
		!strings.Contains(errOut, "molt recover") {
		t.Errorf("rollouts: exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = molt(t, args(conn, []string{"resume"})...)
	if code == 0 || !strings.Contains(errOut, bad) || !strings.Contains(errOut, "damaged at line 2") {
		t.Errorf("resume without an ID: exit %d, %q; want the damaged journal named", code, errOut)
	}
}

// After the state directory is lost mid-rollout, `molt recover` rebuilds the journal
// from the cloud and `molt resume` finishes the rollout; `molt rollouts` marks it
// recovered (case 6 of issue 11).
func TestRecoverAfterTheStateDirectoryIsLost(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	code, out, errOut := moltTyped(t, "role:web nyc3\n", args(conn, fastFlags(env), []string{"apply", "--tag", "role:web",
		"--region", "nyc3", "--to", "web-1.6.0", "--surge", "3", "--canary", "1", "--pause", "manual"})...)
	if code != ExitInterrupted {
		t.Fatalf("apply to the checkpoint: exit %d: %s\n%s", code, errOut, out)
	}
	id := rolloutID.FindString(out)
	dir, _ := actions.DefaultDir()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = molt(t, args(conn, []string{"plan", "--tag", "role:web", "--to", "web-1.6.0"})...)
	if code != ExitLocked || !strings.Contains(errOut, "molt recover "+id) {
		t.Errorf("plan with the journal lost: exit %d, %q; want 5 pointing at molt recover", code, errOut)
	}
	code, out, errOut = molt(t, args(conn, strategyFlags(env), []string{"recover"})...)
	if code != 0 || !strings.Contains(out, "Recovered rollout "+id) {
		t.Fatalf("recover: exit %d: %s\n%s", code, errOut, out)
	}
	code, out, _ = molt(t, "rollouts")
	if code != 0 || !strings.Contains(out, "recovered from the cloud") {
		t.Errorf("rollouts after recover: exit %d\n%s", code, out)
	}
	code, out, errOut = molt(t, args(conn, []string{"resume", id, "--poll-min", "5ms"})...)
	if code != 0 {
		t.Fatalf("resume after recover: exit %d: %s\n%s", code, errOut, out)
	}
	if on := namesOnImage(t, env.Client, "role:web"); on["web-1.6.0"] != 12 || sum(on) != 21 {
		t.Errorf("web servers by image: %v; want 12 on web-1.6.0 of 21", on)
	}
}

// `molt unlock` asks for the ID to be typed, lifts the lock and says what it leaves.
func TestUnlockAsksAndSaysWhatItLeaves(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	code, out, errOut := moltTyped(t, "role:web nyc3\n", args(conn, fastFlags(env), []string{"apply", "--tag", "role:web",
		"--region", "nyc3", "--to", "web-1.6.0", "--surge", "3", "--canary", "1", "--pause", "manual"})...)
	if code != ExitInterrupted {
		t.Fatalf("apply to the checkpoint: exit %d: %s\n%s", code, errOut, out)
	}
	id := rolloutID.FindString(out)
	code, out, errOut = moltTyped(t, "no\n", args(conn, []string{"unlock", id})...)
	if code != ExitError || !strings.Contains(out, "Droplets it created") {
		t.Fatalf("unlock answered no: exit %d: %s\n%s", code, errOut, out)
	}
	code, out, errOut = moltTyped(t, id+"\n", args(conn, []string{"unlock", id})...)
	if code != 0 || !strings.Contains(out, "Lifted the lock of rollout "+id) || !strings.Contains(out, "tracked by no rollout") {
		t.Fatalf("unlock: exit %d: %s\n%s", code, errOut, out)
	}
	code, _, errOut = molt(t, args(conn, []string{"plan", "--tag", "role:web", "--to", "web-1.6.0"})...)
	if code != 0 {
		t.Errorf("plan after unlock: exit %d, %q", code, errOut)
	}
}

// A create answered 500 is said by the printer, and the late droplets it makes are
// swept before apply ends (case 3 of issue 11: apply said nothing).
func TestApplySaysACreateWasAnsweredWithAnError(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "POST", Path: "/v2/droplets", Status: 500, Late: true, Delay: 300 * time.Millisecond, Count: 1}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := molt(t, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--region", "nyc3",
		"--to", "web-1.6.0", "--surge", "3", "--settle", "500ms"})...)
	// The late droplets are destroyed by the sweep before the end when they came by then,
	// else after the rollout waited in finishing for them (a loaded machine takes either).
	late := strings.Contains(out, "rollout finishing") || strings.Contains(out, "made by a create answered with an error")
	if code != 0 || !strings.Contains(out, "a create was answered with an error (500)") || !late {
		t.Fatalf("apply: exit %d: %s\n%s", code, errOut, out)
	}
	if on := namesOnImage(t, env.Client, "role:web"); sum(on) != 21 {
		t.Errorf("web servers: %v; want 21", on)
	}
}

// strategyFlags are fastFlags without --poll-min, for commands that plan but do not run.
func strategyFlags(env *dosimtest.Env) []string {
	f := fastFlags(env)
	for i := range f {
		if f[i] == "--poll-min" {
			return append(f[:i:i], f[i+2:]...)
		}
	}
	return f
}

// molt rollouts sweeps what a rollout that ended lately left behind: droplets a create
// answered 500 made after its end, which carry its lock (case 3 of issue 11).
func TestRolloutsSweepsDropletsCommittedAfterTheEnd(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "POST", Path: "/v2/droplets", Status: 500, Late: true, Delay: 2 * time.Second, Count: 1}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := molt(t, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--region", "nyc3",
		"--to", "web-1.6.0", "--surge", "3", "--settle", "0"})...)
	if code != 0 {
		t.Fatalf("apply: exit %d: %s\n%s", code, errOut, out)
	}
	id := rolloutID.FindString(out)
	lock := actions.RolloutTag(id)
	deadline := time.Now().Add(20 * time.Second)
	for { // the late create lands
		if ds, _, err := env.Client.Droplets.ListByTag(t.Context(), lock, nil); err == nil && len(ds) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the late create never landed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, _, errOut = molt(t, args(conn, []string{"rollouts"})...)
	if code != 0 || !strings.Contains(errOut, "destroyed") {
		t.Fatalf("rollouts: exit %d, %q; want the late droplets destroyed", code, errOut)
	}
	if ds, _, _ := env.Client.Droplets.ListByTag(t.Context(), lock, nil); len(ds) != 0 {
		t.Errorf("%d droplets still carry the lock of %s", len(ds), id)
	}
	if on := namesOnImage(t, env.Client, "role:web"); sum(on) != 21 {
		t.Errorf("web servers: %v; want 21", on)
	}
}

// A damaged journal of a rollout that holds no lock is not a dead end: `molt recover`
// (here without an ID) ends it, and `molt rollouts` lists it as ended and recovered
// (D3 of the chaos findings: recover found nothing to recover, and every command went on
// pointing at it).
func TestRecoverEndsADamagedJournalThatHoldsNoLock(t *testing.T) {
	env, conn, out := appliedNYC3Web(t)
	var code int
	var errOut string
	id := rolloutID.FindString(out)
	dir, _ := actions.DefaultDir()
	path := actions.JournalPath(dir, id)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, rest, _ := strings.Cut(string(b), "\n")
	if err := os.WriteFile(path, []byte(header+"\n{\"seq\": damaged\n"+rest), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := molt(t, "rollouts"); code != ExitError {
		t.Fatalf("rollouts with the journal damaged: exit %d, want 1", code)
	}
	code, out, errOut = molt(t, args(conn, strategyFlags(env), []string{"recover"})...)
	if code != 0 || !strings.Contains(out, "Recovered rollout "+id) {
		t.Fatalf("recover: exit %d: %s\n%s", code, errOut, out)
	}
	code, out, errOut = molt(t, "rollouts")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "aborted") {
		t.Errorf("rollouts after recover: exit %d\n%s\n%s", code, out, errOut)
	}
}

// appliedNYC3Web rolls nyc3's web servers onto web-1.6.0 to the end on a fresh
// simulator, and returns the simulator, the flags reaching it and what apply printed.
func appliedNYC3Web(t *testing.T) (*dosimtest.Env, []string, string) {
	t.Helper()
	env, conn := engineSim(t, dosim.Config{})
	code, out, errOut := molt(t, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--region", "nyc3",
		"--to", "web-1.6.0", "--surge", "5"})...)
	if code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	return env, conn, out
}
