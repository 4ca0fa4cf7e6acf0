package serve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
	"github.com/molt-sh/molt/internal/engine"
	"github.com/molt-sh/molt/ui"
)

// aliceID is the operator alice as her sessions are identified.
func (ts *testServer) aliceID() Identity {
	return Identity{User: "alice", KeyComment: "alice@laptop", Fingerprint: gossh.FingerprintSHA256(ts.alice.PublicKey()), Role: RoleOperator}
}

// webPlan plans the web role onto web-1.6.0 as alice would stage it.
func (ts *testServer) webPlan(t *testing.T, eng ui.Engine) actions.Plan {
	t.Helper()
	ctx := context.Background()
	servers, err := fleet.Load(ctx, ts.env.Client, fleet.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target, err := actions.ResolveImage(ctx, ts.env.Client, "web-1.6.0")
	if err != nil {
		t.Fatal(err)
	}
	st := *ts.deps.Strategy
	st.Surge = 10
	in, err := eng.Gather(ctx, ui.PlanRequest{Selection: "web", Servers: fleet.Selection{Tag: "role:web"}.Select(servers),
		Target: target, Strategy: st})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := actions.NewPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// provisioning waits until the only running rollout has created droplets.
func (ts *testServer) provisioning(t *testing.T) {
	t.Helper()
	waitUntil(t, "the rollout to create droplets", func() bool {
		runs := ts.engine.Running()
		return len(runs) == 1 && runs[0].Status().Count(actions.PhaseCreated) > 0
	})
}

func TestStopPausesRolloutsAndTheNextStartContinuesThem(t *testing.T) {
	ts := startServer(t, func(o *options) { o.provision = time.Second })
	watcher := ts.open(t, "victor", ts.victor, 120, 40)
	watcher.waitFor(0, "newest 1.2.0")
	alice := sessionEngine{e: ts.engine, id: ts.aliceID()}
	plan := ts.webPlan(t, alice)
	run, err := alice.Start(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	id := run.ID()
	watcher.waitFor(0, id, "by alice")
	ts.provisioning(t)

	resumeFile := filepath.Join(ts.dir, "rollouts", ResumeFile)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	m := watcher.mark()
	if err := Stop(ctx, ts.engine, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	watcher.waitFor(m, "rollout paused", "finished: paused")
	if _, err := alice.Start(ctx, plan); !errors.Is(err, ErrStopping) {
		t.Fatalf("a rollout started while stopping: %v", err)
	}
	recs := ts.journal(t, id)
	if st := lastState(recs); st != actions.StatePaused {
		t.Fatalf("the stopped rollout is %q, want paused (resumable)", st)
	}
	got := controls(recs)
	if len(got) != 1 || !strings.HasPrefix(string(got[0].Op), "pause") || got[0].Operator == nil || !strings.HasPrefix(got[0].Operator.User, "molt-serve") {
		t.Fatalf("journaled controls %+v, want the server's pause", got)
	}
	if data, err := os.ReadFile(resumeFile); err != nil || strings.TrimSpace(string(data)) != id {
		t.Fatalf("the list of rollouts to continue: %q, %v; want %s", data, err, id)
	}

	restarted, err := engine.New(engine.Options{Client: ts.env.Client, Actions: testActions(ts.dir)})
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := ResumeStopped(restarted)
	if err != nil || len(resumed) != 1 || resumed[0] != id {
		t.Fatalf("the restart continued %v (%v), want %s", resumed, err, id)
	}
	if runs := restarted.Running(); len(runs) == 1 && runs[0].By != "alice" {
		t.Fatalf("the continued rollout shows as started by %q, want alice", runs[0].By)
	}
	waitUntil(t, "the continued rollout to end", func() bool { return len(restarted.Running()) == 0 })
	if st := lastState(ts.journal(t, id)); st != actions.StateDone {
		t.Fatalf("the continued rollout ended %q, want done", st)
	}
	if _, err := os.Stat(resumeFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the list of rollouts to continue is still there: %v", err)
	}
	if err := Stop(ctx, restarted, time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

func TestStopLeavesRolloutsWaitingForAPersonToThem(t *testing.T) {
	ts := startServer(t, withCheckpoint)
	alice := sessionEngine{e: ts.engine, id: ts.aliceID()}
	run, err := alice.Start(context.Background(), ts.webPlan(t, alice))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the checkpoint", func() bool {
		runs := ts.engine.Running()
		return len(runs) == 1 && runs[0].Status().State == actions.StateCheckpoint
	})
	resumeFile := filepath.Join(ts.dir, "rollouts", ResumeFile)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := Stop(ctx, ts.engine, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(resumeFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a rollout waiting at its checkpoint is listed to continue by itself: %v", err)
	}
	if st := lastState(ts.journal(t, run.ID())); st.Final() {
		t.Fatalf("the stopped rollout is %q, want it resumable", st)
	}
}
