package actions

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/molt-sh/molt/dosim"
)

// unlockedJournal starts a rollout that never ran: its journal holds the header, and
// no droplet carries its lock. damage makes the journal unreadable in its own way.
func unlockedJournal(t *testing.T, damage func(path string, b []byte) []byte) (string, Options, *Executor) {
	t.Helper()
	env := startSim(t, dosim.Config{HealthPort: -1})
	opt := testOptions(t)
	e, err := Start(env.Client, plan(t, env.Client, "web-1.6.0", DefaultStrategy(), "role:web", "env:prod"), opt)
	if err != nil {
		t.Fatal(err)
	}
	e.j.Close()
	path := e.JournalPath()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, damage(path, b), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadJournal(path); err == nil {
		t.Fatal("the journal is not damaged")
	}
	return path, opt, e
}

// A damaged journal of a rollout that holds no lock (stopped before its lock took) is
// ended by molt recover, not left for ever with every command pointing at recover,
// which found nothing to recover (D3 of the chaos findings): with its header readable,
// a journal that ends it (aborted, recovered) takes its place; with no header, the
// damaged journal is moved aside and the rollout holds nothing; of another account, or
// while a process drives it, it is left as it is.
func TestRecoverEndsADamagedRolloutThatHoldsNoLock(t *testing.T) {
	t.Parallel()
	middle := func(_ string, b []byte) []byte {
		return append(b, []byte("{\"seq\": damaged\n{\"seq\":3,\"kind\":\"state\",\"state\":\"running\"}\n")...)
	}
	t.Run("header readable", func(t *testing.T) {
		t.Parallel()
		path, opt, e := unlockedJournal(t, middle)
		got, err := Recover(context.Background(), e.api.c, e.ID(), RecoverOptions{}, opt)
		if err != nil || got != path {
			t.Fatalf("recover: %q, %v", got, err)
		}
		s, err := Summarize(path)
		if err != nil || s.State != StateAborted || !s.Recovered {
			t.Fatalf("the recovered journal: %+v, %v; want it aborted and recovered", s, err)
		}
		if aside, _ := filepath.Glob(path + ".damaged-*"); len(aside) != 1 {
			t.Errorf("the damaged journal was not kept aside: %v", aside)
		}
	})
	t.Run("no header", func(t *testing.T) {
		t.Parallel()
		path, opt, e := unlockedJournal(t, func(string, []byte) []byte { return nil })
		_, err := Recover(context.Background(), e.api.c, e.ID(), RecoverOptions{}, opt)
		var held *NothingHeldError
		if !errors.As(err, &held) {
			t.Fatalf("recover: %v, want the journal moved aside", err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("the damaged journal is still at %s", path)
		}
		if _, err := os.Stat(held.MovedTo); err != nil {
			t.Errorf("the damaged journal is not where the error says: %v", err)
		}
		if list, err := ListRollouts(opt.Dir); err != nil || len(list) != 0 {
			t.Errorf("rollouts after: %+v, %v; want none", list, err)
		}
	})
	t.Run("another account", func(t *testing.T) {
		t.Parallel()
		path, opt, e := unlockedJournal(t, middle)
		other := startSim(t, dosim.Config{HealthPort: -1, Team: "elsewhere"})
		var mismatch *AccountMismatchError
		if _, err := Recover(context.Background(), other.Client, e.ID(), RecoverOptions{}, opt); !errors.As(err, &mismatch) {
			t.Fatalf("recover on another account: %v, want it refused", err)
		}
		if _, err := ReadJournal(path); err == nil {
			t.Error("the refused recover replaced the journal")
		}
	})
	t.Run("driven", func(t *testing.T) {
		t.Parallel()
		path, opt, e := unlockedJournal(t, middle)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := lockFile(f); err != nil {
			t.Fatal(err)
		}
		if _, err := Recover(context.Background(), e.api.c, e.ID(), RecoverOptions{}, opt); !isDriven(err) {
			t.Fatalf("recover while a process holds the journal: %v, want it refused", err)
		}
	})
}
