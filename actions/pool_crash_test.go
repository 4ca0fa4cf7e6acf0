package actions

import (
	"errors"
	"fmt"
	"testing"
)

// A pool rollout crashed right after a journal record and resumed ends as an
// uninterrupted one does: rolled forward onto the target, or (after a failed health
// check) back onto the previous image, with nothing lost or left over. A crash point
// names its record by what it says, not by its number: how many records come before it
// depends on when the pool moves.

// poolCrashPoint names a record to crash after: the nth (from 1) that match says.
type poolCrashPoint struct {
	name  string
	nth   int
	match func(Record) bool
}

func intentOf(op Op) func(Record) bool {
	return func(r Record) bool { return r.Kind == KindIntent && r.Op == op }
}

func resultOf(op Op) func(Record) bool {
	return func(r Record) bool {
		return r.Kind == KindResult && r.Op == op
	}
}

func phaseIs(p Phase) func(Record) bool {
	return func(r Record) bool { return r.Kind == KindPhase && r.Phase == p }
}

var forwardCrashes = []poolCrashPoint{
	{"the template intent", 1, intentOf(OpPoolTemplate)},
	{"the template result", 1, resultOf(OpPoolTemplate)},
	{"the first new member seen", 1, phaseIs(PhaseCreated)},
	{"the first new member healthy", 1, phaseIs(PhaseHealthy)},
	{"the first replacement done", 1, phaseIs(PhaseDone)},
	{"the release intent", 1, intentOf(OpPoolRelease)},
}

var rollbackCrashes = []poolCrashPoint{
	{"the first new member failed", 1, phaseIs(PhaseFailed)},
	{"the restore intent", 1, intentOf(OpPoolRestore)},
	{"the restore result", 1, resultOf(OpPoolRestore)},
}

// crash makes the point a rollout's crashAfter: it matches its nth record; reached says
// whether it did.
func (p poolCrashPoint) crash() (after func(Record) bool, reached func() bool) {
	n := 0
	return func(r Record) bool {
			if p.match(r) {
				n++
				return n == p.nth
			}
			return false
		}, func() bool {
			return n >= p.nth
		}
}

// poolRun runs a pool rollout of the case to its end, or to a crash at the point;
// broken marks the target unhealthy first.
func poolRun(t *testing.T, c *poolCase, broken bool, p *poolCrashPoint) (string, error) {
	t.Helper()
	if broken {
		if err := c.env.Sim.SetImageFlags(c.target.ImageID, true, false); err != nil {
			t.Fatal(err)
		}
	}
	r, err := StartPool(c.client, c.plan(t), c.opt)
	if err != nil {
		t.Fatal(err)
	}
	if p != nil {
		var reached func() bool
		r.crashAfter, reached = p.crash()
		defer func() {
			if !reached() {
				t.Errorf("the rollout never reached %s", p.name)
			}
		}()
	}
	return r.JournalPath(), runPool(t, r)
}

func TestPoolCrashResumed(t *testing.T) {
	t.Parallel()
	for _, broken := range []bool{false, true} {
		points := forwardCrashes
		if broken {
			points = rollbackCrashes
		}
		for _, p := range points {
			t.Run(fmt.Sprintf("broken=%v/after %s", broken, p.name), func(t *testing.T) {
				t.Parallel()
				c := newSmallPoolCase(t)
				path, err := poolRun(t, c, broken, &p)
				if !errors.Is(err, errCrashed) {
					t.Fatalf("no crash after %s: %v", p.name, err)
				}
				r, err := ResumePool(c.client, path, c.opt)
				if err != nil {
					t.Fatalf("resume: %v", err)
				}
				err = runPool(t, r)
				want := c.target
				if broken {
					want = c.from
					if !errors.Is(err, ErrRolledBack) {
						t.Fatalf("resumed run: %v, want rolled back", err)
					}
				} else if err != nil {
					t.Fatalf("resumed run: %v", err)
				}
				c.check(t, want)
			})
		}
	}
}
