package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// view is the stage screen: pick the image, then the strategy beside the plan.
func (st *stageScreen) view(c *common, width, height int) []string {
	lines := []string{st.title(c), ""}
	if st.step == stepImage {
		lines = append(lines, st.imagePicker(c, width, height-len(lines))...)
	} else {
		lines = append(lines, st.strategyAndPlan(c, width, height-len(lines))...)
	}
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	return lines
}

func (st *stageScreen) title(c *common) string {
	s := c.styles
	title := s.Title.Render("Stage a rollout") + "  " + s.Bold.Render(st.name) + " · " + plural(len(st.servers), "server")
	if st.step == stepStrategy {
		title += " → " + s.VersionStyle(0).Bold(true).Render(st.target.Name)
	}
	return title
}

// imagePicker lists the private images: those of the selection's roles first, newest
// first, with how many selected servers run each and where it is missing.
func (st *stageScreen) imagePicker(c *common, width, height int) []string {
	s := c.styles
	rows := st.imageRows(height)
	first := max(0, min(st.imageCursor-rows/2, len(st.images)-rows))
	where := prefixed(" · ", position(first, rows, len(st.images)))
	head := []string{"Pick the image to move them to " + s.Muted.Render("(private images, newest first"+where+")"), ""}
	if st.anyMarked() {
		head[1] = s.Muted.Render(imageMarksLegend)
	}
	switch {
	case st.loadingImages:
		return append(head, s.Muted.Render("Listing images…"))
	case st.imagesErr != nil:
		return append(head, s.Danger.Render("✗ listing images failed: "+st.imagesErr.Error()), "esc goes back.")
	case len(st.images) == 0:
		return append(head, s.Muted.Render("The account has no private images to move to."))
	}
	for i := first; i < len(st.images) && len(head) < height; i++ {
		if r := st.rank(st.images[i]); i > 0 && r > st.rank(st.images[i-1]) {
			head = append(head, s.Muted.Render("  "+rankHeadings[r]))
		}
		head = append(head, st.imageRow(c, st.images[i], i == st.imageCursor))
	}
	return head
}

// rankHeadings head the picker's images of other roles and of no role (stageScreen.rank).
var rankHeadings = [...]string{1: "images of other roles", 2: "images named for no role"}

// imageRows is how many images the picker shows in height lines (two lines are kept for
// the headings between the roles' images, the other roles' and those of no role).
func (st *stageScreen) imageRows(height int) int { return height - 4 }

func (st *stageScreen) imageRow(c *common, v fleet.Version, cursor bool) string {
	s := c.styles
	on := st.onImage(v.ImageID)
	count := s.Muted.Render("none of them on it")
	switch {
	case on == len(st.servers):
		count = s.Warn.Render("all already on it")
	case on > 0:
		count = fmt.Sprintf("%d of %d already on it", on, len(st.servers))
	}
	where := s.OK.Render("✓ in " + strings.Join(st.regions, ", "))
	if miss := st.missingRegions(v); len(miss) > 0 {
		where = s.Danger.Render("✗ missing in " + strings.Join(miss, ", "))
	}
	row := fmt.Sprintf("%s %s %s %s  %s", st.markView(c, v), pad(v.Name, 20), s.Muted.Render(pad(since(c.now(), v.CreatedAt)+" old", 9)),
		pad(count, 22), where)
	if cursor {
		return s.Cursor.Render("› " + stripped(row))
	}
	return "  " + row
}

// strategyAndPlan shows the strategy knobs and, beside or below them, the plan.
// strategyAndPlan shows the strategy's settings and, beside them (wide) or below, the
// plan; below, the settings scroll so that the plan keeps its room.
func (st *stageScreen) strategyAndPlan(c *common, width, height int) []string {
	if width >= wideWidth {
		knobsView, plan := st.knobsView(c, 62, height), st.planView(c, width-65)
		return sideBySide(knobsView, plan, 62, max(len(knobsView), len(plan)))
	}
	plan := st.planView(c, width)
	out := append(st.knobsView(c, width, max(height-len(plan)-1, 6)), "")
	return append(out, plan...)
}

