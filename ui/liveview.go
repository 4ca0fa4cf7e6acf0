package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/molt-sh/molt/actions"
)

func liveTitle(c *common) string {
	l, s := c.live, c.styles
	kind := strings.ToUpper(l.kind[:1]) + l.kind[1:]
	if l.watching() {
		kind = "Watching (read-only)"
	}
	arrow := "→"
	if l.kind == "rollback" {
		arrow = "back from" // the target is the image the servers leave
	}
	// The state comes before the names, so that a long selection cuts the ID, not it.
	return fmt.Sprintf("%s %s  %s %s %s  %s", s.Title.Render(kind), c.stateBadge(l.status.State),
		s.Bold.Render(l.status.Selection), arrow, s.VersionStyle(0).Bold(true).Render(l.status.Target), s.Muted.Render(l.status.Rollout)) +
		s.Muted.Render(prefixed("  ", c.startedByText()))
}

// stateBadge renders a rollout state with a glyph and a word.
func (c *common) stateBadge(st actions.State) string {
	s := c.styles
	switch st {
	case actions.StateRunning:
		return s.Accent.Render("▶ running")
	case actions.StatePaused:
		return s.Warn.Render("⏸ paused")
	case actions.StateCheckpoint:
		return s.Warn.Render("◆ checkpoint")
	case actions.StateRollingBack:
		return s.Danger.Render("↶ rolling back")
	case actions.StateDone:
		return s.OK.Render("✓ done")
	case actions.StateRolledBack:
		return s.Warn.Render("↶ rolled back")
	case actions.StateAborted, actions.StateInterrupted:
		return s.Danger.Render("■ " + stateWords(st))
	}
	return string(st)
}

func liveProgress(c *common, width int) string {
	l := c.live
	over, total := l.progress()
	info := fmt.Sprintf("  %d/%d finished", over, total)
	if !l.running() {
		info = "  " + outcomeCounts(l)
	} else if n := l.status.Count(actions.PhaseFailed); n > 0 {
		info += c.styles.Danger.Render(fmt.Sprintf(" · ✗ %d failed", n))
	}
	if eta, ok := l.eta(c.now()); ok && l.running() {
		info += " · ETA " + roughDuration(eta)
	}
	// The bar keeps its width while the words after it come and go (ETA, pause).
	return c.styles.outcomeBar(l.outcomes(), clampInt(width-max(lipgloss.Width(info), progressInfoWidth)-6, 10, 100)) + info
}

// outcomes counts a run's replacements by where they ended: in place (replaced; for a
// rollback, back on the old image), put back by a rollout that rolled back, failed,
// cancelled; the rest are still to do.
type outcomes struct{ ok, back, failed, cancelled, total int }

func (l *live) outcomes() outcomes {
	slots := l.slots()
	o := outcomes{total: len(slots)}
	for _, sl := range slots {
		switch {
		case sl.Phase == actions.PhaseDone && l.kind != "rollback",
			sl.Phase == actions.PhaseRolledBack && l.kind == "rollback":
			o.ok++
		case sl.Phase == actions.PhaseRolledBack:
			o.back++
		case sl.Phase == actions.PhaseFailed:
			o.failed++
		case sl.Phase == actions.PhaseCancelled:
			o.cancelled++
		}
	}
	return o
}

// outcomeBar is a progress bar of width w that fills only with what is in place; what
// was put back, failed or was cancelled shows as such (its own glyph, not only its
// colour), then what is still to do; the percentage is of what is in place.
func (s Styles) outcomeBar(o outcomes, w int) string {
	todo := max(o.total-o.ok-o.back-o.failed-o.cancelled, 0)
	parts := []struct {
		n     int
		glyph string
		style lipgloss.Style
	}{{o.ok, "█", s.BarFull}, {o.back, "▒", s.Warn}, {o.failed, "✗", s.Danger}, {o.cancelled, "─", s.Muted}, {todo, "░", s.BarEmpty}}
	counts := make([]roleVersion, len(parts))
	for i, p := range parts {
		counts[i] = roleVersion{count: p.n}
	}
	if o.total == 0 {
		counts[0].count = 1 // nothing to do is all done
	}
	var b strings.Builder
	for i, n := range barWidths(counts, w) {
		b.WriteString(parts[i].style.Render(strings.Repeat(parts[i].glyph, n)))
	}
	frac := 1.0
	if o.total > 0 {
		frac = float64(o.ok) / float64(o.total)
	}
	return b.String() + fmt.Sprintf(" %3.0f%%", frac*100)
}

// progressInfoWidth is the room kept after the progress bar for its words.
const progressInfoWidth = 30

// outcomeCounts says how an ended run left its replacements: "3 replaced · 9 cancelled".
func outcomeCounts(l *live) string {
	var parts []string
	for _, c := range []struct {
		phase actions.Phase
		words string
	}{{actions.PhaseDone, "replaced"}, {actions.PhaseRolledBack, "rolled back"},
		{actions.PhaseFailed, "failed"}, {actions.PhaseCancelled, "cancelled"}} {
		n := 0
		for _, sl := range l.slots() {
			if sl.Phase == c.phase {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c.words))
		}
	}
	if len(parts) == 0 {
		return "nothing changed"
	}
	return strings.Join(parts, " · ")
}

