package fleet

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// clock is a fixed clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func openAt(t *testing.T, path string, c *clock) *History {
	t.Helper()
	h, err := OpenHistory(path, HistoryOptions{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// reading is a whole read: role -> key -> count.
func reading(at time.Time, roles map[string]map[string]int) Reading {
	vs := map[string]VersionInfo{}
	for _, counts := range roles {
		for k := range counts {
			vs[k] = VersionInfo{Key: k, Name: "web-" + strings.TrimPrefix(k, "image:") + ".0.0"}
		}
	}
	return Reading{At: at, Roles: roles, Versions: vs, Whole: true}
}

func record(t *testing.T, h *History, r Reading) bool {
	t.Helper()
	added, err := h.Record(r)
	if err != nil {
		t.Fatal(err)
	}
	return added
}

func sameSamples(t *testing.T, got, want []Sample) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d samples, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range got {
		if !got[i].At.Equal(want[i].At) || !sameRoles(got[i].Roles, want[i].Roles) {
			t.Fatalf("sample %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func sameRoles(a, b map[string]map[string]int) bool {
	return maps.EqualFunc(a, b, func(x, y map[string]int) bool { return maps.Equal(x, y) })
}

func TestHistoryKeepsChangesAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spread.jsonl")
	c := &clock{t: t0}
	a := map[string]map[string]int{"web": {"image:1": 4}, "worker": {"image:7": 2}}
	b := map[string]map[string]int{"web": {"image:1": 3, "image:2": 1}, "worker": {"image:7": 2}}
	h := openAt(t, path, c)
	if !record(t, h, reading(t0, a)) || record(t, h, reading(t0.Add(time.Minute), a)) {
		t.Fatal("the first reading is a sample and the same spread again is not")
	}
	if !record(t, h, reading(t0.Add(2*time.Minute), b)) {
		t.Fatal("a changed spread is a sample")
	}
	h = openAt(t, path, c) // a new process
	want := []Sample{{At: t0, Roles: a}, {At: t0.Add(2 * time.Minute), Roles: b}}
	sameSamples(t, h.Samples(), want)
	if v := h.Versions()["image:2"]; v.Name != "web-2.0.0" {
		t.Fatalf("image:2 is known as %+v", v)
	}
	if record(t, h, reading(t0.Add(3*time.Minute), b)) {
		t.Fatal("after a restart the same spread again is not a sample")
	}
	gone := map[string]map[string]int{"web": {"image:2": 4}} // the worker role is gone
	record(t, h, reading(t0.Add(4*time.Minute), gone))
	role := reading(t0.Add(5*time.Minute), map[string]map[string]int{"web": {"image:2": 5}}).OnlyRole("web")
	role.Whole = false
	record(t, h, role)
	sameSamples(t, openAt(t, path, c).Samples(), append(want, Sample{At: t0.Add(4 * time.Minute), Roles: gone},
		Sample{At: t0.Add(5 * time.Minute), Roles: map[string]map[string]int{"web": {"image:2": 5}}}))
}

// A read of one role's tag changes that role only.
func TestHistoryReadingOfOneRoleLeavesTheOthers(t *testing.T) {
	c := &clock{t: t0}
	h := openAt(t, filepath.Join(t.TempDir(), "spread.jsonl"), c)
	record(t, h, reading(t0, map[string]map[string]int{"web": {"image:1": 4}, "worker": {"image:7": 2}}))
	r := reading(t0.Add(time.Hour), map[string]map[string]int{"web": {"image:2": 4}}).OnlyRole("web")
	record(t, h, r)
	got := h.Samples()[1].Roles
	if !sameRoles(got, map[string]map[string]int{"web": {"image:2": 4}, "worker": {"image:7": 2}}) {
		t.Fatalf("after a read of role:web the spread is %v", got)
	}
}

func TestHistoryTornFileLosesOnlyTheLastSample(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spread.jsonl")
	c := &clock{t: t0}
	h := openAt(t, path, c)
	s := []map[string]map[string]int{{"web": {"image:1": 4}}, {"web": {"image:1": 2, "image:2": 2}}, {"web": {"image:2": 4}}}
	for i, roles := range s {
		record(t, h, reading(t0.Add(time.Duration(i)*time.Hour), roles))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The process died while writing the last sample: half of its line made it.
	if err := os.WriteFile(path, data[:len(data)-9], 0o600); err != nil {
		t.Fatal(err)
	}
	h = openAt(t, path, c)
	sameSamples(t, h.Samples(), []Sample{{At: t0, Roles: s[0]}, {At: t0.Add(time.Hour), Roles: s[1]}})
	// The next sample is written after the last whole line, not glued to the torn one.
	record(t, h, reading(t0.Add(3*time.Hour), s[2]))
	want := []Sample{{At: t0, Roles: s[0]}, {At: t0.Add(time.Hour), Roles: s[1]}, {At: t0.Add(3 * time.Hour), Roles: s[2]}}
	sameSamples(t, openAt(t, path, c).Samples(), want)
	// A damaged line in the middle is skipped, and the next open rewrites the file.
	data, _ = os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	damaged := strings.Join(lines[:1], "") + "{not json\n" + strings.Join(lines[1:], "")
	if err := os.WriteFile(path, []byte(damaged), 0o600); err != nil {
		t.Fatal(err)
	}
	sameSamples(t, openAt(t, path, c).Samples(), want)
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "not json") {
		t.Fatal("the damaged line is still in the file")
	}
}

// Two processes of one account share the file: each reads what the other wrote before
// writing, and a rewrite by one does not swallow the other's next sample.
func TestHistorySharedByTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spread.jsonl")
	c := &clock{t: t0}
	h1, h2 := openAt(t, path, c), openAt(t, path, c)
	a := map[string]map[string]int{"web": {"image:1": 4}}
	b := map[string]map[string]int{"web": {"image:1": 3, "image:2": 1}}
	record(t, h1, reading(t0, a))
	if record(t, h2, reading(t0.Add(time.Minute), a)) {
		t.Fatal("the second process wrote the spread the first had just written")
	}
	record(t, h2, reading(t0.Add(2*time.Minute), b))
	if err := h1.rewriteForTest(); err != nil {
		t.Fatal(err)
	}
	record(t, h2, reading(t0.Add(3*time.Minute), a))
	want := []Sample{{At: t0, Roles: a}, {At: t0.Add(2 * time.Minute), Roles: b}, {At: t0.Add(3 * time.Minute), Roles: a}}
	if err := h1.Reload(); err != nil {
		t.Fatal(err)
	}
	sameSamples(t, h1.Samples(), want)
	sameSamples(t, openAt(t, path, c).Samples(), want)
}

func (h *History) rewriteForTest() error {
	return h.locked(func() error {
		if err := h.sync(); err != nil {
			return err
		}
		return h.rewrite(h.samples)
	})
}

func TestHistoryConcurrentRecordsKeepEveryChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spread.jsonl")
	c := &clock{t: t0}
	var wg sync.WaitGroup
	for p := range 4 {
		h := openAt(t, path, c)
		wg.Go(func() {
			for i := range 10 {
				n := p*10 + i + 1 // every reading different from every other
				if _, err := h.Record(reading(t0.Add(time.Duration(n)*time.Second), map[string]map[string]int{"web": {"image:1": n}})); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if got := len(openAt(t, path, c).Samples()); got != 40 {
		t.Fatalf("%d samples, want 40", got)
	}
}

func TestHistoryRecordsARolloutsMoves(t *testing.T) {
	c := &clock{t: t0}
	h := openAt(t, filepath.Join(t.TempDir(), "spread.jsonl"), c)
	record(t, h, reading(t0, map[string]map[string]int{"web": {"image:1": 3}, "worker": {"image:7": 2}}))
	moves := []Move{{Role: "web", From: "image:1", To: "image:2", N: 2}, {Role: "web", From: "image:1", To: "image:2", N: 5}}
	if _, err := h.RecordMoves(t0.Add(time.Minute), moves, nil); err != nil {
		t.Fatal(err)
	}
	got := h.Samples()[1].Roles
	if !sameRoles(got, map[string]map[string]int{"web": {"image:2": 3}, "worker": {"image:7": 2}}) {
		t.Fatalf("after the moves: %v (never fewer than none on a version)", got)
	}
}
