package actions

import (
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
)

func TestTally(t *testing.T) {
	tests := []struct {
		name                  string
		passes, fails         int
		ok, answered          bool
		wantPasses, wantFails int
	}{
		{"a pass counts and clears failures", 1, 2, true, true, 2, 0},
		{"an error answer counts and clears passes", 3, 1, false, true, 0, 2},
		{"no answer (still booting) clears both", 2, 2, false, false, 0, 0},
		{"first error answer", 0, 0, false, true, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f := tally(tt.passes, tt.fails, tt.ok, tt.answered)
			if p != tt.wantPasses || f != tt.wantFails {
				t.Errorf("tally = %d, %d; want %d, %d", p, f, tt.wantPasses, tt.wantFails)
			}
		})
	}
}

// TestServiceAnsweringErrorsFailsFast: a new droplet whose service answers 500 fails after
// the unhealthy threshold, long before the health timeout, and the canary rolls back.
func TestServiceAnsweringErrorsFailsFast(t *testing.T) {
	env := startSim(t, dosim.Config{})
	before := snapshot(t, env.Client)
	st := testStrategy(env, 1)
	st.Canary = 1
	st.Health.Timeout = Duration(time.Minute)
	st.Health.FailThreshold = 3
	st.AllowDowngrade = true // web-1.6.0-broken is a pre-release of 1.6.0, which two of them run
	p := plan(t, env.Client, "web-1.6.0-broken", st, "role:web")
	start := time.Now()
	e, err := apply(t, env.Client, p, testOptions(t))
	mustErr(t, err, ErrRolledBack)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %s with a one-minute health timeout; the unhealthy threshold should end it early", took)
	}
	failed := false
	for _, sl := range e.Status().Slots {
		if sl.Phase == PhaseFailed && strings.Contains(sl.Err, "unhealthy: 3 probes in a row answered HTTP 500") {
			failed = true
		}
	}
	if !failed {
		t.Errorf("no replacement failed for its error answers: %+v", e.Status().Slots)
	}
	sameFleet(t, env.Client, before, p)
}
