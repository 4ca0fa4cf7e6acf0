package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/molt-sh/molt/actions"
)

// liveView is the live rollout: progress with ETA, the current wave, a row per
// replacement, and the event log below.
func (m Model) liveView(width, height int) []string {
	l := m.live
	lines := []string{m.liveTitle(), m.liveProgress(width), m.liveWave()}
	if note := m.liveNote(); note != "" {
		lines = append(lines, note)
	}
	logH := max(4, (height-len(lines)-2)*2/5)
	tableH := height - len(lines) - logH - 1
	lines = append(lines, m.slotTable(width, tableH)...)
	lines = append(lines, m.styles.Bold.Render("Events")+m.styles.Muted.Render(fmt.Sprintf("  (%d, newest last)", len(l.log))))
	lines = append(lines, m.logView(width, height-len(lines))...)
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	return lines
}

func (m Model) liveTitle() string {
	l, s := m.live, m.styles
	kind := strings.ToUpper(l.kind[:1]) + l.kind[1:]
	arrow := "→"
	if l.kind == "rollback" {
		arrow = "back from" // the target is the image the servers leave
	}
	// The state comes before the names, so that a long selection cuts the ID, not it.
	return fmt.Sprintf("%s %s  %s %s %s  %s", s.Title.Render(kind), m.stateBadge(l.status.State),
		s.Bold.Render(l.status.Selection), arrow, s.VersionStyle(0).Bold(true).Render(l.status.Target), s.Muted.Render(l.status.Rollout)) +
		s.Muted.Render(prefixed("  ", m.startedByText()))
}

