package actions

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
)

// A provisioning time learnt on a slow cloud is corrected on a fast one, within the
// rollout, and the journal records what was measured, so that the next rollout starts
// from it (case 7 of issue 11: every wave polled first at the old 20 s).
func TestProvisionEstimateLearnsDown(t *testing.T) {
	t.Parallel()
	provision := 40 * time.Millisecond
	env := startSim(t, dosim.Config{Provision: provision})
	p := plan(t, env.Client, "web-1.6.0", testStrategy(env, 4), "role:web")
	opt := testOptions(t)
	opt.Timing.ProvisionEstimate = 20 * provision // from a rollout on a slower cloud
	e, err := apply(t, env.Client, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	learnt := LearnedProvisionTime(filepath.Dir(e.JournalPath()))
	if learnt <= 0 || learnt > 5*provision { // polls on a loaded machine run late
		t.Errorf("the journal says droplets took %v to turn active, want about %v", learnt, provision)
	}
}

// Waits lengthened by API errors are not taken for provisioning time (case 7: a 503
// storm made later rollouts wait 33 s per wave).
func TestProvisionEstimateIgnoresWaitsForAPIErrors(t *testing.T) {
	t.Parallel()
	provision := 40 * time.Millisecond
	env := startSim(t, dosim.Config{Provision: provision})
	p := plan(t, env.Client, "web-1.6.0", testStrategy(env, 4), "role:web")
	half := 0.5
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "GET", Path: "/v2/droplets", Status: 503, Probability: &half}); err != nil {
		t.Fatal(err)
	}
	opt := testOptions(t)
	opt.Timing.RetryBase, opt.Timing.RetryMax = 200*time.Millisecond, 200*time.Millisecond
	opt.Timing.Attempts = 20
	e, err := apply(t, env.Client, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := ReadJournal(e.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Kind == KindPhase && r.Phase == PhaseActive && r.Took.D() >= 200*time.Millisecond {
			t.Errorf("slot %v: journaled a provisioning time of %v, lengthened by a retry", r.Slots, r.Took)
		}
	}
	if learnt := LearnedProvisionTime(filepath.Dir(e.JournalPath())); learnt >= 200*time.Millisecond {
		t.Errorf("the journal says droplets took %v to turn active, want about %v", learnt, provision)
	}
}
