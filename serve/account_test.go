package serve

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/internal/engine"
)

// TestRestartOnAnotherAccountContinuesNothing: molt serve stopped with a rollout under
// way and started again with a token of another account continues nothing there, says
// so naming both accounts, and keeps the rollout listed; started on its own account
// again, it continues it.
func TestRestartOnAnotherAccountContinuesNothing(t *testing.T) {
	ts := startServer(t, func(o *options) { o.provision = time.Second })
	alice := sessionEngine{e: ts.engine, id: ts.aliceID()}
	run, err := alice.Start(context.Background(), ts.webPlan(t, alice))
	if err != nil {
		t.Fatal(err)
	}
	id := run.ID()
	ts.provisioning(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := Stop(ctx, ts.engine, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}

	other := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	before, _, _ := other.Client.Droplets.List(ctx, nil)
	var log bytes.Buffer
	elsewhere, err := engine.New(engine.Options{Client: other.Client, Actions: testActions(ts.dir),
		Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := ResumeStopped(elsewhere)
	if err != nil || len(resumed) != 0 {
		t.Fatalf("a restart on another account continued %v (%v)", resumed, err)
	}
	if !strings.Contains(log.String(), ts.env.Sim.AccountUUID()[:8]) || !strings.Contains(log.String(), other.Sim.AccountUUID()[:8]) {
		t.Errorf("the log does not name both accounts:\n%s", log.String())
	}
	if data, err := os.ReadFile(filepath.Join(ts.dir, "rollouts", ResumeFile)); err != nil || strings.TrimSpace(string(data)) != id {
		t.Errorf("the list of rollouts to continue holds %q (%v), want %s still", data, err, id)
	}
	if after, _, _ := other.Client.Droplets.List(ctx, nil); len(after) != len(before) || len(elsewhere.Running()) != 0 {
		t.Errorf("the other account has %d droplets, had %d; %d runs", len(after), len(before), len(elsewhere.Running()))
	}

	restarted, err := engine.New(engine.Options{Client: ts.env.Client, Actions: testActions(ts.dir)})
	if err != nil {
		t.Fatal(err)
	}
	if resumed, err := ResumeStopped(restarted); err != nil || len(resumed) != 1 || resumed[0] != id {
		t.Fatalf("the restart on its own account continued %v (%v), want %s", resumed, err, id)
	}
	waitUntil(t, "the continued rollout to end", func() bool { return len(restarted.Running()) == 0 })
	if st := lastState(ts.journal(t, id)); st != actions.StateDone {
		t.Fatalf("the continued rollout ended %q, want done", st)
	}
	if err := Stop(ctx, restarted, time.Millisecond); err != nil {
		t.Fatal(err)
	}
}
