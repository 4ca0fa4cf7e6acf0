package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// historyView lists the journal's rollouts, newest first, with the one under the cursor
// described beside the list (wide) or instead of it (narrow, after enter).
func (h *historyScreen) view(c *common, width, height int) []string {
	s := c.styles
	lines := []string{s.Title.Render("Rollouts") + s.Muted.Render("  journal: "+c.deps.JournalDir), ""}
	switch {
	case h.loading && h.rollouts == nil:
		return append(lines, s.Muted.Render("Reading the journal…"))
	case h.err != nil && len(h.rollouts) == 0:
		return append(lines, s.Danger.Render("✗ "+h.err.Error()))
	case h.err != nil:
		// A journal that cannot be read is said above the list, which lists it too.
		lines = append(lines[:1], s.Danger.Render(fit("✗ "+h.err.Error(), width)), "")
	case len(h.rollouts) == 0 && !c.keys.Stage.Enabled():
		return append(lines, s.Muted.Render("No rollouts yet."))
	case len(h.rollouts) == 0:
		return append(lines, s.Muted.Render("No rollouts yet. Select servers on the fleet view and press s to stage one."))
	}
	room := height - len(lines)
	r, _ := h.current()
	switch {
	case width >= wideWidth:
		list := h.rolloutList(c, historyListWidth, height-len(lines))
		details := rolloutDetails(c, r, width-historyListWidth-3, room, h.detail)
		lines = append(lines, sideBySide(list, details, historyListWidth, room)...)
	case h.details:
		lines = append(lines, rolloutDetails(c, r, width, room, h.detail)...)
	default:
		lines = append(lines, h.rolloutList(c, width, height-len(lines))...)
	}
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	return lines
}

// rolloutList is the rollouts under their columns' header, kept around the cursor.
func (h *historyScreen) rolloutList(c *common, width, height int) []string {
	rows := height - 1
	first := max(0, min(h.cursor-rows/2, len(h.rollouts)-rows))
	lines := []string{h.header(c, width, position(first, rows, len(h.rollouts)))}
	for i := first; i < len(h.rollouts) && len(lines) < height; i++ {
		lines = append(lines, rolloutRow(c, h.rollouts[i], i == h.cursor, width))
	}
	return lines
}

// header names the list's columns, the sorted one with its arrow, and where the list is.
func (h *historyScreen) header(c *common, width int, pos string) string {
	name := func(o historySort, w int) string {
		label := o.String()
		if h.sort == o {
			label += arrow((o == byStarted) != h.reverse)
		}
		return pad(label, w)
	}
	head := fmt.Sprintf("  %s %s %s %s %s", name(byState, 14), name(byStarted, 11), name(bySelection, 8), name(byTarget, 19), "done")
	return c.styles.Muted.Render(spaceBetween(head, pos, width))
}

func rolloutRow(c *common, r rollout, cursor bool, width int) string {
	when := r.Started.In(c.now().Location()).Format("01-02 15:04")
	row := fmt.Sprintf("%s %s %s %s %s", pad(c.stateBadge(r.State), 14), when, pad(r.Selection, 8),
		pad("→ "+r.To, 19), c.styles.Muted.Render(fmt.Sprintf("%d/%d", r.Replaced, r.Planned)))
	switch {
	case r.Damaged != "":
		// Its journal cannot be read: nothing but its ID and where it is damaged.
		row = pad(c.styles.Danger.Render("✗ damaged"), 14) + " " + c.styles.Muted.Render(r.ID+" · "+r.Damaged)
	case width >= 100:
		row += "  " + c.styles.Muted.Render(r.Operator.String())
	}
	if cursor {
		return c.styles.Cursor.Render(fit("› "+stripped(row), width))
	}
	return "  " + row
}

// historyListWidth is the width of the rollout list beside the details.
const historyListWidth = 64

// rolloutDetails describes one rollout: what, who, how, and each replacement, in at
// most height lines; the replacements scroll.
func rolloutDetails(c *common, r rollout, width, height int, sc scroller) []string {
	lines := detailFields(c, r, width)
	lines = append(lines, "")
	lines = append(lines, scrolledRows(c, replacementLines(c, r), sc, height-len(lines), "replacements")...)
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	return lines
}

// detailFields are the lines about a rollout above its replacements.
func detailFields(c *common, r rollout, width int) []string {
	s := c.styles
	loc := c.now().Location()
	st := r.plan.Strategy
	lines := []string{s.Bold.Render(r.ID) + "  " + c.stateBadge(r.State)}
	add := func(label, value string) { lines = append(lines, c.fieldLines(label, value, width)...) }
	if r.Damaged != "" {
		lines[0] = s.Bold.Render(r.ID) + "  " + s.Danger.Render("✗ damaged")
		add("journal", fmt.Sprintf("%s: molt recover %s rebuilds it from the rollout's tags in the cloud", r.Damaged, r.ID))
		return lines
	}
	add("what", fmt.Sprintf("%s → %s", r.Selection, r.To))
	add("from", orDash(r.FromText()))
	add("by", r.Operator.String())
	add("started", r.Started.In(loc).Format("2006-01-02 15:04:05"))
	add("last", r.updated.In(loc).Format("2006-01-02 15:04:05")+reasonSuffix(r.Reason))
	add("strategy", fmt.Sprintf("surge %d · retire %s · on failure %s", st.Surge, st.Retire, st.OnFailure))
	if r.Kept > 0 {
		add("kept", fmt.Sprintf("%d old droplets, powered off, for a fast rollback", r.Kept))
	}
	return lines
}

