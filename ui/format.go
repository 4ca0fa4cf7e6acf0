package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/molt-sh/molt/fleet"
)

// formatAge renders a duration as operators read ages: 45s, 12m, 5h, 37d.
func formatAge(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// since is the age of t at now, or "-" for an unknown time.
func since(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return formatAge(now.Sub(t))
}

// shortLabel drops the role from a release's label (web-1.6.0 in role web is 1.6.0).
func shortLabel(rel *fleet.Release, role string) string {
	if s, ok := strings.CutPrefix(rel.Label, role+"-"); ok && s != "" {
		return s
	}
	return rel.Label
}

// plural renders "1 server", "3 servers".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// fit pads or truncates s (which may hold ANSI styles) to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if lipgloss.Width(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-lipgloss.Width(s))
}

// pad pads plain text on the right to w cells, truncating longer text.
func pad(s string, w int) string { return fit(s, w) }

// spaceBetween puts left and right on one line of width w, right-aligned; left is
// truncated when both do not fit.
func spaceBetween(left, right string, w int) string {
	gap := w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return fit(left, max(w-lipgloss.Width(right)-1, 0)) + " " + right
	}
	return left + strings.Repeat(" ", gap) + right
}

// percent renders a fraction as a whole percentage, "<1%" for small non-zero ones.
func percent(f float64) string {
	if f > 0 && f < 0.005 {
		return "<1%"
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

// stripped is s without ANSI styles, for lines drawn in one style (the cursor row).
func stripped(s string) string { return ansi.Strip(s) }

// wrap breaks s (which may hold styles) into lines of at most w cells.
func wrap(s string, w int) []string {
	// Lip Gloss breaks lines at hyphens too, which splits flags ("--user-data") and
	// names ("web-1.6.0"); a non-breaking hyphen stands in for them while wrapping.
	const noBreak = "\u2011"
	wrapped := lipgloss.Wrap(strings.ReplaceAll(s, "-", noBreak), max(w, 10), "")
	return strings.Split(strings.ReplaceAll(wrapped, noBreak, "-"), "\n")
}
