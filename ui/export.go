package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/fleet"
)

// export writes the spread as an audit report (JSON and markdown) in the export
// directory, in the background.
func export(c *common) tea.Cmd {
	if c.spread == nil {
		return nil
	}
	sp := c.spread
	dir, at, md := c.deps.ExportDir, c.deps.Now(), c.deps.Markdown
	report := sp.Report(exportTarget(c), fleet.Selection{})
	c.say("writing the audit…")
	return func() tea.Msg {
		paths, err := writeAudit(dir, at, report, func() ([]byte, error) { return md(sp) }, md != nil)
		return exportDoneMsg{paths: paths, err: err}
	}
}

func exportTarget(c *common) string {
	if c.deps.Demo {
		return "demo (simulated cloud)"
	}
	return c.deps.Target
}

// writeAudit writes molt-audit-<time>.json, and .md rendered by md when withMD, in dir;
// it returns the paths written.
func writeAudit(dir string, at time.Time, report fleet.Report, md func() ([]byte, error), withMD bool) ([]string, error) {
	base := filepath.Join(dir, "molt-audit-"+at.UTC().Format("20060102-150405"))
	js, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the audit: %w", err)
	}
	files := []auditFile{{".json", append(js, '\n')}}
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

// joinPaths names the files written, then the directory they are in once.
func joinPaths(paths []string) string {
	if len(paths) == 0 {
		return "nothing"
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	dir := filepath.Dir(paths[0])
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if len(names) == 2 && strings.TrimSuffix(names[0], filepath.Ext(names[0])) == strings.TrimSuffix(names[1], filepath.Ext(names[1])) {
		// One audit in two formats: name it once, so the path fits in 80 columns.
		stem := strings.TrimSuffix(names[0], filepath.Ext(names[0]))
		names = []string{stem + ".{" + filepath.Ext(names[0])[1:] + "," + filepath.Ext(names[1])[1:] + "}"}
	}
	return strings.Join(names, " and ") + " in " + dir
}

type auditFile struct {
	ext  string
	data []byte
}
