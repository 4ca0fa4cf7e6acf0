package actions

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/fleet"
)

// untag removes tag from droplet id, as someone outside molt would.
func untag(t *testing.T, c *godo.Client, tag string, id int) {
	_, err := c.Tags.UntagResources(context.Background(), tag, &godo.UntagResourcesRequest{
		Resources: []godo.Resource{{ID: strconv.Itoa(id), Type: godo.DropletResourceType}}})
	if err != nil {
		t.Errorf("untag droplet %d: %v", id, err)
	}
}

// TestOldDropletTakenOutOfTheRolloutIsNotDestroyed: someone removes the lock tag from
// an old droplet while the rollout waits at its canary's checkpoint. When its wave
// retires, molt leaves that droplet alone, pauses saying why, and once continued
// finishes the rest; the droplet is still there.
func TestOldDropletTakenOutOfTheRolloutIsNotDestroyed(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	st := patient(testStrategy(env, 10))
	st.Canary = 1
	p := plan(t, env.Client, "web-1.6.0", st, "role:web", "env:prod")
	victim := p.Waves[1].Replacements[3].Old
	e := start(t, env, p, testOptions(t))
	var mu sync.Mutex
	var alone []LeftAlone
	var pauses []string
	wait := watch(e, func(ev Event) {
		switch ev := ev.(type) {
		case CheckpointReached:
			untag(t, env.Client, RolloutTag(e.ID()), victim.ID)
			_ = e.Continue()
		case LeftAlone:
			mu.Lock()
			alone = append(alone, ev)
			mu.Unlock()
		case StateChanged:
			if ev.State == StatePaused {
				mu.Lock()
				pauses = append(pauses, ev.Reason)
				mu.Unlock()
				_ = e.Continue()
			}
		}
	})
	if err := run(t, e); err != nil {
		t.Fatalf("run: %v", err)
	}
	wait()
	if len(alone) != 1 || alone[0].Droplet != victim.ID || alone[0].Name != victim.Name {
		t.Fatalf("left alone: %+v, want %s (%d)", alone, victim.Name, victim.ID)
	}
	want := "droplet " + strconv.Itoa(victim.ID) + " (" + victim.Name + ") no longer carries " + RolloutTag(e.ID())
	if len(pauses) != 1 || !strings.Contains(pauses[0], want) || !strings.Contains(pauses[0], "never destroys") {
		t.Errorf("pauses %q, want one saying %q", pauses, want)
	}
	w := snapshot(t, env.Client)
	if d, ok := w.byID[victim.ID]; !ok || d.Status != "active" {
		t.Errorf("the droplet taken out of the rollout is gone or not active: %+v", d)
	}
	recs := mustRead(t, e.JournalPath())
	i := slices.IndexFunc(recs, func(r Record) bool { return r.Kind == KindLeftAlone })
	if i < 0 || recs[i].Droplets[0] != victim.ID || recs[i].Target != RolloutTag(e.ID()) {
		t.Fatalf("the journal has no left_alone record of droplet %d", victim.ID)
	}
	for _, r := range recs {
		if r.Kind == KindIntent && slices.Contains(r.Droplets, victim.ID) && r.Op != OpLock && r.Op != OpLBAdd && r.Op != OpLBRemove {
			t.Errorf("after its check molt sent %s for droplet %d", r.Op, victim.ID)
		}
	}
	if s, _ := Summarize(e.JournalPath()); s.State != StateDone || s.Replaced != len(p.Replacements()) {
		t.Errorf("the rollout ended %s with %d of %d replaced", s.State, s.Replaced, len(p.Replacements()))
	}
}

// A droplet renamed outside molt fails the check too, and a new droplet molt made that
// lost its group's tag is not destroyed when its replacement fails.
func TestIdentityCheckJudgesNameAndTag(t *testing.T) {
	t.Parallel()
	s := &slot{r: Replacement{Slot: 0, Group: 3, Old: fleet.Server{ID: 7, Name: "web-a"}}, newID: 9}
	e := &Executor{id: "20250101-000000-abcd"}
	old, made := e.wantOf(s, oldSide), e.wantOf(s, newSide)
	for _, tc := range []struct {
		w    want
		d    godo.Droplet
		want string
	}{
		{old, godo.Droplet{ID: 7, Name: "web-a", Tags: []string{"molt:20250101-000000-abcd"}}, ""},
		{old, godo.Droplet{ID: 7, Name: "web-a", Tags: []string{"role:web"}}, "droplet 7 (web-a) no longer carries molt:20250101-000000-abcd"},
		{old, godo.Droplet{ID: 7, Name: "worker-00031", Tags: []string{"molt:20250101-000000-abcd"}}, "droplet 7 is named worker-00031 now, not web-a"},
		{made, godo.Droplet{ID: 9, Name: "web-a", Tags: []string{"molt:20250101-000000-abcd", "molt:20250101-000000-abcd:g3"}}, ""},
		{made, godo.Droplet{ID: 9, Name: "web-a", Tags: []string{"molt:20250101-000000-abcd"}}, "droplet 9 (web-a) no longer carries molt:20250101-000000-abcd:g3"},
	} {
		if got := judge(tc.w, tc.d); got != tc.want {
			t.Errorf("judge(%+v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestFailedNewDropletThatLostItsTagIsNotDestroyed: a canary on a broken image fails
// its health check after its group's tag was removed outside molt; molt does not
// destroy it, and rolls the rollout back around it.
func TestFailedNewDropletThatLostItsTagIsNotDestroyed(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	st := testStrategy(env, 2)
	st.Canary = 1
	st.AllowDowngrade = true // web-1.6.0-broken is a pre-release of 1.6.0, which two of them run
	st.Health.Timeout = Duration(time.Minute)
	p := plan(t, env.Client, "web-1.6.0-broken", st, "role:web")
	e := start(t, env, p, testOptions(t))
	var made int
	wait := watch(e, func(ev Event) {
		switch ev := ev.(type) {
		case PhaseChanged:
			if ev.Phase == PhaseActive && made == 0 {
				made = ev.NewID
				untag(t, env.Client, GroupTag(e.ID(), 1), made)
				e.Abort(true) // the health check ends at once: the canary is cancelled
			}
		case StateChanged:
			if ev.State == StatePaused {
				_ = e.Continue()
			}
		}
	})
	err := run(t, e)
	wait()
	if !errors.Is(err, ErrRolledBack) {
		t.Fatalf("run: %v, want rolled back", err)
	}
	if _, ok := snapshot(t, env.Client).byID[made]; !ok || made == 0 {
		t.Errorf("new droplet %d that lost its group's tag was destroyed", made)
	}
	recs := mustRead(t, e.JournalPath())
	if !slices.ContainsFunc(recs, func(r Record) bool { return r.Kind == KindLeftAlone && r.Droplets[0] == made }) {
		t.Errorf("the journal has no left_alone record of droplet %d", made)
	}
}
