package actions

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// A header that cannot be written (a full disk) leaves no journal behind, not an empty
// one that every later command trips over (case 4 of issue 11).
func TestFailedHeaderWriteLeavesNoFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	full := errors.New("no space left on device")
	_, err := createJournal(dir, Header{ID: "20250101-120000-abcd"}, func(f *os.File, b []byte) (int, error) {
		n, _ := f.Write(b[:len(b)/3])
		return n, full
	})
	if !errors.Is(err, full) {
		t.Fatalf("create with a full disk: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the failed create left %v", left)
	}
	list, err := ListRollouts(dir)
	if len(list) != 0 || err != nil {
		t.Errorf("rollouts after the failed create: %v, %v", list, err)
	}
}

// A damaged journal beside a readable one is listed, with where it is damaged, and
// ListRollouts says so (case 5 of issue 11: it was left out, and a rollout still holding
// its lock became invisible).
func TestDamagedJournalIsListed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, id := range []string{"20250101-120000-abcd", "20250102-120000-abcd"} {
		j, err := CreateJournal(dir, Header{ID: id, Started: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Append(Record{Kind: KindState, State: StateRunning}); err != nil {
			t.Fatal(err)
		}
		j.Close()
	}
	damaged := JournalPath(dir, "20250102-120000-abcd")
	data, _ := os.ReadFile(damaged)
	data = append([]byte(strings.Replace(string(data), `"kind":"state"`, `"kind":`, 1)), []byte("{}\n")...)
	if err := os.WriteFile(damaged, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(JournalPath(dir, "20250103-120000-abcd"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := ListRollouts(dir)
	var de *DamagedError
	if !errors.As(err, &de) {
		t.Errorf("ListRollouts: %v, want the damage reported", err)
	}
	got := map[string]string{}
	for _, s := range list {
		got[s.ID] = s.Damaged
	}
	want := map[string]string{"20250101-120000-abcd": "", "20250102-120000-abcd": "damaged at line 2", "20250103-120000-abcd": "no header"}
	for id, w := range want {
		if d, ok := got[id]; !ok || d != w {
			t.Errorf("rollout %s listed %v with damage %q, want %q", id, ok, d, w)
		}
	}
}
