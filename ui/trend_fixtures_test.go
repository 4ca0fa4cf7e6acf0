package ui

import (
	"context"
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// trendVersions are the images of the spread history the trend tests keep.
var trendVersions = map[string]fleet.VersionInfo{
	"image:14": {Key: "image:14", Name: "web-1.4.0", CreatedAt: fixedNow.AddDate(0, 0, -40)},
	"image:15": {Key: "image:15", Name: "web-1.5.0", CreatedAt: fixedNow.AddDate(0, 0, -8)},
	"image:16": {Key: "image:16", Name: "web-1.6.0", CreatedAt: fixedNow.AddDate(0, 0, -3)},
	"image:20": {Key: "image:20", Name: "api-2.0.0", CreatedAt: fixedNow.AddDate(0, 0, -60)},
	"image:21": {Key: "image:21", Name: "api-2.1.0", CreatedAt: fixedNow.AddDate(0, 0, -20)},
	"image:33": {Key: "image:33", Name: "worker-3.3.0", CreatedAt: fixedNow.AddDate(0, 0, -30)},
}

// trendRollouts are the two rollouts of the history: web onto 1.5.0 six days ago,
// done, and web onto 1.6.0 two days ago, interrupted half way.
var trendRollouts = []struct {
	id       string
	started  time.Time
	from, to string
	steps    int // of two servers each
	done     bool
}{
	{"20260308-100000-aa01", fixedNow.Add(-6 * 24 * time.Hour), "image:14", "image:15", 3, true},
	{"20260312-140000-bb02", fixedNow.Add(-2 * 24 * time.Hour), "image:15", "image:16", 2, false},
}

// trendHistory keeps, in a fleet.History in a temporary state directory, ten days of
// a fleet of three roles and the two rollouts of web (trendRollouts), and journals the
// rollouts in journalDir. It returns the Deps.History hook reading it.
func trendHistory(t *testing.T, journalDir string) func(context.Context, time.Time) (fleet.Trend, error) {
	t.Helper()
	h, err := fleet.OpenHistory(filepath.Join(t.TempDir(), "accounts", "test", fleet.HistoryFile("role")),
		fleet.HistoryOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	web := map[string]int{"image:14": 6}
	record := func(at time.Time) {
		t.Helper()
		r := fleet.Reading{At: at, Whole: true, Versions: trendVersions, Roles: map[string]map[string]int{
			"web": maps.Clone(web), "api": {"image:20": 3, "image:21": 1}, "worker": {"image:33": 3}}}
		if _, err := h.Record(r); err != nil {
			t.Fatal(err)
		}
	}
	record(fixedNow.Add(-10 * 24 * time.Hour))
	for _, ro := range trendRollouts {
		at := ro.started
		for range ro.steps {
			at = at.Add(10 * time.Minute)
			web[ro.from] -= 2
			web[ro.to] += 2
			record(at)
		}
		writeTrendJournal(t, journalDir, ro.id, ro.started, at.Add(time.Minute), ro.from, ro.to, ro.steps*2, ro.done)
	}
	return func(_ context.Context, since time.Time) (fleet.Trend, error) {
		return fleet.ComputeTrend(h.Samples(), h.Versions(), since, fixedNow), nil
	}
}

// writeTrendJournal journals a rollout of six web servers from one image to another:
// done replacements done, then its end (done) or its interruption.
func writeTrendJournal(t *testing.T, dir, id string, started, ended time.Time, from, to string, done int, finished bool) {
	t.Helper()
	var reps []actions.Replacement
	for i := range 6 {
		reps = append(reps, actions.Replacement{Slot: i, Group: 1, Old: fleet.Server{ID: 100 + i, Name: "web-0" + itoa(i+1),
			Tags: []string{"role:web"}, Image: fleet.Version{Name: trendVersions[from].Name}}})
	}
	plan := actions.Plan{Selection: "web", Target: fleet.Version{Name: trendVersions[to].Name},
		Waves: []actions.Wave{{Index: 0, Replacements: reps}}}
	j, err := actions.CreateJournal(dir, actions.Header{ID: id, Started: started, Operator: actions.Operator{User: "ops", Host: "bastion"}, Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for i := range done {
		if _, err := j.Append(actions.Record{At: started.Add(time.Duration(i+1) * time.Minute), Kind: "phase", Slots: []int{i},
			Phase: actions.PhaseDone, Droplets: []int{300 + i}}); err != nil {
			t.Fatal(err)
		}
	}
	end := actions.Record{At: ended, Kind: "end", State: actions.StateDone}
	if !finished {
		end = actions.Record{At: ended, Kind: "state", State: actions.StateInterrupted, Reason: "interrupted"}
	}
	if _, err := j.Append(end); err != nil {
		t.Fatal(err)
	}
}

// withTrend gives a model the history and journal of trendHistory.
func withTrend(t *testing.T) func(*Deps) {
	return func(d *Deps) {
		d.History = trendHistory(t, d.JournalDir)
	}
}
