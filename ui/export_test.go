package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/molt-sh/molt/fleet"
)

// exported reads the JSON audit written at base.
func exported(t *testing.T, base string) (total int, sel map[string]any) {
	t.Helper()
	data, err := os.ReadFile(base + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Total     int            `json:"total"`
		Selection map[string]any `json:"selection"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Total, doc.Selection
}

// setPath replaces the export dialog's path with p.
func setPath(d *driver, p string) {
	d.keys("ctrl+u")
	for _, r := range p {
		d.keys(string(r))
	}
}

// The export asks where to write, showing the path whole, and writes what the filter
// shows, or the selection, saying so in the report's selection.
func TestTheExportAsksWhereAndWritesTheFilterOrTheSelection(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a directory whose name is long enough to need more than one line of the dialog")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := drive(t, loaded(t, demoServers(t), 80, 24, func(deps *Deps) { deps.ExportDir = dir }), 80, 24)
	typeFilter(d, "role:web")
	s := d.keys("x").waitText("Export an audit", "the 21 servers the filter role:web shows")
	if flat := strings.Join(strings.Fields(strings.NewReplacer("║", "", "\n", "").Replace(s)), ""); !strings.Contains(flat,
		strings.ReplaceAll(filepath.Join(dir, "molt-audit-20260314-092653"), " ", "")) {
		t.Fatalf("the dialog does not show the default path whole:\n%s", s)
	}
	web := filepath.Join(t.TempDir(), "web")
	setPath(d, web)
	d.keys("enter").waitText("wrote the audit")
	total, sel := exported(t, web)
	if total != 21 || sel["tag"] != "role:web" || sel["filter"] != "role:web" {
		t.Fatalf("the filtered export has %d servers and selection %v", total, sel)
	}

	d.keys("esc", "j", "j", "space", "j", "space", "x").waitText("the 2 selected servers")
	two := filepath.Join(t.TempDir(), "two.json")
	setPath(d, two)
	d.keys("enter").waitText("wrote the audit")
	total, sel = exported(t, strings.TrimSuffix(two, ".json"))
	ids, _ := sel["servers"].([]any)
	if total != 2 || len(ids) != 2 || sel["tag"] != nil {
		t.Fatalf("the selection's export has %d servers and selection %v", total, sel)
	}
}

// Without a filter or a selection the export is the whole fleet, its selection empty
// as molt status writes it.
func TestTheExportOfTheWholeFleet(t *testing.T) {
	t.Parallel()
	servers := demoServers(t)
	sc := auditScope{servers: servers}
	base := filepath.Join(t.TempDir(), "all")
	rep := fleet.NewSpread(servers, fleet.Options{Now: fixedNow}).Report("demo", sc.selection())
	paths, err := writeAudit(base, rep, sc, nil, false)
	if err != nil || !slices.Equal(paths, []string{base + ".json"}) {
		t.Fatalf("writeAudit wrote %v (%v)", paths, err)
	}
	if total, sel := exported(t, base); total != len(servers) || len(sel) != 0 {
		t.Fatalf("the whole fleet's export has %d servers and selection %v", total, sel)
	}
}

// In a shared cockpit (molt serve) the export goes to the server's directory whatever
// is typed: only the file's name is the session's.
func TestASharedCockpitExportsOnlyToItsDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := drive(t, loaded(t, demoServers(t), 80, 24, func(deps *Deps) { deps.ExportDir, deps.Shared = dir, true }), 80, 24)
	d.keys("x").waitText(dir+string(filepath.Separator), "molt-audit-20260314-092653")
	setPath(d, "../../../../tmp/escape")
	d.keys("enter").waitText("wrote the audit")
	if _, err := os.Stat(filepath.Join(dir, "escape.json")); err != nil {
		t.Fatalf("the export did not stay in its directory: %v", err)
	}
}
