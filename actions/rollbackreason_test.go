package actions

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
)

// A rollback that failures began, interrupted (here by a crash in its middle) and
// resumed, ends as it would have: rolled back for those failures, not "rollback
// requested", which only molt rollback asks for (case 9 of issue 11).
func TestResumedRollbackKeepsItsReason(t *testing.T) {
	t.Parallel()
	setup := func() (*Executor, Options) {
		env := startSim(t, dosim.Config{})
		st := testStrategy(env, 2)
		st.OnFailure = OnFailureRollback
		p := plan(t, env.Client, "web-1.6.0", st, "role:web", "env:prod")
		p.Waves = p.Waves[:2]
		opt := testOptions(t)
		e := start(t, env, p, opt)
		// The first wave goes in; the next wave's image answers its health checks 500.
		ch, leave := e.Subscribe()
		go func() {
			defer leave()
			for ev := range ch {
				if w, ok := ev.(WaveStarted); ok && w.Wave == 1 {
					_ = env.Sim.SetImageFlags(p.Target.ImageID, true, false)
					return
				}
			}
		}()
		return e, opt
	}
	e, _ := setup()
	err := run(t, e)
	var rb *RollbackError
	if !errors.As(err, &rb) || rb.Asked() || !strings.Contains(rb.Reason, "more than --max-failures 0") {
		t.Fatalf("the uninterrupted run: %v, want rolled back for its failures", err)
	}
	recs, _ := ReadJournal(e.JournalPath())
	k := 0
	for _, r := range recs {
		if r.Kind == KindState && r.State == StateRollingBack && k == 0 {
			k = r.Seq + 3 // a little into the rollback
		}
	}
	e, opt := setup()
	e.j.crashAt = k
	if err := run(t, e); !errors.Is(err, errCrashed) {
		t.Fatalf("no crash at record %d: %v", k, err)
	}
	x, err := Resume(e.api.c, e.JournalPath(), opt)
	if err != nil {
		t.Fatal(err)
	}
	err = run(t, x)
	if !errors.As(err, &rb) || rb.Asked() || !strings.Contains(rb.Reason, "more than --max-failures 0") {
		t.Errorf("the resumed rollback: %v, want rolled back for the failures it began for", err)
	}
}

// The destroys of a wave by ID are journaled as each ends: one that keeps failing holds
// up no other's record (case 9: done destroys were journaled only after a two-minute
// retry streak of another). A wave retires by ID when its retire tag is refused.
func TestDestroysAreJournaledAsTheyEnd(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	p := plan(t, env.Client, "web-1.6.0", sturdyStrategy(env, 4), "role:web", "env:prod")
	p.Waves = p.Waves[:1]
	slow := p.Waves[0].Replacements[0].Old.ID
	for _, f := range []dosim.Fault{
		{Method: "POST", Path: "/v2/tags/molt:*:r0-1/resources", Status: 422, Count: 1},
		{Method: "DELETE", Path: fmt.Sprintf("/v2/droplets/%d", slow), Status: 503, Count: 4},
	} {
		if _, err := env.Sim.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	opt := testOptions(t)
	opt.Timing.RetryBase, opt.Timing.RetryMax = 40*time.Millisecond, 40*time.Millisecond
	e, err := apply(t, env.Client, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := ReadJournal(e.JournalPath())
	var order []int
	intents := map[int]int{}
	for _, r := range recs {
		switch {
		case r.Kind == KindIntent && r.Op == OpRetire:
			intents[r.Seq] = r.Droplets[0]
		case r.Kind == KindResult && r.Op == OpRetire:
			order = append(order, intents[r.Ref])
		}
	}
	if len(order) != len(p.Waves[0].Replacements) || order[len(order)-1] != slow {
		t.Errorf("retire results journaled for droplets %v; want the slow one (%d) last", order, slow)
	}
}
