package actions

import (
	"errors"
	"fmt"
	"testing"
)

// A pool rollout crashed right after a journal record and resumed ends as an
// uninterrupted one does: rolled forward onto the target, or (after a failed health
// check) back onto the previous image, with nothing lost or left over. The crash comes
// after every record in turn (TestPoolCrashAtEveryRecord), or after a record named by
// what it says (a poolCrashPoint: how many records come before it depends on when the
// pool moves).

// poolCrashPoint names a record to crash after: the nth (from 1) that match says.
type poolCrashPoint struct {
	name  string
	nth   int
	match func(Record) bool
}

func resultOf(op Op) func(Record) bool {
	return func(r Record) bool {
		return r.Kind == KindResult && r.Op == op
	}
}

func phaseIs(p Phase) func(Record) bool {
	return func(r Record) bool { return r.Kind == KindPhase && r.Phase == p }
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

// TestPoolCrashAtEveryRecord crashes a pool rollout right after each record of its
// journal in turn (kill -9 at any record: the journal takes nothing more, no request
// leaves, the lease stays), resumes it, and checks that it ends as an uninterrupted one
// does: rolled onto the target, or (broken: the first new member fails its check) back
// onto the previous image, with the template where it belongs and nothing lost or left
// over. Where a record falls depends on when the pool moves, so a run that ends before
// its crash point is checked as it is.
func TestPoolCrashAtEveryRecord(t *testing.T) {
	t.Parallel()
	for _, broken := range []bool{false, true} {
		t.Run(fmt.Sprintf("broken=%v", broken), func(t *testing.T) {
			t.Parallel()
			n := poolRecords(t, broken)
			for k := 1; k <= n; k++ {
				t.Run(fmt.Sprint("record ", k), func(t *testing.T) {
					t.Parallel()
					c := newSmallPoolCase(t)
					opt := c.opt
					opt.crashAt = k
					path, err := poolRunWith(t, c, broken, opt)
					if errors.Is(err, errCrashed) {
						r, rerr := ResumePool(c.client, path, c.opt)
						if rerr != nil {
							t.Fatalf("resume after a crash at record %d: %v", k, rerr)
						}
						err = runPool(t, r)
					}
					c.checkEnd(t, broken, err)
				})
			}
		})
	}
}

// poolRecords counts the records of an uninterrupted run of a small pool's rollout.
func poolRecords(t *testing.T, broken bool) int {
	t.Helper()
	c := newSmallPoolCase(t)
	path, err := poolRunWith(t, c, broken, c.opt)
	c.checkEnd(t, broken, err)
	recs, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

// poolRunWith runs a pool rollout of the case with opt to its end (or its crash);
// broken marks the target unhealthy first.
func poolRunWith(t *testing.T, c *poolCase, broken bool, opt Options) (string, error) {
	t.Helper()
	if broken {
		if err := c.env.Sim.SetImageFlags(c.target.ImageID, true, false); err != nil {
			t.Fatal(err)
		}
	}
	r, err := StartPool(c.client, c.plan(t), opt)
	if err != nil {
		t.Fatal(err)
	}
	return r.JournalPath(), runPool(t, r)
}

// checkEnd asserts how a run of the case ended: done on the target, or rolled back onto
// the previous image when the target is broken.
func (c *poolCase) checkEnd(t *testing.T, broken bool, err error) {
	t.Helper()
	want := c.target
	if broken {
		want = c.from
		if !errors.Is(err, ErrRolledBack) {
			t.Fatalf("run: %v, want rolled back", err)
		}
	} else if err != nil {
		t.Fatalf("run: %v", err)
	}
	c.check(t, want)
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