// knobsView lists the strategy settings in at most height lines, the chosen one between
// ‹ › (being typed, with a cursor) and what it means on the line after the list.
func (st *stageScreen) knobsView(c *common, width, height int) []string {
	s := c.styles
	rows := min(max(height-2, 1), len(knobs))
	first := clampInt(st.knob-rows/2, 0, len(knobs)-rows)
	head := s.Bold.Render("Strategy") + s.Muted.Render("  ↑↓ choose · ←→ change · e type")
	lines := []string{spaceBetween(head, s.Muted.Render(position(first, rows, len(knobs))), width)}
	for i := first; i < first+rows; i++ {
		k := knobs[i]
		val := k.value(st.strategy)
		switch {
		case i == st.knob && st.editing:
			lines = append(lines, s.Cursor.Render(fmt.Sprintf("› %s ‹ ", pad(k.name, 14)))+st.edit.view()+s.Cursor.Render(" ›"))
		case i == st.knob:
			lines = append(lines, s.Cursor.Render(fmt.Sprintf("› %s ‹ %s ›", pad(k.name, 14), val)))
		default:
			lines = append(lines, fmt.Sprintf("  %s   %s", pad(k.name, 14), s.Accent.Render(val)))
		}
	}
	return append(lines, s.Muted.Render(fit("  "+knobs[st.knob].help, width)))
}

// planView is the engine's plan of the staged rollout: waves, estimate, API budget and
// warnings; or why there is none.
func (st *stageScreen) planView(c *common, width int) []string {
	s := c.styles
	lines := []string{s.Bold.Render("Plan") + s.Muted.Render(st.planSource())}
	switch {
	case st.busy() && st.plan == nil:
		return append(lines, s.Muted.Render("planning…"))
	case st.planErr != nil:
		return append(lines, wrap(s.Danger.Render("✗ "+inTUIWords(st.planErr.Error())), width)...)
	case st.plan == nil:
		return lines
	}
	p := st.plan
	n := len(p.Replacements())
	if n == 0 {
		return append(append(lines, s.Warn.Render("Nothing to replace: every selected server is skipped.")), wrap(skipLine(c, p), width)...)
	}
	lines = append(lines, fmt.Sprintf("%s in %s%s", plural(n, "replacement"), plural(len(p.Waves), "wave"), canaryNote(p)))
	lines = append(lines, wrap(fmt.Sprintf("about %s%s · %d API calls%s", roughDuration(p.Estimate.Duration.D()), manualNote(p),
		p.Estimate.APICalls, budgetNote(p.Estimate)), width)...)
	if cost := planCostLine(*p); cost != "" {
		lines = append(lines, wrap(cost, width)...)
	}
	if skip := skipLine(c, p); skip != "" {
		lines = append(lines, wrap(skip, width)...)
	}
	lines = append(lines, wrap(sourcesLine(c, p), width)...)
	lines = append(lines, sameImageLines(c, p, width)...)
	for _, w := range p.Warnings {
		lines = append(lines, wrap(s.Warn.Render("! "+inTUIWords(w)), width)...)
	}
	if err := p.Refusal(); err != nil {
		lines = append(lines, wrap(s.Danger.Render("✗ "+inTUIWords(err.Error())), width)...)
	}
	lines = append(lines, guardLines(c, p, width)...)
	if st.busy() {
		lines = append(lines, s.Muted.Render("re-planning…"))
	}
	return lines
}

// planSource says where the plan's view of the account comes from: read when the image
// was picked, and again on r only.
func (st *stageScreen) planSource() string {
	switch {
	case st.gathering:
		return "  reading the account…"
	case st.input != nil:
		return "  account as read at " + st.inputAt.Format("15:04:05") + " · r reads it again"
	}
	return ""
}

// tuiWords are the planner's hints at CLI flags, as this screen's settings say them.
var tuiWords = strings.NewReplacer(
	"use --move-volumes to move them", "set move volumes to yes to move them",
	"lower --surge", "lower surge",
	"use --retire keep", "set retire old to keep",
	"(use --user-data and --ssh-key, or a launch template)", "(molt apply takes --user-data and --ssh-key; here, a launch template gives them)",
	"name one with --to", "pick one",
	"pick another with --to", "pick another",
	"pass --allow-other-role and --allow-downgrade if that is what you mean", guardWords("--allow-other-role and --allow-downgrade"),
	"pass --allow-other-role if that is what you mean", guardWords("--allow-other-role"),
	"pass --allow-downgrade if that is what you mean", guardWords("--allow-downgrade"))

