package cli

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"
	"github.com/molt-sh/molt/fleet"
)

// Buckets say how far behind its role's newest release a release is; bars and legends
// draw each with its own glyph (and colour, when styled), so meaning never rides on colour.
const (
	bucketNewest = iota
	bucketOne
	bucketTwo
	bucketOlder
	bucketNoRole
	numBuckets
)

var bucketNames = [numBuckets]string{"newest", "1 behind", "2 behind", "3+ behind", "no role"}

// barWidth is the width of a full spread bar.
const barWidth = 24

// statusStyles are the styles of `molt status`; nothing else in the command names a colour.
type statusStyles struct {
	title, header, muted lipgloss.Style
	bucket               [numBuckets]lipgloss.Style
	glyph                [numBuckets]string
	border               lipgloss.Border
}

// newStatusStyles uses the terminal's own 16 colours when styled, and plain ASCII otherwise.
func newStatusStyles(styled bool) statusStyles {
	if !styled {
		return statusStyles{glyph: [numBuckets]string{"#", "=", "-", ".", "~"}, border: lipgloss.ASCIIBorder()}
	}
	fg := func(c string) lipgloss.Style { return lipgloss.NewStyle().Foreground(lipgloss.Color(c)) }
	return statusStyles{
		title:  lipgloss.NewStyle().Bold(true),
		header: lipgloss.NewStyle().Bold(true),
		muted:  fg("8"),
		bucket: [numBuckets]lipgloss.Style{fg("2"), fg("3"), fg("1"), fg("1"), fg("8")},
		glyph:  [numBuckets]string{"█", "▓", "▒", "░", "·"},
		border: lipgloss.NormalBorder(),
	}
}

// bucketOf is the bucket of a release.
func bucketOf(s *fleet.Spread, r *fleet.Release) int {
	b := s.Behind(r)
	if b < 0 {
		return bucketNoRole
	}
	return min(b, bucketOlder)
}