// stateBadge renders a rollout state with a glyph and a word.
func (m Model) stateBadge(st actions.State) string {
	s := m.styles
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

func (m Model) liveProgress(width int) string {
	l := m.live
	over, total := l.progress()
	frac := 1.0
	if total > 0 {
		frac = float64(over) / float64(total)
	}
	info := fmt.Sprintf("  %d/%d finished", over, total)
	if !l.running() {
		info = "  " + m.outcomeCounts()
	} else if n := l.status.Count(actions.PhaseFailed); n > 0 {
		info += m.styles.Danger.Render(fmt.Sprintf(" · ✗ %d failed", n))
	}
	if eta, ok := l.eta(m.deps.Now()); ok && l.running() {
		info += " · ETA " + roughDuration(eta)
	}
	// The bar keeps its width while the words after it come and go (ETA, pause).
	return m.styles.progressBar(frac, max(width-max(lipgloss.Width(info), progressInfoWidth)-6, 10)) + info
}

// progressInfoWidth is the room kept after the progress bar for its words.
const progressInfoWidth = 30

// outcomeCounts says how an ended run left its replacements: "3 replaced · 9 cancelled".
func (m Model) outcomeCounts() string {
	l := m.live
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

func (m Model) liveWave() string {
	l, s := m.live, m.styles
	st := l.status
	var parts []string
	if m.live.kind == "rollback" {
		parts = append(parts, "wave by wave, newest first")
	} else if st.Wave >= 0 && st.Wave < len(st.Waves) {
		w := fmt.Sprintf("wave %d of %d", st.Wave+1, len(st.Waves))
		if st.Waves[st.Wave].Canary {
			w += " (canary)"
		}
		parts = append(parts, w)
	} else {
		parts = append(parts, fmt.Sprintf("%s planned", plural(len(st.Waves), "wave")))
	}
	failed := fmt.Sprintf("%d failed, %d allowed", st.Failures, st.Budget)
	if st.Failures > st.Budget {
		failed = s.Danger.Render("✗ " + failed)
	}
	return strings.Join(append(parts, failed), " · ")
}

// liveNote is what needs the operator now: a checkpoint, a pause, or how it ended.
func (m Model) liveNote() string {
	s, st := m.styles, m.live.status
	switch {
	case m.live.aborting != "" && m.live.running():
		return s.Danger.Render("■ abort asked (" + m.live.aborting + "): it happens at the next safe point, as soon as steps in flight end")
	case st.Checkpoint != nil:
		return s.Warn.Render("◆ " + checkpointWords(*st.Checkpoint))
	case st.State == actions.StatePaused:
		return s.Warn.Render("⏸ paused: nothing new starts; p resumes, A aborts")
	case m.live.done != nil && m.live.kind == "rollback" && st.State == actions.StateRolledBack &&
		st.Count(actions.PhaseFailed) == 0:
		return s.OK.Render("✓ every server in the rollback is back on its old image")
	case m.live.done != nil && firstFailure(st) != "":
		// Why it failed matters more than the count, which the status line gives.
		return s.Danger.Render("✗ " + firstFailure(st))
	case m.live.done != nil && st.Err != "":
		return s.Danger.Render("■ " + st.Err)
	}
	return ""
}

// slotTable is a row per replacement, around the first one not over yet.
func (m Model) slotTable(width, height int) []string {
	s, slots := m.styles, m.live.slots()
	head := s.Muted.Render(fmt.Sprintf("  %s %s %s %s %s", pad("old", 18), pad("new", m.newColumn()), pad("phase", 20), pad("health", 9), "time"))
	lines := []string{head}
	rows := max(height-1, 1)
	first := m.slotAnchor(slots)
	first = max(0, min(first-rows/3, len(slots)-rows))
	for i := first; i < len(slots) && len(lines) < height; i++ {
		lines = append(lines, m.slotRow(slots[i], m.newColumn()))
	}
	return lines
}

// slotAnchor is the replacement the table is kept around: the first not over yet while
// the run goes on; once it ended, the first that failed, else the top.
func (m Model) slotAnchor(slots []actions.SlotStatus) int {
	for i, sl := range slots {
		if m.live.running() && !m.live.over(sl.Phase) || !m.live.running() && sl.Phase == actions.PhaseFailed {
			return i
		}
	}
	if m.live.running() {
		return max(len(slots)-1, 0)
	}
	return 0
}

// newColumn is the width of the new droplet's column: its ID, and its IP when wide.
func (m Model) newColumn() int {
	if m.width >= wideWidth {
		return 28
	}
	return 12
}

func (m Model) slotRow(sl actions.SlotStatus, newW int) string {
	s, l := m.styles, m.live
	glyph, style := m.phaseGlyph(sl.Phase)
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
	row := fmt.Sprintf("%s %s %s %s %s %s", glyph, pad(sl.OldName, 18), pad(newCol, newW), style.Render(pad(phase, 20)),
		pad(health, 9), s.Muted.Render(m.slotElapsed(sl.Slot)))
	if sl.Err != "" && sl.Phase == actions.PhaseFailed {
		row += " " + s.Danger.Render(sl.Err)
	}
	return row
}

// phaseGlyph is the glyph and style of a phase: a spinner while work is in flight.
func (m Model) phaseGlyph(p actions.Phase) (string, lipgloss.Style) {
	s := m.styles
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
		return s.Warn.Render(m.spin.View()), s.Warn
	}
	return s.Accent.Render(m.spin.View()), s.Accent
}

func (m Model) slotElapsed(slot int) string {
	start, ok := m.live.slotStarted[slot]
	if !ok {
		return ""
	}
	end, over := m.live.slotEnded[slot]
	if !over {
		end = m.deps.Now()
	}
	return formatAge(max(end.Sub(start), 0).Round(time.Second))
}

// logView is the newest lines of the event log that fit.
func (m Model) logView(width, height int) []string {
	s, log := m.styles, m.live.log
	first := max(0, len(log)-height)
	var lines []string
	for _, e := range log[first:] {
		text := e.text
		if e.bad {
			text = s.Danger.Render(text)
		}
		lines = append(lines, s.Muted.Render(e.at.In(m.deps.Now().Location()).Format("15:04:05"))+" "+text)
	}
	return lines
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
