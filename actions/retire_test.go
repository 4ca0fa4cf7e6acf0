package actions

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
)

// TestWaveRetiresWithOneDeleteByTag: a surge-10 rollout of 20 servers destroys each
// wave's ten old droplets with one tag request and one delete by tag, never droplet by
// droplet, and journals every droplet each delete destroys.
func TestWaveRetiresWithOneDeleteByTag(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{Seed: "scale", Droplets: 60, Provision: 20 * time.Millisecond})
	p := plan(t, env.Client, "web-1.6.0", sturdyStrategy(env, 10), "role:web")
	if len(p.Waves) != 2 || len(p.Waves[0].Replacements) != 10 {
		t.Fatalf("the plan has %d waves, want two of ten", len(p.Waves))
	}
	before := env.Sim.Stats().ByRoute
	e, err := apply(t, env.Client, p, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	calls := routeDelta(before, env.Sim.Stats().ByRoute)
	if calls["DELETE /v2/droplets/{id}"] != 0 || calls["DELETE /v2/droplets"] != len(p.Waves) {
		t.Errorf("deletes by route: %v; want one delete by tag per wave (%d) and none by ID", calls, len(p.Waves))
	}
	after := snapshot(t, env.Client)
	for _, r := range p.Replacements() {
		if _, ok := after.byID[r.Old.ID]; ok {
			t.Errorf("old droplet %d (%s) is still there", r.Old.ID, r.Old.Name)
		}
	}
	for _, w := range p.Waves {
		var olds []int
		for _, r := range w.Replacements {
			olds = append(olds, r.Old.ID)
		}
		tag := RetireTag(e.ID(), w.Index, 1)
		recs := mustRead(t, e.JournalPath())
		tagged := slices.IndexFunc(recs, func(r Record) bool { return r.Kind == KindIntent && r.Op == OpRetireTag && r.Target == tag })
		deleted := slices.IndexFunc(recs, func(r Record) bool { return r.Kind == KindIntent && r.Op == OpRetire && r.Target == tag })
		switch {
		case tagged < 0 || deleted < tagged:
			t.Errorf("wave %d: no retire tag %s journaled before its delete", w.Index, tag)
		case !sameIDs(recs[tagged].Droplets, olds) || !sameIDs(recs[deleted].Droplets, olds):
			t.Errorf("wave %d: tagged %v and deleted %v, want its old droplets %v", w.Index, recs[tagged].Droplets, recs[deleted].Droplets, olds)
		}
	}
}

func sameIDs(a, b []int) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}

// isRetireTagResult and isDeleteByTagResult match the results of a wave's two retire
// calls (the crash case's first wave: two old droplets).
func isRetireTagResult(r Record) bool {
	return r.Kind == KindResult && r.Op == OpRetireTag && r.Err == ""
}

func isDeleteByTagResult(r Record) bool {
	return r.Kind == KindResult && r.Op == OpRetire && r.Err == "" && len(r.Slots) > 1
}

// cutLastRecord drops the journal's last record, as if the process had died just before
// writing it: the call it reports was made, and nothing says so.
func cutLastRecord(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndexByte(bytes.TrimSuffix(data, []byte("\n")), '\n')
	if err := os.WriteFile(path, data[:i+1], 0o600); err != nil {
		t.Fatal(err)
	}
}

// retireIntents are the retire tags a journal put on droplets and deleted by.
func retireIntents(t *testing.T, path string) (tagged, deleted []string) {
	for _, r := range mustRead(t, path) {
		switch {
		case r.Kind == KindIntent && r.Op == OpRetireTag:
			tagged = append(tagged, r.Target)
		case r.Kind == KindIntent && r.Op == OpRetire && r.Target != "":
			deleted = append(deleted, r.Target)
		}
	}
	return tagged, deleted
}

// TestCrashAroundTheDeleteByTag kills a rollout around its first wave's retire and
// resumes it: after the tag (its result journaled, or not), and after the delete by tag
// (its result journaled, or not). The resumed run ends with the fleet as it should be,
// never deletes by the tag of the try that was cut short, and finds what the delete
// destroyed gone without calling again.
func TestCrashAroundTheDeleteByTag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		after   func(Record) bool
		cut     bool // the last record was never written
		deletes int  // delete requests the resumed run makes (the last wave's one by ID included)
	}{
		{"after the tag", isRetireTagResult, false, 2},
		{"after the tag, its result lost", isRetireTagResult, true, 2},
		{"after the delete's intent", func(r Record) bool { return r.Kind == KindIntent && r.Op == OpRetire && r.Target != "" }, false, 2},
		{"after the delete, its result lost", isDeleteByTagResult, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newCrashCase(t, "destroy")
			c.plan.Strategy = sturdyStrategy(c.env, 2)
			path := c.crashAfter(t, tc.after)
			if tc.cut {
				cutLastRecord(t, path)
			}
			if _, err := PreviewRollback(path); err != nil { // replays the journal as `molt rollback` shows it
				t.Errorf("preview the rollback: %v", err)
			}
			before := c.env.Sim.Stats().ByRoute
			c.resume(t, path)
			calls := routeDelta(before, c.env.Sim.Stats().ByRoute)
			if n := calls["DELETE /v2/droplets"] + calls["DELETE /v2/droplets/{id}"]; n != tc.deletes {
				t.Errorf("the resumed run made %d delete requests (%v), want %d", n, calls, tc.deletes)
			}
			c.check(t, path, false)
			tagged, deleted := retireIntents(t, path)
			first := RetireTag(rolloutOfPath(path), 0, 1)
			if slices.Contains(deleted, first) != strings.Contains(tc.name, "the delete") {
				t.Errorf("deleted by %v; the try cut short (%s) must not be deleted by again", deleted, first)
			}
			if len(tagged) > 2 {
				t.Errorf("tagged %v: more tries than a crash makes", tagged)
			}
		})
	}
}