// writeText draws the spread as a table with a bar per group, within width columns
// (0: no limit).
func writeText(w io.Writer, v statusView, st statusStyles, width int) error {
	var b strings.Builder
	b.WriteString(st.title.Render(v.target) + "\n" + summary(v.spread) + "\n")
	if v.spread.Total > 0 {
		b.WriteString(upperFirst(runRateWords(v.spread.Cost)) + "\n")
	}
	if sel := describeSelection(v.sel); sel != "" {
		b.WriteString(st.muted.Render("selected: "+sel) + "\n")
	}
	if v.spread.Total > 0 {
		b.WriteString("\n" + textTable(v, st, width) + "\n\n")
		b.WriteString(stragglerLine(v.spread) + "\n")
		b.WriteString(st.muted.Render(legend(st)) + "\n")
		b.WriteString("\n" + auditText(v, st, width))
	}
	b.WriteString(poolsText(v.spread.Pools, st))
	if v.trend != nil {
		b.WriteString(textTrend(*v.trend, st))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// summary is the spread in one line: droplets, versions live, the oldest image.
func summary(s *fleet.Spread) string {
	if s.Total == 0 {
		return "no droplets"
	}
	out := fmt.Sprintf("%s, %s live", plural(s.Total, "droplet"), plural(len(s.Releases), "version"))
	if s.Oldest != nil {
		out += fmt.Sprintf(", oldest image %s (%s)", s.Oldest.Label, plural(int(s.OldestAge/(24*time.Hour)), "day"))
	}
	return out
}

func describeSelection(sel fleet.Selection) string {
	var parts []string
	for _, p := range [][2]string{{"tag", sel.Tag}, {"region", sel.Region}, {"name", sel.Name}} {
		if p[1] != "" {
			parts = append(parts, p[0]+" "+p[1])
		}
	}
	return strings.Join(parts, ", ")
}

func stragglerLine(s *fleet.Spread) string {
	if len(s.Stragglers) == 0 {
		return "no stragglers: every role runs its newest version"
	}
	var parts []string
	for _, rs := range s.Roles {
		if rs.Stragglers > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", rs.Role, rs.Stragglers))
		}
	}
	return fmt.Sprintf("%s (not on their role's newest): %s",
		plural(len(s.Stragglers), "straggler"), strings.Join(parts, ", "))
}

func legend(st statusStyles) string {
	parts := make([]string, numBuckets)
	for i := range numBuckets {
		parts[i] = st.glyph[i] + " " + bucketNames[i]
	}
	return strings.Join(parts, "  ")
}

// minBarWidth is the narrowest bar worth drawing; below it the version table drops its
// REGIONS column to make room.
const minBarWidth = 8

// textTable lays out the grouping with Lip Gloss, its bars as wide as fit in width
// (0: no limit).
func textTable(v statusView, st statusStyles, width int) string {
	spec := tableRows(v)
	w := barWidth
	if width > 0 {
		// Room left after the table, the padding before the bars, and a spare column.
		room := func() int { return width - lipgloss.Width(renderTable(spec, st, 0)) - 3 }
		w = min(barWidth, room())
		if w < minBarWidth && v.by == fleet.ByVersion {
			spec = spec.without(len(spec.headers) - 1) // REGIONS
			w = min(barWidth, room())
		}
		w = max(w, minBarWidth)
	}
	return renderTable(spec, st, w)
}

// tableSpec is a grouping's table before rendering: its cells, the columns aligned
// right, and each row's bar (counts per bucket, and its length as a fraction of a full bar).
type tableSpec struct {
	headers  []string
	rows     [][]string
	right    []int
	counts   [][numBuckets]int
	fraction []float64
}

func (t tableSpec) without(col int) tableSpec {
	t.headers = slices.Delete(slices.Clone(t.headers), col, col+1)
	rows := make([][]string, len(t.rows))
	for i, r := range t.rows {
		rows[i] = slices.Delete(slices.Clone(r), col, col+1)
	}
	t.rows = rows
	return t
}

// renderTable draws the table, with a SPREAD column of bars barCells wide unless zero
// (the width is then measured without them).
func renderTable(spec tableSpec, st statusStyles, barCells int) string {
	headers, rows := spec.headers, spec.rows
	if barCells > 0 {
		headers = append(slices.Clone(headers), "SPREAD")
		rows = make([][]string, len(spec.rows))
		for i, r := range spec.rows {
			cells := max(1, int(math.Round(spec.fraction[i]*float64(barCells))))
			rows[i] = append(slices.Clone(r), bar(st, spec.counts[i], cells))
		}
	}
	t := table.New().Headers(headers...).Rows(rows...).Border(st.border).
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).BorderColumn(false).
		BorderStyle(st.muted).StyleFunc(cellStyle(st, spec.right, len(headers)))
	lines := strings.Split(t.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func cellStyle(st statusStyles, right []int, cols int) table.StyleFunc {
	return func(row, col int) lipgloss.Style {
		pad := 2
		if col == cols-1 {
			pad = 0
		}
		s := lipgloss.NewStyle()
		if row == table.HeaderRow {
			s = st.header
		}
		s = s.PaddingRight(pad)
		if slices.Contains(right, col) {
			s = s.Align(lipgloss.Right)
		}
		return s
	}
}

// tableRows builds the table of the grouping.
func tableRows(v statusView) tableSpec {
	s := v.spread
	if v.by == fleet.ByVersion {
		spec := tableSpec{headers: []string{"ROLE", "VERSION", "SERVERS", "SHARE", costHeader, "AGE", "BEHIND", "REGIONS"}, right: []int{2, 3, 4, 5}}
		most := 0
		for _, r := range s.Releases {
			most = max(most, r.Count)
		}
		for _, r := range s.Releases { // the largest release fills the bar
			spec.rows = append(spec.rows, versionRow(s, r))
			spec.counts = append(spec.counts, oneBucket(bucketOf(s, r), r.Count))
			spec.fraction = append(spec.fraction, float64(r.Count)/float64(most))
		}
		return spec
	}
	spec := tableSpec{headers: []string{"REGION", "SERVERS", "VERSIONS", "STRAGGLERS", costHeader}, right: []int{1, 2, 3, 4}}
	if v.by == fleet.ByRole {
		spec = tableSpec{headers: []string{"ROLE", "SERVERS", "VERSIONS", "NEWEST", "STRAGGLERS", costHeader}, right: []int{1, 2, 4, 5}}
	}
	for _, g := range s.Groups(v.by) {
		spec.rows = append(spec.rows, append(groupRow(g, v.by), fleet.Dollars(groupCost(g).MonthlyUSD(), 2)))
		spec.counts = append(spec.counts, groupBuckets(s, g))
		spec.fraction = append(spec.fraction, 1)
	}
	return spec
}

func versionRow(s *fleet.Spread, r *fleet.Release) []string {
	return []string{r.Role, r.Label, strconv.Itoa(r.Count), fmt.Sprintf("%.1f%%", r.Share*100),
		fleet.Dollars(r.Cost.MonthlyUSD(), 2), age(r, s.At), behind(s, r), regionCounts(s, r)}
}

func groupRow(g fleet.Group, by fleet.Dimension) []string {
	row := []string{g.Label, strconv.Itoa(len(g.Servers)), strconv.Itoa(len(g.Versions))}
	if by == fleet.ByRole {
		newest := "-"
		if g.Newest != nil {
			newest = g.Newest.Label
		}
		row = append(row, newest)
	}
	return append(row, strconv.Itoa(g.Stragglers))
}

func age(r *fleet.Release, now time.Time) string {
	if r.CreatedAt.IsZero() {
		return "-"
	}
	d := int(r.Age(now) / (24 * time.Hour))
	if d < 1 {
		return "<1d"
	}
	return strconv.Itoa(d) + "d"
}

func behind(s *fleet.Spread, r *fleet.Release) string {
	switch b := s.Behind(r); b {
	case -1:
		return "-"
	case 0:
		return "newest"
	default:
		return strconv.Itoa(b) + " behind"
	}
}

func regionCounts(s *fleet.Spread, r *fleet.Release) string {
	var parts []string
	for _, region := range s.Regions {
		if n := r.Regions[region]; n > 0 {
			parts = append(parts, region+":"+strconv.Itoa(n))
		}
	}
	return strings.Join(parts, " ")
}

func oneBucket(b, n int) [numBuckets]int {
	var counts [numBuckets]int
	counts[b] = n
	return counts
}

func groupBuckets(s *fleet.Spread, g fleet.Group) [numBuckets]int {
	var counts [numBuckets]int
	for _, vc := range g.Versions {
		counts[bucketOf(s, vc.Release)] += vc.Count
	}
	return counts
}

// bar draws counts as segments of a bar width cells wide, newest first; every non-empty
// bucket gets at least one cell.
func bar(st statusStyles, counts [numBuckets]int, width int) string {
	total := 0
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		return ""
	}
	width = max(width, 1)
	cells := segmentWidths(counts, total, width)
	var b strings.Builder
	for i, n := range cells {
		if n > 0 {
			b.WriteString(st.bucket[i].Render(strings.Repeat(st.glyph[i], n)))
		}
	}
	return b.String()
}

func segmentWidths(counts [numBuckets]int, total, width int) [numBuckets]int {
	var cells [numBuckets]int
	used, largest := 0, 0
	for i, n := range counts {
		if n == 0 {
			continue
		}
		cells[i] = max(1, int(math.Round(float64(n)*float64(width)/float64(total))))
		used += cells[i]
		if cells[i] > cells[largest] {
			largest = i
		}
	}
	cells[largest] = max(1, cells[largest]+width-used)
	return cells
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