func replacementLines(c *common, r rollout) []string {
	reps := r.plan.Replacements()
	out := make([]string, len(reps))
	for i, rep := range reps {
		out[i] = replacementLine(c, r, rep)
	}
	return out
}

// scrolledRows is as many of rows as fit in room lines, from where sc scrolled to; when
// not all fit, the last line says which are shown.
func scrolledRows(c *common, rows []string, sc scroller, room int, noun string) []string {
	if len(rows) <= room {
		return rows
	}
	shown := max(room-1, 1)
	first := sc.first(0, len(rows), shown)
	out := append([]string(nil), rows[first:min(first+shown, len(rows))]...)
	return append(out, c.styles.Muted.Render(fmt.Sprintf("  %s %s · ↑↓ scroll", position(first, shown, len(rows)), noun)))
}

// scrollRows moves sc by the key when it is a moving key, in rows shown in room lines;
// it reports whether it was.
func scrollRows(c *common, sc *scroller, msg tea.KeyPressMsg, total, room int) bool {
	shown := max(room-1, 1)
	d, ok := moveBy(c.keys, msg, shown)
	if ok {
		sc.move(d, sc.first(0, total, shown), total, shown)
	}
	return ok
}

func replacementLine(c *common, r rollout, rep actions.Replacement) string {
	ph := r.phases[rep.Slot]
	if ph == "" {
		ph = actions.PhasePending
	}
	glyph, style := c.phaseGlyph(ph)
	if !slotOver(ph) && ph != actions.PhasePending {
		glyph = style.Render("•")
	}
	newCol := ""
	if id := r.newIDs[rep.Slot]; id != 0 {
		newCol = fmt.Sprintf("→ %d", id)
	}
	return fmt.Sprintf("%s %s %s %s", glyph, pad(rep.Old.Name, 18), pad(newCol, 12), style.Render(phaseWords(ph)))
}

// rollbackView is the rollback wizard: which servers go back to which image and how,
// whether the fast path is there, and the estimate.
func (w *rollbackScreen) view(c *common, width, height int) []string {
	s, r := c.styles, w.r
	fast := 0
	for _, st := range r.steps {
		if st.Fast {
			fast++
		}
	}
	lines := []string{
		s.Title.Render("Roll back") + "  " + s.Muted.Render(r.ID) + "  " + s.Bold.Render(r.Selection) + " → " +
			r.To + "  " + c.stateBadge(r.State), "",
		goBackLine(len(r.steps)),
	}
	lines = append(lines, s.Muted.Render(fmt.Sprintf("  %s %s %s", pad("server", 18), pad("back to", 18), "how")))
	lines = append(lines, scrolledRows(c, rollbackRows(c, r), w.rows, w.room(height), "servers")...)
	lines = append(lines, "")
	lines = append(lines, wrap(fastPathLine(c, fast, len(r.steps)), width)...)
	lines = append(lines, wrap(fmt.Sprintf("About %s, wave by wave; each server is health checked before it takes its place back.",
		roughDuration(r.rollbackEstimate())), width)...)
	if n := r.Planned - len(r.steps); n > 0 && r.Unfinished() {
		lines = append(lines, s.Muted.Render(fmt.Sprintf("%s not in service yet are cancelled.", plural(n, "replacement"))))
	}
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	return lines
}

// room is the lines the wizard's rows get in a body of height lines.
func (w *rollbackScreen) room(height int) int { return height - 10 }

// rollbackRows says, for each server going back, to which image and how.
func rollbackRows(c *common, r rollout) []string {
	s := c.styles
	var lines []string
	for _, st := range r.steps {
		how := s.OK.Render(fmt.Sprintf("⚡ hand back to droplet %d, still running", st.OldID))
		switch {
		case st.Kept:
			how = s.OK.Render(fmt.Sprintf("⚡ power kept droplet %d back on", st.OldID))
		case !st.Fast:
			how = s.Warn.Render("↻ re-create it (the old one is gone)")
		}
		lines = append(lines, fmt.Sprintf("  %s %s %s", pad(st.Name, 18), pad(r.oldImage(st.Slot), 18), how))
	}
	return lines
}

func fastPathLine(c *common, fast, total int) string {
	s := c.styles
	switch {
	case total == 0:
		return s.Muted.Render("Nothing went into service: nothing to put back.")
	case fast == total:
		return s.OK.Render("⚡ Fast path for all: the old droplets still exist.")
	case fast == 0:
		return s.Warn.Render("No fast path: the old droplets were destroyed, so they are re-created from their images.")
	}
	return s.Warn.Render(fmt.Sprintf("Fast path for %d of %d; the others are re-created from their images.", fast, total))
}

// confirmDialog asks the operator to type the selection to start the rollback.
func (w *rollbackScreen) confirmDialog(c *common) *confirmDialog {
	title := fmt.Sprintf("Roll back %s of %s?", plural(len(w.r.steps), "server"), w.r.Selection)
	ctx, engine, r := c.deps.Context, c.deps.Engine, w.r
	return newConfirm(title, w.confirmName(), nil, func() tea.Cmd { return startRollback(ctx, engine, r) })
}

// imageName names an image, by ID when it has no name.
func imageName(v fleet.Version) string {
	if v.Name != "" {
		return v.Name
	}
	return fmt.Sprintf("image %d", v.ImageID)
}

// goBackLine introduces the servers of a rollback, in the grammar of their number.
func goBackLine(n int) string {
	if n == 1 {
		return "1 server goes back to its old image:"
	}
	return fmt.Sprintf("%d servers go back to their old image, newest first:", n)
}
