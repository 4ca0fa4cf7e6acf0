package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/molt-sh/molt/fleet"
)

// trendView is the trend `molt status --since` adds: the account's spread history over
// the window, kept to the roles shown (all, or the selection's).
type trendView struct {
	trend fleet.Trend
	span  time.Duration
	roles []string // nil: every role
}

// trendPoints is how many points in time the shares table shows, the last being now.
const trendPoints = 5

// points are the times the shares table shows: the window cut in equal parts, then now.
func (t trendView) points() []time.Time {
	out := make([]time.Time, trendPoints)
	for i := range out {
		out[i] = t.trend.Since.Add(t.trend.Until.Sub(t.trend.Since) * time.Duration(i) / (trendPoints - 1))
	}
	return out
}

func (t trendView) keep(role string) bool { return t.roles == nil || slices.Contains(t.roles, role) }

// when formats a time of the window: dates for windows of two days or more.
func (t trendView) when(at time.Time) string {
	if t.span >= 48*time.Hour {
		return at.Local().Format("01-02")
	}
	return at.Local().Format("15:04")
}

// shareTable is each version's share of its role at the points.
func (t trendView) shareTable() tableSpec {
	pts := t.points()
	spec := tableSpec{headers: []string{"ROLE", "VERSION"}}
	for i, p := range pts {
		h := t.when(p)
		if i == len(pts)-1 {
			h = "NOW"
		}
		spec.headers = append(spec.headers, h)
		spec.right = append(spec.right, 2+i)
	}
	held := make([]fleet.Sample, len(pts))
	for i, p := range pts {
		held[i] = t.trend.At(p)
	}
	for _, v := range t.trend.Versions {
		if !t.keep(v.Role) {
			continue
		}
		row := []string{v.Role, v.Label}
		for i, s := range held {
			row = append(row, shareCell(t.trend, s, pts[i], v))
		}
		spec.rows = append(spec.rows, row)
	}
	return spec
}

func shareCell(tr fleet.Trend, s fleet.Sample, at time.Time, v fleet.VersionTrend) string {
	switch total := s.RoleTotal(v.Role); {
	case tr.From.IsZero() || at.Before(tr.From):
		return "?" // before the history began
	case s.Count(v.Role, v.Key) == 0:
		return "-"
	default:
		return strconv.Itoa(int(float64(s.Count(v.Role, v.Key))*100/float64(total)+0.5)) + "%"
	}
}

// milestoneTable is each version's first sight, 50% and 100% of its role, and its lag.
func (t trendView) milestoneTable() tableSpec {
	spec := tableSpec{headers: []string{"ROLE", "VERSION", "FIRST SEEN", "50%", "100%", "LAG"}, right: []int{5}}
	stamp := func(at time.Time) string {
		if at.IsZero() {
			return "-"
		}
		return at.Local().Format("01-02 15:04")
	}
	for _, v := range t.trend.Versions {
		if t.keep(v.Role) {
			spec.rows = append(spec.rows, []string{v.Role, v.Label, stamp(v.FirstSeen), stamp(v.Reached50),
				stamp(v.Reached100), strconv.FormatFloat(v.LagServerDays, 'f', 1, 64)})
		}
	}
	return spec
}

// heading says what the trend covers.
func (t trendView) heading() string {
	out := fmt.Sprintf("Trend over %s, since %s", spanWords(t.span), t.trend.Since.Local().Format("2006-01-02 15:04"))
	if t.trend.From.IsZero() {
		return out + ": no history yet (molt keeps a sample each time it reads the fleet and the spread changed)"
	}
	return out + fmt.Sprintf(" (history from %s, %s)", t.trend.From.Local().Format("2006-01-02 15:04"),
		plural(len(t.trend.Samples), "sample"))
}

// lagLine sums each role's version lag over the window.
func (t trendView) lagLine() string {
	var parts []string
	for _, r := range t.trend.Roles {
		if t.keep(r.Role) && r.Role != fleet.NoRole {
			parts = append(parts, fmt.Sprintf("%s %.1f", r.Role, r.LagServerDays))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "Version lag (server-days behind the role's newest, over the window): " + strings.Join(parts, ", ")
}

func spanWords(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return plural(int(d/(24*time.Hour)), "day")
	}
	return d.String()
}

// textTrend draws the trend for a terminal.
func textTrend(t trendView, st statusStyles) string {
	var b strings.Builder
	b.WriteString("\n" + st.title.Render(t.heading()) + "\n")
	if len(t.trend.Versions) == 0 {
		return b.String()
	}
	b.WriteString("\n" + renderTable(t.shareTable(), st, 0) + "\n\n")
	b.WriteString(renderTable(t.milestoneTable(), st, 0) + "\n")
	if l := t.lagLine(); l != "" {
		b.WriteString(st.muted.Render(l) + "\n")
	}
	return b.String()
}

// mdTrend draws the trend for an audit ticket.
func mdTrend(t trendView) string {
	var b strings.Builder
	b.WriteString("\n#### " + mdEscape(t.heading()) + "\n")
	if len(t.trend.Versions) == 0 {
		return b.String()
	}
	s, m := t.shareTable(), t.milestoneTable()
	b.WriteString("\n" + mdTable(s.headers, s.rows, s.right) + "\n" + mdTable(m.headers, m.rows, m.right))
	if l := t.lagLine(); l != "" {
		b.WriteString("\n" + mdEscape(l) + ".\n")
	}
	return b.String()
}
