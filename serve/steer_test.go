package serve

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/molt-sh/molt/actions"
)

// TestViewerIdentityIsRefusedByTheEngine pins the second line of defence: should a
// viewer's session ever reach the engine, it refuses to start anything, and a viewer's
// handle on a running rollout steers nothing.
func TestViewerIdentityIsRefusedByTheEngine(t *testing.T) {
	ts := startServer(t, withCheckpoint)
	alice := sessionEngine{e: ts.engine, id: ts.aliceID()}
	viewerID := ts.aliceID()
	viewerID.User, viewerID.Role = "victor", RoleViewer
	viewer := sessionEngine{e: ts.engine, id: viewerID}
	plan := ts.webPlan(t, alice)
	ctx := context.Background()
	if _, err := viewer.Start(ctx, plan); !errors.Is(err, errViewer) {
		t.Fatalf("a viewer started a rollout: %v", err)
	}
	run, err := alice.Start(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := viewer.Resume(ctx, run.ID()); !errors.Is(err, errViewer) {
		t.Fatalf("a viewer resumed a rollout: %v", err)
	}
	if _, err := viewer.Rollback(ctx, run.ID()); !errors.Is(err, errViewer) {
		t.Fatalf("a viewer rolled a rollout back: %v", err)
	}
	watched := viewer.steer(ts.engine.Find(run.ID()))
	watched.Pause()
	if err := watched.Continue(); !errors.Is(err, errViewer) {
		t.Fatalf("a viewer's continue: %v, want a refusal", err)
	}
	watched.Abort(true)
	if got := controls(ts.journal(t, run.ID())); len(got) != 0 {
		t.Fatalf("a viewer's controls were journaled: %+v", got)
	}
	if !strings.Contains(ts.log.String(), "control refused: viewer key") {
		t.Fatalf("the refusals are not logged:\n%s", ts.log.String())
	}
	joined, err := alice.Resume(ctx, run.ID())
	if err != nil || joined.ID() != run.ID() || len(ts.engine.Running()) != 1 {
		t.Fatalf("resuming a rollout running here: %v, %d running; want to join it", err, len(ts.engine.Running()))
	}
	if _, err := alice.Rollback(ctx, run.ID()); err == nil || !strings.Contains(err.Error(), "is running") {
		t.Fatalf("rolling back a rollout running here: %v, want a pointer to abort", err)
	}
	waitUntil(t, "the checkpoint", func() bool { return ts.engine.Running()[0].Status().State == actions.StateCheckpoint })
	if err := joined.Continue(); err != nil {
		t.Fatalf("continue at the checkpoint: %v", err)
	}
	ts.settled(t)
}

// A session's subscription to a run ends with the session, though its program never
// leaves (case 10 of issue 11: each dropped session left a subscriber, and its goroutine,
// until the rollout ended).
func TestSessionSubscriptionEndsWithTheSession(t *testing.T) {
	ts := startServer(t, withCheckpoint)
	sessCtx, drop := context.WithCancel(context.Background())
	alice := sessionEngine{e: ts.engine, id: ts.aliceID(), ctx: sessCtx}
	run, err := alice.Start(context.Background(), ts.webPlan(t, alice))
	if err != nil {
		t.Fatal(err)
	}
	events, _ := run.Subscribe() // the program never calls leave
	<-events
	drop()
	for range events {
	}
	waitUntil(t, "the checkpoint", func() bool { return ts.engine.Running()[0].Status().State == actions.StateCheckpoint })
	if err := run.Continue(); err != nil {
		t.Fatal(err)
	}
	ts.settled(t)
}
