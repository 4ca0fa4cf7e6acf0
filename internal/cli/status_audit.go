package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/molt-sh/molt/fleet"
)

// maxListedFindings bounds the findings text and markdown list; -o json lists all.
const maxListedFindings = 100

// findingWords are the findings as people read them.
var findingWords = map[fleet.FindingKind]string{
	fleet.OverMaxAge: "over max age", fleet.Drifted: "drifted", fleet.Pet: "pet", fleet.Unhealthy: "unhealthy",
}

// auditFacts say what the audit checked against: maximum ages, how far back drift is
// known, whether health was probed.
func auditFacts(a *fleet.Audit) []string {
	health := "health: not probed (--probe)"
	if a.Probed {
		health = "health: probed once, from here"
	}
	return []string{maxAgeWords(a), driftWords(a), health}
}

// auditSpec is the audit's summary per role: servers, versions, over age, drifted, pets,
// unhealthy ("-" where nothing was checked).
func auditSpec(a *fleet.Audit) tableSpec {
	spec := tableSpec{headers: []string{"ROLE", "SERVERS", "VERSIONS", "OVER AGE", "DRIFTED", "PETS", "UNHEALTHY"},
		right: []int{1, 2, 3, 4, 5, 6}}
	for _, r := range a.Roles {
		over, drifted, unhealthy := "-", "-", "-"
		if r.MaxAge > 0 {
			over = strconv.Itoa(r.OverMaxAge)
		}
		if a.Options.Drift != nil {
			drifted = strconv.Itoa(r.Drifted)
		}
		if a.Probed {
			unhealthy = strconv.Itoa(r.Unhealthy)
		}
		spec.rows = append(spec.rows, []string{r.Role, strconv.Itoa(r.Servers), strconv.Itoa(r.Versions), over, drifted,
			strconv.Itoa(r.Pets), unhealthy})
	}
	return spec
}

// findingsSpec lists the findings, at most maxListedFindings, each with its detail.
func findingsSpec(a *fleet.Audit, detail func(fleet.Finding) string) tableSpec {
	spec := tableSpec{headers: []string{"SERVER", "ROLE", "FINDING", "SINCE", "DETAIL"}}
	for i, f := range a.Findings {
		if i == maxListedFindings {
			break
		}
		since := "-"
		if !f.Since.IsZero() {
			since = f.Since.UTC().Format(time.DateOnly)
		}
		spec.rows = append(spec.rows, []string{f.Server.Name, f.Role, findingWords[f.Kind], since, detail(f)})
	}
	return spec
}

func moreFindings(a *fleet.Audit) string {
	if n := len(a.Findings) - maxListedFindings; n > 0 {
		return fmt.Sprintf("…and %d more (`molt status -o json` lists them all).\n", n)
	}
	return ""
}

// auditText is the audit for a terminal: what it checked, the roles' counts, the
// findings, within width columns (0: no limit).
func auditText(v statusView, st statusStyles, width int) string {
	a := v.audited()
	var b strings.Builder
	b.WriteString(st.title.Render("Audit") + "\n")
	for _, f := range auditFacts(a) {
		b.WriteString(st.muted.Render(indentWrap(f, width)) + "\n")
	}
	b.WriteString(renderTable(auditSpec(a), st, 0) + "\n")
	if len(a.Findings) == 0 {
		b.WriteString("no findings: every server keeps the immutable model\n")
		return b.String()
	}
	b.WriteString("\n" + plural(len(a.Findings), "finding") + ":\n")
	table, cut := fitDetails(findingsSpec(a, textDetail), st, width)
	b.WriteString(table + "\n")
	if cut {
		b.WriteString(st.muted.Render(indentWrap("details cut to the terminal's width: -o markdown or -o json shows them whole", width)) + "\n")
	}
	b.WriteString(moreFindings(a))
	return b.String()
}

// indentWrap indents a line by two columns, wrapping it by words within width (0: no
// limit) with its continuations indented by four.
func indentWrap(s string, width int) string {
	if width <= 4 {
		return "  " + s
	}
	lines := strings.Split(ansi.Wordwrap(s, width-2, ""), "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = "  " + ansi.Wordwrap(lines[i], width-4, "")
	}
	return "  " + strings.Join(lines, "\n  ")
}

// textDetail is a finding's detail for a terminal: a drift's changes without the words
// the FINDING column already says, so that they survive a narrow terminal.
func textDetail(f fleet.Finding) string {
	if f.Kind == fleet.Drifted {
		return fleet.DescribeChanges(f.Changes)
	}
	return f.Detail
}

// fitDetails renders the findings, their details (the last column) cut short with "…"
// as much as the table needs to fit width (0: no limit), but to no fewer than 20
// columns: a table whose other columns leave less than that stays wider. cut says
// whether a detail was cut.
func fitDetails(spec tableSpec, st statusStyles, width int) (out string, cut bool) {
	out = renderTable(spec, st, 0)
	over := lipgloss.Width(out) - width
	if width <= 0 || over <= 0 {
		return out, false
	}
	last := len(spec.headers) - 1
	longest := 0
	for _, r := range spec.rows {
		longest = max(longest, lipgloss.Width(r[last]))
	}
	room := max(longest-over, 20)
	rows := make([][]string, len(spec.rows))
	for i, r := range spec.rows {
		rows[i] = append(slices.Clone(r[:last]), ansi.Truncate(r[last], room, "…"))
		cut = cut || rows[i][last] != r[last]
	}
	spec.rows = rows
	return renderTable(spec, st, 0), cut
}

// mdAudit is the audit for an audit ticket.
func mdAudit(v statusView) string {
	a := v.audited()
	spec := auditSpec(a)
	out := "\n#### Immutability audit\n\n"
	for _, f := range auditFacts(a) {
		out += "- " + mdEscape(f) + "\n"
	}
	out += "\n" + mdTable(spec.headers, spec.rows, spec.right)
	if len(a.Findings) == 0 {
		return out + "\nNo findings: every server keeps the immutable model.\n"
	}
	spec = findingsSpec(a, func(f fleet.Finding) string { return f.Detail })
	out += fmt.Sprintf("\n#### Findings (%d)\n\n", len(a.Findings)) + mdTable(spec.headers, spec.rows, nil)
	if more := moreFindings(a); more != "" {
		out += "\n" + more
	}
	return out
}

// audited is the view's audit, or one of pets only when the view has none.
func (v statusView) audited() *fleet.Audit {
	if v.audit == nil {
		return v.spread.Audit(fleet.AuditOptions{})
	}
	return v.audit
}
