package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/fleet"
)

// auditScope is what an audit export covers: the servers, in words, and how they were
// chosen (the report's "selection").
type auditScope struct {
	servers []fleet.Server
	what    string
	// filter is the fleet filter that chose them; ids the servers picked one by one.
	filter string
	ids    []int
}

// scopeOf is what an export covers from the fleet list: the selection when there is
// one, else what the filter shows, else the whole fleet.
func scopeOf(c *common, l *fleetList) auditScope {
	all := c.spread.Servers()
	switch {
	case len(c.selected) > 0:
		sc := auditScope{servers: l.selection(), what: "the " + plural(len(c.selected), "selected server")}
		for _, s := range sc.servers {
			sc.ids = append(sc.ids, s.ID)
		}
		return sc
	case l.filter != "":
		var shown []fleet.Server
		for _, id := range l.visibleIDs() {
			shown = append(shown, *l.servers[id])
		}
		return auditScope{servers: shown, filter: l.filter,
			what: fmt.Sprintf("the %s the filter %s shows", plural(len(shown), "server"), l.filter)}
	}
	return auditScope{servers: all, what: fmt.Sprintf("the whole fleet (%s)", plural(len(all), "server"))}
}

// askExport opens the export dialog for scope, its path under the export directory. In
// a shared cockpit (molt serve) only the file's name can be typed: the directory is the
// server's, so that a session cannot write elsewhere on it.
func askExport(c *common, scope auditScope) action {
	if c.spread == nil {
		return nil
	}
	name := "molt-audit-" + c.now().UTC().Format("20060102-150405")
	d := &exportDialog{scope: scope, path: lineInput{value: filepath.Join(c.deps.ExportDir, name), limit: 4096}}
	if c.deps.Shared {
		d.dir, d.path.value = c.deps.ExportDir, name
	}
	return openDialog{d}
}

// exportDialog asks where to write an audit (.json, and .md when molt can render it).
type exportDialog struct {
	scope auditScope
	path  lineInput
	// dir, when set, is the directory the audit goes to whatever is typed: path is then
	// only the file's name.
	dir string
}

// target is where the audit goes, as typed (in dir, when it is fixed).
func (d *exportDialog) target() string {
	if d.dir != "" {
		return filepath.Join(d.dir, filepath.Base(filepath.Clean("/"+d.path.value)))
	}
	return d.path.value
}

func (d *exportDialog) update(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	switch msg.String() {
	case "esc":
		return closeDialog{}, nil
	case "enter":
		if strings.TrimSpace(d.path.value) == "" {
			c.warn("give a path to write the audit to")
			return nil, nil
		}
		return closeDialog{}, export(c, d.scope, d.target())
	}
	d.path.update(msg)
	return nil, nil
}

func (d *exportDialog) view(c *common) string {
	s := c.styles
	w := min(c.width-8, 76)
	ext := ".json"
	if c.deps.Markdown != nil {
		ext = ".json and .md"
	}
	lines := []string{s.Title.Render("Export an audit"), ""}
	lines = append(lines, wrap("of "+d.scope.what, w)...)
	lines = append(lines, "", "to "+s.Muted.Render("(molt adds "+ext+")"))
	if d.dir != "" {
		lines = append(lines, wrapHard(d.dir+string(filepath.Separator), w)...)
	}
	lines = append(lines, wrapHard(d.path.view(), w)...)
	lines = append(lines, "", s.Muted.Render("enter writes · esc cancels · ctrl+u clears the path"))
	return s.Dialog.Render(strings.Join(lines, "\n"))
}

func (*exportDialog) keyBar(*common) []key.Binding {
	return []key.Binding{answer("enter", "write"), answer("esc", "cancel")}
}

// wrapHard breaks s (no styles) into lines of w cells, inside words too: a path is shown
// whole however long.
func wrapHard(s string, w int) []string {
	r := []rune(s)
	var out []string
	for len(r) > w {
		out = append(out, string(r[:w]))
		r = r[w:]
	}
	return append(out, string(r))
}

