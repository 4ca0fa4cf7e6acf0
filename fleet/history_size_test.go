package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fiftyRoles is a spread of 50 roles, each on three versions, every count changing with i
// (the worst case for the file: every role changes in every sample).
func fiftyRoles(i int) map[string]map[string]int {
	roles := map[string]map[string]int{}
	for r := range 50 {
		base := 300000000 + r*100 + i/30 // a new version every 30 samples
		roles[fmt.Sprintf("role-%02d", r)] = map[string]int{
			fmt.Sprintf("image:%d", base):   10 + (i+r)%7,
			fmt.Sprintf("image:%d", base+1): 5 + (i*3+r)%11,
			fmt.Sprintf("image:%d", base+2): 1 + (i*7+r)%5,
		}
	}
	return roles
}

func historySize(t *testing.T, samples []Sample, readBack bool) int64 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spread.jsonl")
	h := &History{path: path, opt: HistoryOptions{Now: time.Now, Tiers: DefaultTiers}, versions: map[string]VersionInfo{}}
	if err := h.rewrite(samples); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !readBack {
		return info.Size()
	}
	back, err := OpenHistory(path, HistoryOptions{Tiers: []Tier{{Age: 1 << 62, Every: time.Nanosecond}}})
	if err != nil || len(back.Samples()) != len(samples) {
		t.Fatalf("read back %d of %d samples: %v", len(back.Samples()), len(samples), err)
	}
	return info.Size()
}

// A year of daily samples of 50 roles, every role changing every day, stays under a few
// MB; so does the whole file at its bound (two days of a sample a minute, 28 days
// hourly, two years daily), all changing, which MOLT_HISTORY_SIZE=1 measures too.
// docs/status.md quotes the figures logged here.
func TestHistoryFileSizeFor50Roles(t *testing.T) {
	var year, full []Sample
	for d := range 365 {
		year = append(year, Sample{At: t0.AddDate(0, 0, d), Roles: fiftyRoles(d)})
	}
	yearSize := historySize(t, year, true)
	i := 0
	add := func(n int, every time.Duration, from time.Time) {
		for k := range n {
			full = append(full, Sample{At: from.Add(time.Duration(k) * every), Roles: fiftyRoles(i)})
			i++
		}
	}
	if os.Getenv("MOLT_HISTORY_SIZE") == "" {
		t.Logf("a year of daily samples, 50 roles x 3 versions, all changing daily: %.2f MB", float64(yearSize)/1e6)
		if yearSize > 3e6 {
			t.Errorf("a year of daily samples takes %d bytes, more than 3 MB", yearSize)
		}
		return // the whole file at its bound takes seconds to write: MOLT_HISTORY_SIZE=1 measures it
	}
	start := t0
	add(701, 24*time.Hour, start)
	add(672, time.Hour, start.AddDate(0, 0, 701))
	add(2880, time.Minute, start.AddDate(0, 0, 729))
	fullSize := historySize(t, full, false)
	t.Logf("a year of daily samples, 50 roles x 3 versions, all changing daily: %.2f MB (%d bytes a sample)",
		float64(yearSize)/1e6, yearSize/365)
	t.Logf("the file at its bound (%d samples), all 50 roles changing in every one: %.2f MB", len(full), float64(fullSize)/1e6)
	if yearSize > 3e6 {
		t.Errorf("a year of daily samples takes %d bytes, more than 3 MB", yearSize)
	}
}
