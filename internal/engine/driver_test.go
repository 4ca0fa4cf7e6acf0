package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
)

// A cockpit of another process (here another engine on the same journals) cannot resume
// or roll back a rollout that one drives: it is told who drives it (case 1 of issue 11).
func TestSecondCockpitIsToldWhoDrives(t *testing.T) {
	e, env, r := webAtCheckpoint(t)
	other, err := New(Options{Client: env.Client, Actions: e.Options().Actions})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = other.Close(ctx)
	}()
	var de *actions.DrivenError
	if _, err := other.Resume(r.ID(), nil, "bob"); !errors.As(err, &de) {
		t.Errorf("a second cockpit's resume: %v, want it told who drives the rollout", err)
	}
	if _, err := other.Rollback(r.ID(), nil, "bob"); !errors.As(err, &de) {
		t.Errorf("a second cockpit's rollback: %v, want it told who drives the rollout", err)
	}
	r.Abort(false)
	<-r.Done()
}
