package fleet

import (
	"path/filepath"
	"testing"
	"time"
)

func TestDownsampleKeepsTheLastOfEachSpanPerTier(t *testing.T) {
	now := t0.Add(800 * 24 * time.Hour)
	var samples []Sample
	for at := now.Add(-800 * 24 * time.Hour); !at.After(now); at = at.Add(10 * time.Minute) {
		samples = append(samples, Sample{At: at})
	}
	// Readings closer than a minute: only the last of the minute stays.
	samples = append(samples, Sample{At: now.Add(20 * time.Second)}, Sample{At: now.Add(40 * time.Second)})
	kept := Downsample(samples, now, DefaultTiers)
	count := map[int]int{}
	for i, s := range kept {
		tier, ok := tierOf(s.At, now, DefaultTiers)
		if !ok {
			t.Fatalf("kept a sample %s old, past the last tier", now.Sub(s.At))
		}
		count[tier]++
		if i > 0 && s.At.Truncate(DefaultTiers[tier].Every).Equal(kept[i-1].At.Truncate(DefaultTiers[tier].Every)) {
			if prev, _ := tierOf(kept[i-1].At, now, DefaultTiers); prev == tier {
				t.Fatalf("two samples kept in one span of tier %d: %s and %s", tier, kept[i-1].At, s.At)
			}
		}
	}
	// Every ten minutes for two days (289 with the one at now, less the one at now that
	// the two later readings replace, plus the last of them); hourly to 30 days; daily to 731.
	if count[0] != 289 || count[1] != 28*24 || count[2] < 700 || count[2] > 702 {
		t.Fatalf("kept per tier %v, want 289 / 672 / about 701", count)
	}
	if last := kept[len(kept)-1].At; !last.Equal(now.Add(40 * time.Second)) {
		t.Fatalf("the newest sample kept is at %s, want the newest there is", last)
	}
	for _, s := range kept {
		if tier, _ := tierOf(s.At, now, DefaultTiers); tier == 1 && s.At.Minute() != 50 {
			t.Fatalf("hourly sample at %s is not the last of its hour", s.At)
		}
	}
}

// Recorded over ten days with a fixed clock that follows the readings, the file holds
// what Downsample keeps, across a restart.
func TestHistoryDownsamplesAsItGrows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spread.jsonl")
	c := &clock{t: t0}
	h := openAt(t, path, c)
	var all []Sample
	for i := range 10 * 24 * 3 { // every 20 minutes
		at := t0.Add(time.Duration(i) * 20 * time.Minute)
		c.set(at)
		roles := map[string]map[string]int{"web": {"image:1": 1 + i%5, "image:2": 1 + i%3}}
		record(t, h, reading(at, roles))
		all = append(all, Sample{At: at, Roles: roles})
	}
	held := h.Samples()
	if len(held) >= len(all)-compactSlack || len(held) > len(Downsample(all, c.now(), DefaultTiers))+compactSlack {
		t.Fatalf("%d samples held of %d recorded: the file was not downsampled as it grew", len(held), len(all))
	}
	reopened := openAt(t, path, c).Samples()
	sameSamples(t, reopened, held)
	sameSamples(t, Downsample(reopened, c.now(), DefaultTiers), Downsample(all, c.now(), DefaultTiers))
}
