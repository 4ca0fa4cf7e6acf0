package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/molt-sh/molt/fleet"
)

// The pure part of the spread over time: which version fills each cell of a role's
// stacked chart, and where a rollout falls on the time axis.

// Cells of a stacked column that no version fills.
const (
	cellEmpty   = -1 // above the stack (the shares fell short by rounding)
	cellUnknown = -2 // the history does not cover this span
)

// stackCells is one column of a role's chart, bottom row first: for each of rows cells
// the index in order (the role's versions, newest first) of the version whose band of
// the stack covers the cell's middle. The newest version sits at the bottom, so that a
// rollout reads as its colour rising. A span the history does not cover is unknown; one
// it covers in part is drawn as the part it covers (so that a history begun a minute
// ago still shows the spread now, in the last column).
func stackCells(col fleet.Column, order []string, rows int) []int {
	out := make([]int, rows)
	if col.Known <= 0 {
		for i := range out {
			out[i] = cellUnknown
		}
		return out
	}
	bounds := make([]float64, len(order)) // the top of each version's band
	top := 0.0
	for i, k := range order {
		top += col.Shares[k] / col.Known
		bounds[i] = top
	}
	for r := range out {
		mid := (float64(r) + 0.5) / float64(rows)
		out[r] = cellEmpty
		for i, b := range bounds {
			if mid < b {
				out[r] = i
				break
			}
		}
	}
	return out
}

// columnAt is the column of n spanning [since, until] that holds t, clamped to the
// chart; ok is false when t is outside the window.
func columnAt(t, since, until time.Time, n int) (int, bool) {
	if n <= 0 || t.Before(since) || t.After(until) || !until.After(since) {
		return 0, false
	}
	i := int(int64(n) * int64(t.Sub(since)) / int64(until.Sub(since)))
	return min(i, n-1), true
}

// trendMark is a rollout on the time axis: its number on the screen, and the columns it
// started and ended in (to is -1 while it has not ended within the window).
type trendMark struct {
	n        int
	from, to int
}

// markLine draws the rollouts under a chart of n columns: each rollout's number where
// it started and a line until it ended; a later rollout's number wins over an earlier
// one's line.
func markLine(marks []trendMark, n int) []rune {
	out := make([]rune, n)
	for i := range out {
		out[i] = '─'
	}
	for _, m := range marks {
		end := m.to
		if end < 0 {
			end = n - 1
		}
		for i := m.from + 1; i <= end && i < n; i++ {
			if out[i] == '─' {
				out[i] = '━'
			}
		}
	}
	for _, m := range marks {
		if m.from >= 0 && m.from < n {
			out[m.from] = markGlyph(m.n)
		}
	}
	return out
}

// markGlyph is a rollout's number as one cell: 1 to 9, then a to z, then +.
func markGlyph(n int) rune {
	switch {
	case n >= 1 && n <= 9:
		return rune('0' + n)
	case n >= 10 && n < 36:
		return rune('a' + n - 10)
	}
	return '+'
}

// markName is a rollout's number as its legend writes it.
func markName(n int) string { return string(markGlyph(n)) }

// timeLine is the line under a chart of n columns: left at its start, mid centred,
// right ending at its edge; a label that would run into another is left out.
func timeLine(left, mid, right string, n int) string {
	line := []rune(strings.Repeat(" ", n))
	put := func(s string, at int) {
		r := []rune(s)
		if at < 0 || at+len(r) > n {
			return
		}
		for i := max(at-1, 0); i < min(at+len(r)+1, n); i++ {
			if line[i] != ' ' {
				return
			}
		}
		copy(line[at:], r)
	}
	put(left, 0)
	put(right, n-len([]rune(right)))
	put(mid, n/2-len([]rune(mid))/2)
	return string(line)
}

// lagWords is a version lag as the screen writes it: "12.5 server-days".
func lagWords(days float64) string {
	return strconv.FormatFloat(days, 'f', 1, 64) + " server-days"
}
