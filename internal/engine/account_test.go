package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// An engine resumes and rolls back only the rollouts of the account its client reaches:
// another's is refused at once, naming both, and runs nothing.
func TestEngineRefusesAnotherAccountsRollout(t *testing.T) {
	e, _, r := webAtCheckpoint(t)
	if _, err := e.Stop(t.Context(), time.Second, actions.Operator{User: "test"}, "test"); err != nil {
		t.Fatal(err)
	}

	other := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	elsewhere, err := New(Options{Client: other.Client, Actions: e.Options().Actions})
	if err != nil {
		t.Fatal(err)
	}
	var mismatch *actions.AccountMismatchError
	if _, err := elsewhere.Resume(r.ID(), nil, ""); !errors.As(err, &mismatch) {
		t.Errorf("resume on another account: %v, want a refusal", err)
	}
	if _, err := elsewhere.Rollback(r.ID(), nil, ""); !errors.As(err, &mismatch) {
		t.Errorf("rollback on another account: %v, want a refusal", err)
	}
	if n := len(elsewhere.Running()); n != 0 {
		t.Errorf("%d runs on the other account", n)
	}
	if acct, err := elsewhere.Account(t.Context()); err != nil || acct.UUID != other.Sim.AccountUUID() {
		t.Errorf("the other engine's account: %+v, %v", acct, err)
	}
}