// export writes the audit of scope (JSON, and markdown when molt can render it) at base
// in the background.
func export(c *common, scope auditScope, base string) tea.Cmd {
	sp := fleet.NewSpread(scope.servers, fleet.Options{Now: c.spread.At, VersionTag: c.spread.Options.VersionTag,
		RolePrefix: c.spread.Options.RolePrefix})
	report, md := sp.Report(exportTarget(c), scope.selection()), c.deps.Markdown
	// The audit of the servers exported, from what the fleet's audit read (no IO).
	var audit *fleet.Audit
	if c.audit.result != nil {
		audit = sp.Audit(c.audit.result.Options)
		report = sp.AuditReport(exportTarget(c), scope.selection(), audit)
	}
	c.say("writing the audit…")
	return func() tea.Msg {
		paths, err := writeAudit(base, report, scope, func() ([]byte, error) { return md(sp, audit) }, md != nil)
		return exportDoneMsg{paths: paths, err: err}
	}
}

// selection is the report's selection, in the fields the status report has for it:
// a lone role, tag, region or name filter fits them.
func (sc auditScope) selection() fleet.Selection {
	var sel fleet.Selection
	q := parseFilter(sc.filter)
	if len(q) != 1 || q[0].not || sc.ids != nil {
		return sel
	}
	switch t := q[0]; t.qualifier {
	case "role":
		sel.Tag = fleet.DefaultRolePrefix + t.value
	case "tag":
		sel.Tag = t.value
	case "region":
		sel.Region = t.value
	case "name":
		sel.Name = t.value
	}
	return sel
}

func exportTarget(c *common) string {
	if c.deps.Demo {
		return "demo (simulated cloud)"
	}
	return c.deps.Target
}

// writeAudit writes base.json, and base.md rendered by md when withMD; it returns the
// paths written. The JSON's selection says how the servers were chosen: the status
// report's fields, and the cockpit's filter or the servers picked one by one.
func writeAudit(base string, report fleet.Report, scope auditScope, md func() ([]byte, error), withMD bool) ([]string, error) {
	base = strings.TrimSuffix(strings.TrimSuffix(expandHome(base), ".json"), ".md")
	if abs, err := filepath.Abs(base); err == nil {
		base = abs // the notice names the files whole
	}
	js, err := auditJSON(report, scope)
	if err != nil {
		return nil, fmt.Errorf("encode the audit: %w", err)
	}
	files := []auditFile{{".json", js}}
	if withMD {
		text, err := md()
		if err != nil {
			return nil, fmt.Errorf("render the audit as markdown: %w", err)
		}
		files = append(files, auditFile{".md", text})
	}
	var paths []string
	for _, f := range files {
		if err := os.WriteFile(base+f.ext, f.data, 0o644); err != nil {
			return paths, fmt.Errorf("write %s: %w", base+f.ext, err)
		}
		paths = append(paths, base+f.ext)
	}
	return paths, nil
}

// auditReport is the report as `molt status -o json` writes it, its selection added to
// with the filter and the servers picked (which the status report has no fields for).
type auditReport struct {
	fleet.Report
	Selection auditSelection `json:"selection"`
}

// auditSelection is the status report's selection and how the cockpit chose.
type auditSelection struct {
	fleet.Selection
	Filter  string `json:"filter,omitempty"`
	Servers []int  `json:"servers,omitempty"`
}

func auditJSON(report fleet.Report, scope auditScope) ([]byte, error) {
	doc := auditReport{Report: report, Selection: auditSelection{Selection: report.Selection, Filter: scope.filter, Servers: scope.ids}}
	out, err := json.MarshalIndent(doc, "", "  ")
	return append(out, '\n'), err
}

// expandHome reads a leading ~/ as the user's home directory.
func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// joinPaths names the files written, whole, the second one by its extension when it is
// the first in another format.
func joinPaths(paths []string) string {
	if len(paths) == 0 {
		return "nothing"
	}
	if len(paths) == 2 && strings.TrimSuffix(paths[0], filepath.Ext(paths[0])) == strings.TrimSuffix(paths[1], filepath.Ext(paths[1])) {
		return paths[0] + " and " + filepath.Ext(paths[1])
	}
	return strings.Join(paths, " and ")
}

type auditFile struct {
	ext  string
	data []byte
}