// guardWords says where a guard's override is: ! here (molt apply's flags there).
func guardWords(flags string) string {
	return "if that is what you mean, press ! and type what you mean (molt apply takes " + flags + ")"
}

// inTUIWords rewrites the planner's hints at CLI flags into this screen's settings.
func inTUIWords(s string) string { return tuiWords.Replace(s) }

func canaryNote(p *actions.Plan) string {
	if len(p.Waves) > 0 && p.Waves[0].Canary {
		return fmt.Sprintf(" (canary of %d first)", len(p.Waves[0].Replacements))
	}
	return ""
}

// manualNote counts the checkpoints that wait for the operator, which the estimate
// cannot include; after a canary there is always one.
func manualNote(p *actions.Plan) string {
	n := p.Estimate.ManualPauses
	if len(p.Waves) > 1 && p.Waves[0].Canary && p.Strategy.Pause.Mode != "manual" {
		n++
	}
	if n > 0 {
		return fmt.Sprintf(" + %s where you continue", plural(n, "checkpoint"))
	}
	return ""
}

func budgetNote(e actions.Estimate) string {
	if e.RateRemaining > 0 {
		return fmt.Sprintf(" (%d left this hour)", e.RateRemaining)
	}
	return ""
}

func skipLine(c *common, p *actions.Plan) string {
	if len(p.Skipped) == 0 {
		return ""
	}
	reasons := map[string]int{}
	for _, sk := range p.Skipped {
		reasons[sk.Reason]++
	}
	var parts []string
	for r, n := range reasons {
		parts = append(parts, fmt.Sprintf("%d %s", n, agree(n, inTUIWords(r))))
	}
	sort.Strings(parts)
	return c.styles.Muted.Render("skipped: " + strings.Join(parts, "; "))
}

// agree puts a reason's verb in the number of its count: "3 have attached volumes".
func agree(n int, reason string) string {
	if n == 1 {
		return reason
	}
	for one, many := range map[string]string{"has ": "have ", "is ": "are ", "was ": "were ", "member of ": "members of "} {
		if rest, ok := strings.CutPrefix(reason, one); ok {
			return many + rest
		}
	}
	return reason
}

func sourcesLine(c *common, p *actions.Plan) string {
	var parts []string
	for name, n := range p.Sources {
		parts = append(parts, fmt.Sprintf("%s ×%d", name, n))
	}
	sort.Strings(parts)
	return c.styles.Muted.Render("from " + strings.Join(parts, ", "))
}

// roughDuration rounds a duration for estimates: 40s, 12m, 1h30m.
func roughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Round(time.Minute).Minutes()))
	}
	d = d.Round(10 * time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// confirmDialog asks the operator to type the selection's name to start the plan.
func (st *stageScreen) confirmDialog(c *common) *confirmDialog {
	p := *st.plan
	retire := "old droplets are destroyed"
	if p.Strategy.Retire.Mode == "keep" {
		retire = "old droplets are powered off and kept"
	}
	lines := []string{
		fmt.Sprintf("%s · about %s · %s", plural(len(p.Waves), "wave"), roughDuration(p.Estimate.Duration.D()), retire),
		fmt.Sprintf("on failure: %s", p.Strategy.OnFailure) + prefixed(" · as ", c.deps.Operator),
	}
	if cost := confirmCostLine(p); cost != "" {
		lines = append(lines, cost)
	}
	lines = append(append(lines, overrideNote(p)...), "")
	title := fmt.Sprintf("Replace %s of %s with %s?", plural(len(p.Replacements()), "server"), st.name, p.Target.Name)
	ctx, engine := c.deps.Context, c.deps.Engine
	return newConfirm(title, st.name, lines, func() tea.Cmd { return startCmd(ctx, engine, p) })
}
