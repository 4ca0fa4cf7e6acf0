package actions

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/fleet"
)

// A rollback re-creates an old droplet that was destroyed; someone destroys the
// re-created one while it starts. The rollback says so at once, rather than wait for
// it until the active timeout.
func TestRollbackSaysARestoredDropletIsGone(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{Provision: 500 * time.Millisecond}) // the re-created droplets start slowly
	st := testStrategy(env, 4)
	st.ActiveTimeout = Duration(20 * time.Second)
	p := plan(t, env.Client, "worker-2.2.0", st, "role:worker", "env:prod")
	opt := testOptions(t)
	e, err := apply(t, env.Client, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Rollback(env.Client, e.JournalPath(), opt)
	if err != nil {
		t.Fatal(err)
	}
	events, leave := rb.Subscribe()
	defer leave()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	begun := time.Now()
	go func() { done <- rb.Run(ctx) }()
	destroyed := false
	for !destroyed {
		select {
		case ev := <-events:
			if f, ok := ev.(StepFinished); ok && f.Step == "recreate" && f.Err == "" {
				slot := f.Slot
				made, err := rb.api.listByTag(ctx, RollbackGroupTag(rb.id, slot))
				if err != nil || len(made) != 1 {
					t.Fatalf("the re-created droplet of slot %d: %v, %d found", slot, err, len(made))
				}
				if _, err := env.Client.Droplets.Delete(ctx, made[0].ID); err != nil {
					t.Fatal(err)
				}
				destroyed = true
			}
		case err := <-done:
			t.Fatalf("the rollback ended before any droplet was re-created: %v", err)
		}
	}
	err = <-done
	if err == nil || !strings.Contains(err.Error(), "is gone") {
		t.Fatalf("rollback: %v; want it to say the restored droplet is gone", err)
	}
	if took := time.Since(begun); took > 10*time.Second {
		t.Errorf("the rollback took %s to notice; the active timeout is 20s", took)
	}
	// Rolling back again makes the lost droplet anew, and ends.
	again, err := Rollback(env.Client, e.JournalPath(), opt)
	if err != nil {
		t.Fatal(err)
	}
	mustErr(t, run(t, again), ErrRolledBack)
	for _, r := range p.Replacements() {
		if got := servers(t, env.Client, "role:worker"); !slices.ContainsFunc(got, func(s fleet.Server) bool {
			return s.Name == r.Old.Name && s.Image.ImageID == r.Old.Image.ImageID && s.Status == "active"
		}) {
			t.Errorf("after rolling back again, %s is not back on its image", r.Old.Name)
		}
	}
}