// TestRetireTagLeftOnAStrangerIsNeverDeletedBy: the process dies between tagging a
// wave's old droplets and deleting by the tag, and meanwhile someone takes one of them
// out of the rollout. The resumed run checks both again, leaves that one alone (it
// still carries the first try's tag, which nothing deletes by) and destroys the other
// (by ID: it is the only one left to destroy).
func TestRetireTagLeftOnAStrangerIsNeverDeletedBy(t *testing.T) {
	t.Parallel()
	c := newCrashCase(t, "destroy")
	c.plan.Strategy = sturdyStrategy(c.env, 2)
	path := c.crashAfter(t, isRetireTagResult)
	id := rolloutOfPath(path)
	stranger, other := c.plan.Waves[0].Replacements[0].Old, c.plan.Waves[0].Replacements[1].Old
	untag(t, c.env.Client, RolloutTag(id), stranger.ID)
	e, err := Resume(c.env.Client, path, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var alone []int
	wait := watch(e, func(ev Event) {
		switch ev := ev.(type) {
		case LeftAlone:
			mu.Lock()
			alone = append(alone, ev.Droplet)
			mu.Unlock()
		case StateChanged:
			if ev.State == StatePaused {
				_ = e.Continue()
			}
		}
	})
	if err := c.run(t, e); err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	wait()
	if !slices.Equal(alone, []int{stranger.ID}) {
		t.Errorf("left alone %v, want %d", alone, stranger.ID)
	}
	after := snapshot(t, c.env.Client)
	d, ok := after.byID[stranger.ID]
	if !ok || !slices.Contains(d.Tags, RetireTag(id, 0, 1)) {
		t.Fatalf("the droplet taken out of the rollout is gone, or lost the first try's tag: %+v", d)
	}
	if _, ok := after.byID[other.ID]; ok {
		t.Errorf("old droplet %d, checked again, was not destroyed", other.ID)
	}
	_, deleted := retireIntents(t, path)
	if slices.Contains(deleted, RetireTag(id, 0, 1)) {
		t.Errorf("deleted by %v, which includes the tag the stranger carries", deleted)
	}
}

// TestDropletFailingItsCheckIsNotTaggedForRetirement: an old droplet renamed outside
// molt before its wave retires is never given the wave's retire tag and survives; the
// rest of its wave goes with one delete by tag.
func TestDropletFailingItsCheckIsNotTaggedForRetirement(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	st := patient(testStrategy(env, 10))
	st.Canary = 1
	p := plan(t, env.Client, "web-1.6.0", st, "role:web", "env:prod")
	if len(p.Waves[1].Replacements) < 3 {
		t.Fatalf("the second wave has %d replacements, want three or more", len(p.Waves[1].Replacements))
	}
	victim := p.Waves[1].Replacements[1].Old
	e := start(t, env, p, testOptions(t))
	wait := watch(e, func(ev Event) {
		switch ev := ev.(type) {
		case CheckpointReached:
			if _, _, err := env.Client.DropletActions.Rename(context.Background(), victim.ID, victim.Name+"-pet"); err != nil {
				t.Errorf("rename: %v", err)
			}
			_ = e.Continue()
		case StateChanged:
			if ev.State == StatePaused {
				_ = e.Continue()
			}
		}
	})
	if err := run(t, e); err != nil {
		t.Fatalf("run: %v", err)
	}
	wait()
	d, ok := snapshot(t, env.Client).byID[victim.ID]
	if !ok {
		t.Fatalf("droplet %d, renamed outside molt, was destroyed", victim.ID)
	}
	for _, tag := range d.Tags {
		if strings.HasPrefix(tag, RolloutTag(e.ID())+":r") {
			t.Errorf("droplet %d, renamed outside molt, carries retire tag %s", victim.ID, tag)
		}
	}
	byTag := 0
	for _, r := range mustRead(t, e.JournalPath()) {
		if r.Kind == KindIntent && (r.Op == OpRetireTag || r.Op == OpRetire) && slices.Contains(r.Droplets, victim.ID) {
			t.Errorf("journal: %s intent names droplet %d", r.Op, victim.ID)
		}
		if r.Kind == KindIntent && r.Op == OpRetire && r.Wave == 1 && r.Target != "" {
			byTag++
		}
	}
	if byTag != 1 {
		t.Errorf("the second wave was retired with %d deletes by tag, want one", byTag)
	}
}

// A delete by a retire tag answered 404 (the tag went between the tag request and the
// delete) does not count the wave's old droplets destroyed: they go by ID.
func TestDeleteByAGoneRetireTagFallsBackToIDs(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{Seed: "scale", Droplets: 60, Provision: 20 * time.Millisecond})
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "DELETE", Path: "/v2/droplets", Status: 404, Count: 1}); err != nil {
		t.Fatal(err)
	}
	p := plan(t, env.Client, "web-1.6.0", sturdyStrategy(env, 10), "role:web")
	before := env.Sim.Stats().ByRoute
	if _, err := apply(t, env.Client, p, testOptions(t)); err != nil {
		t.Fatal(err)
	}
	calls := routeDelta(before, env.Sim.Stats().ByRoute)
	if calls["DELETE /v2/droplets/{id}"] != len(p.Waves[0].Replacements) {
		t.Errorf("deletes by route: %v; want the first wave's %d by ID after its delete by tag was answered 404",
			calls, len(p.Waves[0].Replacements))
	}
	after := snapshot(t, env.Client)
	for _, r := range p.Replacements() {
		if _, ok := after.byID[r.Old.ID]; ok {
			t.Errorf("old droplet %d (%s) is still there", r.Old.ID, r.Old.Name)
		}
	}
}
