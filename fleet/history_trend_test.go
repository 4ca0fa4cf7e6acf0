package fleet

import (
	"math"
	"testing"
	"time"
)

func TestTrendMilestonesAndVersionLag(t *testing.T) {
	day := 24 * time.Hour
	versions := map[string]VersionInfo{
		"image:1": {Key: "image:1", Name: "web-1.0.0"},
		"image:2": {Key: "image:2", Name: "web-1.1.0"},
		"image:9": {Key: "image:9", Name: "worker-2.0.0"},
	}
	samples := []Sample{
		{At: t0, Roles: map[string]map[string]int{"web": {"image:1": 4}, "worker": {"image:9": 2}}},
		// The canary: one web server on 1.1.0, three behind it for a day.
		{At: t0.Add(day), Roles: map[string]map[string]int{"web": {"image:1": 3, "image:2": 1}, "worker": {"image:9": 2}}},
		// Half way for twelve hours: two behind.
		{At: t0.Add(2 * day), Roles: map[string]map[string]int{"web": {"image:1": 2, "image:2": 2}, "worker": {"image:9": 2}}},
		{At: t0.Add(2*day + 12*time.Hour), Roles: map[string]map[string]int{"web": {"image:2": 4}, "worker": {"image:9": 2}}},
	}
	tr := ComputeTrend(samples, versions, t0, t0.Add(4*day))
	if len(tr.Samples) != 4 || !tr.From.Equal(t0) {
		t.Fatalf("%d samples from %s, want 4 from %s", len(tr.Samples), tr.From, t0)
	}
	want := []VersionTrend{
		{Role: "web", Key: "image:2", Label: "web-1.1.0", FirstSeen: t0.Add(day), Reached50: t0.Add(2 * day), Reached100: t0.Add(2*day + 12*time.Hour)},
		{Role: "web", Key: "image:1", Label: "web-1.0.0", FirstSeen: t0, Reached50: t0, Reached100: t0, LagServerDays: 3*1 + 2*0.5},
		{Role: "worker", Key: "image:9", Label: "worker-2.0.0", FirstSeen: t0, Reached50: t0, Reached100: t0},
	}
	if len(tr.Versions) != len(want) {
		t.Fatalf("versions %+v, want %+v", tr.Versions, want)
	}
	for i, w := range want {
		g := tr.Versions[i]
		if g.Role != w.Role || g.Key != w.Key || g.Label != w.Label || !g.FirstSeen.Equal(w.FirstSeen) ||
			!g.Reached50.Equal(w.Reached50) || !g.Reached100.Equal(w.Reached100) || math.Abs(g.LagServerDays-w.LagServerDays) > 1e-9 {
			t.Errorf("version %d = %+v, want %+v", i, g, w)
		}
	}
	if len(tr.Roles) != 2 || tr.Roles[0].Role != "web" || math.Abs(tr.Roles[0].LagServerDays-4) > 1e-9 {
		t.Errorf("roles = %+v, want web with 4 server-days", tr.Roles)
	}
	// A window that starts half way through the canary day counts from there, and
	// starts with the sample that held then.
	tr = ComputeTrend(samples, versions, t0.Add(36*time.Hour), t0.Add(4*day))
	if !tr.Samples[0].At.Equal(t0.Add(day)) || math.Abs(tr.Roles[0].LagServerDays-(3*0.5+2*0.5)) > 1e-9 {
		t.Errorf("from day 1.5: first sample %s, web lag %v; want the canary's sample and 2.5", tr.Samples[0].At, tr.Roles[0].LagServerDays)
	}
	if got := tr.At(t0.Add(2*day+time.Hour)).Count("web", "image:2"); got != 2 {
		t.Errorf("at day 2 and an hour, web-1.1.0 ran %d servers, want 2", got)
	}
}

func TestTrendColumnsWeighSharesByTime(t *testing.T) {
	versions := map[string]VersionInfo{"image:1": {Key: "image:1", Name: "web-1.0.0"}, "image:2": {Key: "image:2", Name: "web-1.1.0"}}
	day := 24 * time.Hour
	samples := []Sample{
		{At: t0.Add(day), Roles: map[string]map[string]int{"web": {"image:1": 4}}},
		{At: t0.Add(day + 12*time.Hour), Roles: map[string]map[string]int{"web": {"image:1": 2, "image:2": 2}}},
		{At: t0.Add(2 * day), Roles: map[string]map[string]int{"web": {"image:2": 4}}},
	}
	cols := ComputeTrend(samples, versions, t0, t0.Add(3*day)).Columns("web", 3)
	want := []struct {
		known  float64
		shares map[string]float64
	}{
		{0, map[string]float64{}},                                 // before the history began
		{1, map[string]float64{"image:1": 0.75, "image:2": 0.25}}, // all on 1.0.0 half the day, half on each the other half
		{1, map[string]float64{"image:2": 1}},
	}
	for i, w := range want {
		c := cols[i]
		if math.Abs(c.Known-w.known) > 1e-9 || len(c.Shares) != len(w.shares) {
			t.Fatalf("column %d = %+v, want known %v and shares %v", i, c, w.known, w.shares)
		}
		for k, s := range w.shares {
			if math.Abs(c.Shares[k]-s) > 1e-9 {
				t.Fatalf("column %d: %s has %v, want %v", i, k, c.Shares[k], s)
			}
		}
	}
}
