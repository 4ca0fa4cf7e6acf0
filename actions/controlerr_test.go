package actions

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
)

// A pause the journal does not take (a full disk) is not dropped: the run stops at once,
// resumable, saying so, rather than run on with a journal that says otherwise (case 10
// of issue 11: control.go dropped these errors).
func TestPauseThatCannotBeJournaledStopsTheRun(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	e := start(t, env, canaryPlan(t, env), testOptions(t))
	done := atCheckpoint(t, e)
	// The checkpoint is shown before it is journaled: wait for its record.
	waitFor(t, 10*time.Second, func() bool {
		recs, err := ReadJournal(e.JournalPath())
		return err == nil && recs[len(recs)-1].State == StateCheckpoint
	})
	full := errors.New("no space left on device")
	e.j.mu.Lock()
	e.j.write = func(*os.File, []byte) (int, error) { return 0, full }
	e.j.mu.Unlock()
	e.Pause()
	err := <-done
	if !errors.Is(err, full) || !strings.Contains(err.Error(), "journal the operator's pause") {
		t.Fatalf("the run after a pause it could not journal: %v", err)
	}
	if s, _ := Summarize(e.JournalPath()); s.State.Final() {
		t.Errorf("the rollout is %s, want it resumable", s.State)
	}
}

// Every phase change is journaled and published: replacements an abort keeps in service
// reach soaked with a record and an event (case 10: three phase changes were neither).
func TestPhaseChangesAreJournaled(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	st := sturdyStrategy(env, 3)
	st.MinReady = Duration(time.Minute)
	p := plan(t, env.Client, "web-1.6.0", st, "role:web", "env:prod")
	p.Waves = p.Waves[:1]
	e := start(t, env, p, testOptions(t))
	published := 0
	wait := watch(e, func(ev Event) {
		pc, ok := ev.(PhaseChanged)
		switch {
		case ok && pc.Phase == PhaseHandedOver:
			e.Abort(false)
		case ok && pc.Phase == PhaseSoaked && pc.Reason == "kept in service by the abort":
			published++
		}
	})
	if err := run(t, e); !errors.Is(err, ErrAborted) {
		t.Fatalf("abort while soaking: %v", err)
	}
	wait()
	recs, _ := ReadJournal(e.JournalPath())
	journaled := 0
	for _, r := range recs {
		if r.Kind == KindPhase && r.Phase == PhaseSoaked && r.Reason == "kept in service by the abort" {
			journaled++
		}
	}
	if journaled == 0 || journaled != published {
		t.Errorf("kept in service by the abort: %d journaled, %d published", journaled, published)
	}
}
