package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// firstServerUnder is the first server row after the version header named label.
func firstServerUnder(s, label string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.Contains(l, label+"  ") && i+1 < len(lines) {
			return strings.Fields(strings.TrimLeft(lines[i+1], " ›✓↓"))[0]
		}
	}
	return ""
}

// The fleet sorts by name, region, age, status, version and size, each either way, and
// its column header shows which.
func TestTheFleetSortsEveryWayAndItsHeaderSaysHow(t *testing.T) {
	t.Parallel()
	d := drive(t, loaded(t, demoServers(t), 120, 40), 120, 40)
	s := d.waitText("name▲")
	if got := firstServerUnder(s, "edge-1.1.0"); got != "edge-fra1-02" {
		t.Fatalf("by name the first edge-1.1.0 server is %q", got)
	}
	s = d.keys("O").waitText("name▼")
	if got := firstServerUnder(s, "edge-1.1.0"); got != "edge-sfo3-03" {
		t.Fatalf("by name reversed the first edge-1.1.0 server is %q:\n%s", got, s)
	}
	for _, want := range []string{"region▲", "age▲", "status▲", "version▼", "size▲"} {
		d.keys("o").waitText(want)
	}
	s = d.keys("o", "o", "o", "o", "o", "O").waitText("version▲")
	if i, j := strings.Index(s, "edge-0.9.0"), strings.Index(s, "edge-1.2.0"); i < 0 || j < 0 || i > j {
		t.Fatalf("by version reversed, edge's oldest version should come first:\n%s", s)
	}
}

// The history sorts too, under headers that say how.
func TestTheHistorySortsUnderItsHeader(t *testing.T) {
	t.Parallel()
	dir := journalWith(t, false)
	d := drive(t, loaded(t, demoServers(t), 80, 24, inDir(dir)), 80, 24)
	d.keys("h").waitText("started▼", "19/19")
	d.keys("o").waitText("what▲")
	d.keys("O").waitText("what▼")
	d.keys("o").waitText("state▲")
}

// A damaged journal is listed in the history, not hidden: its ID, where it is damaged,
// and how to rebuild it; it offers no resume and no rollback.
func TestTheHistoryListsADamagedJournal(t *testing.T) {
	t.Parallel()
	dir := journalWith(t, false)
	const id = "20260101-000000-dead"
	if err := os.WriteFile(filepath.Join(dir, id+".jsonl"), []byte("{not json\n{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := drive(t, loaded(t, demoServers(t), 120, 40, inDir(dir)), 120, 40)
	d.keys("h").waitText("19/19", "✗ damaged", id+" · damaged at line 1")
	s := d.keys("G").waitText(id+"  ✗ damaged", "damaged at line 1: molt recover", "rebuilds it from the")
	if strings.Contains(s, "b roll back") || strings.Contains(s, "R resume") {
		t.Fatalf("a damaged journal offers a rollback or a resume:\n%s", s)
	}
}