func liveWave(c *common) string {
	l, s := c.live, c.styles
	st := l.status
	var parts []string
	if l.kind == "rollback" {
		parts = append(parts, "wave by wave, newest first")
	} else if st.Wave >= 0 && st.Wave < len(st.Waves) && pausable(l.run) {
		w := fmt.Sprintf("wave %d of %d", st.Wave+1, len(st.Waves))
		if st.Waves[st.Wave].Canary {
			w += " (canary)"
		}
		parts = append(parts, w)
	} else if !pausable(l.run) {
		parts = append(parts, "the pool replaces its members, one at a time") // a pool rollout: no waves of molt's
	} else {
		parts = append(parts, fmt.Sprintf("%s planned", plural(len(st.Waves), "wave")))
	}
	failed := fmt.Sprintf("%d failed, %d allowed", st.Failures, st.Budget)
	if st.Failures > st.Budget {
		failed = s.Danger.Render("✗ " + failed)
	}
	if l.spend != nil {
		failed += " · " + spendWords(*l.spend)
	}
	return strings.Join(append(parts, failed), " · ")
}

// liveNote is what needs the operator now: a checkpoint, a pause, or how it ended.
func liveNote(c *common) string {
	s, l := c.styles, c.live
	st := l.status
	switch {
	case l.aborting != "" && l.running():
		return s.Danger.Render("■ abort asked (" + l.aborting + "): it happens at the next safe point, as soon as steps in flight end")
	case st.Checkpoint != nil:
		return s.Warn.Render("◆ " + checkpointWords(*st.Checkpoint))
	case st.State == actions.StatePaused:
		return s.Warn.Render("⏸ paused: nothing new starts; p resumes, A aborts")
	case l.done != nil && l.kind == "rollback" && st.State == actions.StateRolledBack &&
		st.Count(actions.PhaseFailed) == 0:
		return s.OK.Render("✓ every server in the rollback is back on its old image")
	case l.done != nil && firstFailure(st) != "":
		// Why it failed matters more than the count, which the status line gives.
		return s.Danger.Render("✗ " + firstFailure(st))
	case l.done != nil && st.Err != "":
		return s.Danger.Render("■ " + st.Err)
	}
	return ""
}

// slotAnchor is the replacement the table is kept around: the first not over yet while
// the run goes on; once it ended, the first that failed, else the top.
func slotAnchor(l *live, slots []actions.SlotStatus) int {
	for i, sl := range slots {
		if l.running() && !l.over(sl.Phase) || !l.running() && sl.Phase == actions.PhaseFailed {
			return i
		}
	}
	if l.running() {
		return max(len(slots)-1, 0)
	}
	return 0
}

// newColumn is the width of the new droplet's column: its ID, and its IP when wide.
func newColumn(c *common) int {
	if c.width >= wideWidth {
		return 28
	}
	return 12
}

func slotRow(c *common, sl actions.SlotStatus, newW int) string {
	s, l := c.styles, c.live
	glyph, style := c.phaseGlyph(sl.Phase)
	phase := phaseWords(sl.Phase)
	if l.kind == "rollback" && sl.Phase == actions.PhaseDone {
		// In a rollback, done is where the server starts from: on the new image, to go back.
		glyph, style, phase = s.Muted.Render("·"), s.Muted, "waiting to go back"
	}
	newCol := ""
	if sl.NewID != 0 {
		newCol = "→ " + strconv.Itoa(sl.NewID)
		if newW > 12 {
			newCol += " " + sl.NewIP
		}
	}
	if sl.Step != "" && !l.over(sl.Phase) {
		phase = stepWords(sl.Step)
	}
	health := ""
	if p, ok := l.probes[sl.Slot]; ok {
		health = fmt.Sprintf("%s %d/%d", passMark(p.OK), p.Passes, max(l.run.Plan().Strategy.Health.Threshold, 1))
	}
	row := fmt.Sprintf("%s %s %s %s %s %s", glyph, pad(sl.OldName, 18), pad(newCol, newW), style.Render(pad(phase, 19)),
		pad(health, 7), s.Muted.Render(slotElapsed(c, sl.Slot)))
	if sl.Err != "" && sl.Phase == actions.PhaseFailed {
		row += " " + s.Danger.Render(sl.Err)
	}
	return row
}

// phaseGlyph is the glyph and style of a phase: a spinner while work is in flight.
func (c *common) phaseGlyph(p actions.Phase) (string, lipgloss.Style) {
	s := c.styles
	switch p {
	case actions.PhasePending:
		return s.Muted.Render("·"), s.Muted
	case actions.PhaseDone:
		return s.OK.Render("✓"), s.OK
	case actions.PhaseFailed:
		return s.Danger.Render("✗"), s.Danger
	case actions.PhaseCancelled:
		return s.Muted.Render("–"), s.Muted
	case actions.PhaseRolledBack:
		return s.Warn.Render("↶"), s.Warn
	case actions.PhaseRollingBack:
		return s.Warn.Render(c.spin.View()), s.Warn
	}
	return s.Accent.Render(c.spin.View()), s.Accent
}

func slotElapsed(c *common, slot int) string {
	start, ok := c.live.slotStarted[slot]
	if !ok {
		return ""
	}
	end, over := c.live.slotEnded[slot]
	if !over {
		end = c.now()
	}
	return formatAge(c.live.busy(start, end).Round(time.Second))
}

// logLineView draws one line of the event log.
func logLineView(c *common, e logLine) string {
	s := c.styles
	text := e.text
	if e.bad {
		text = s.Danger.Render(text)
	}
	return s.Muted.Render(e.at.In(c.now().Location()).Format("15:04:05")) + " " + text
}

// firstFailure is the first failed replacement and why, or "".
func firstFailure(st actions.Status) string {
	for _, sl := range st.Slots {
		if sl.Phase == actions.PhaseFailed && sl.Err != "" {
			return sl.OldName + " failed: " + sl.Err
		}
	}
	return ""
}
