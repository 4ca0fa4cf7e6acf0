package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// poolNoPause says why the pool stage offers no pause, as the engine offers none.
const poolNoPause = "no pause: the pool replaces its members on its own clock and nothing holds it; " +
	"abort rolls back, putting the template back"

// poolStageScreen stages a pool rollout: the image for the template, the plan (members
// to replace, the time the pool's cooldown makes it take), then a confirm.
type poolStageScreen struct {
	pool   fleet.PoolSpread
	role   string
	images []fleet.Version
	cursor int
	// gen counts the plans asked for; planning is set while one runs.
	gen      int
	planning bool
	plan     *actions.PoolPlan
	err      error
}

// stagePool shows the pool stage for ps, when the engine rolls pools.
func stagePool(c *common, ps fleet.PoolSpread, role string) action {
	if _, ok := c.deps.Engine.(PoolEngine); !ok {
		c.warn("this cockpit's engine does not roll pools: use molt apply --pool %s", ps.Pool.Name)
		return nil
	}
	return show{to: ScreenPoolStage, with: &poolStageScreen{pool: ps, role: role}}
}

func (p *poolStageScreen) open(c *common) tea.Cmd { return loadImages(c.deps.Context, c.deps.Images) }

func (p *poolStageScreen) update(c *common, msg tea.Msg) (action, tea.Cmd) {
	switch msg := msg.(type) {
	case imagesLoadedMsg:
		p.setImages(msg.images)
	case poolPlannedMsg:
		if msg.gen == p.gen {
			p.planning, p.err = false, msg.err
			p.plan = &msg.plan
			if msg.err != nil {
				p.plan = nil
			}
		}
	case tea.KeyPressMsg:
		return p.key(c, msg)
	}
	return nil, nil
}

// setImages keeps the role's images, newest first, the template's last.
func (p *poolStageScreen) setImages(ims []fleet.Version) {
	p.images = nil
	for _, im := range ims {
		if strings.HasPrefix(im.Name, p.role+"-") {
			p.images = append(p.images, im)
		}
	}
	slices.SortStableFunc(p.images, func(a, b fleet.Version) int { return b.CreatedAt.Compare(a.CreatedAt) })
	p.cursor = min(p.cursor, max(len(p.images)-1, 0))
}

func (p *poolStageScreen) key(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	k := c.keys
	switch {
	case key.Matches(msg, k.Back) && p.plan != nil:
		p.plan, p.err = nil, nil
	case key.Matches(msg, k.Back):
		return show{to: ScreenFleet}, nil
	case key.Matches(msg, k.Up) && p.plan == nil:
		p.cursor = max(p.cursor-1, 0)
	case key.Matches(msg, k.Down) && p.plan == nil:
		p.cursor = min(p.cursor+1, max(len(p.images)-1, 0))
	case key.Matches(msg, k.Confirm) && p.plan != nil:
		return p.confirm(c), nil
	case key.Matches(msg, k.Confirm) && len(p.images) > 0 && !p.planning:
		return nil, p.planCmd(c)
	default:
		return ignored{}, nil
	}
	return nil, nil
}

func (p *poolStageScreen) planCmd(c *common) tea.Cmd {
	p.gen++
	p.planning, p.err = true, nil
	req := actions.PoolRequest{Pool: p.pool.Pool.Name, Target: p.images[p.cursor], Strategy: *c.deps.Strategy}
	return planPoolCmd(c.deps.Context, c.deps.Engine.(PoolEngine), p.gen, req)
}

// confirm asks for the pool's name before the template changes.
func (p *poolStageScreen) confirm(c *common) action {
	pl := *p.plan
	if err := pl.Refusal(); err != nil {
		c.warn("%s", err)
		return nil
	}
	if pl.Replaced == 0 {
		c.say("the template is on %s already: nothing to roll", pl.Target.Name)
		return nil
	}
	title := fmt.Sprintf("Roll pool %s onto %s?", pl.Pool.Name, pl.Target.Name)
	lines := []string{fmt.Sprintf("the template moves to %s; the pool replaces %s · about %s", pl.Target.Name,
		plural(pl.Replaced, "member"), roughDuration(pl.Estimate.Duration.D()))}
	lines = append(append(lines, wrap(poolNoPause, 64)...), "")
	ctx, e := c.deps.Context, c.deps.Engine.(PoolEngine)
	return openDialog{newConfirm(title, pl.Pool.Name, lines, func() tea.Cmd { return startPoolCmd(ctx, e, pl) })}
}

func (p *poolStageScreen) view(c *common, width, height int) []string {
	s, pool := c.styles, p.pool.Pool
	lines := []string{s.Bold.Render("Roll the pool "+pool.Name) + "  " + s.Muted.Render(fmt.Sprintf("%s · %s · cooldown %dm · template %s",
		plural(len(pool.Members), "member"), pool.SizeText(), pool.CooldownMinutes(), pool.TemplateName())), ""}
	lines = append(lines, p.imageLines(c)...)
	lines = append(lines, "")
	lines = append(lines, p.planLines(c, width)...)
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	return lines[:min(len(lines), height)]
}

func (p *poolStageScreen) imageLines(c *common) []string {
	s := c.styles
	if len(p.images) == 0 {
		return []string{s.Muted.Render("No image of role " + p.role + " to move the template to.")}
	}
	out := []string{s.Muted.Render("Image for the template (the pool replaces its members onto it), newest first")}
	for i, im := range p.images {
		note := since(c.now(), im.CreatedAt) + " old"
		if im.ImageID == p.pool.Pool.Template.ImageID {
			note += " · the template's now"
		}
		line := pad(im.Name, 24) + " " + s.Muted.Render(note)
		if i == p.cursor {
			line = c.styles.Cursor.Render("› " + ansi.Strip(line))
		} else {
			line = "  " + line
		}
		out = append(out, line)
	}
	return out
}

func (p *poolStageScreen) planLines(c *common, width int) []string {
	s := c.styles
	switch {
	case p.planning:
		return []string{s.Muted.Render("Planning: reading the pool…")}
	case p.err != nil:
		return styled(s.Danger, wrap("Cannot roll the pool: "+p.err.Error(), width))
	case p.plan == nil:
		return []string{s.Muted.Render("enter plans the rollout onto the image picked.")}
	}
	pl := *p.plan
	est := pl.Estimate
	out := []string{s.Bold.Render("Plan") + "  " + fmt.Sprintf("%d of %s to replace, one after another at the pool's pace",
		pl.Replaced, plural(len(pl.Members), "member")),
		fmt.Sprintf("about %s · %s per member (two cooldowns and a minute)%s", roughDuration(est.Duration.D()),
			roughDuration(est.PerMember.D()), waitNote(est)),
		fmt.Sprintf("health check %s on each new member; a failed one puts the template back", pl.Health.Kind)}
	out = append(out, styled(s.Muted, wrap(poolNoPause, width))...)
	for _, w := range pl.Warnings {
		out = append(out, styled(s.Warn, wrap("! "+w, width))...)
	}
	for _, g := range pl.Guards {
		out = append(out, styled(s.Warn, wrap("! "+g.Message, width))...)
	}
	return out
}

// styled renders each line in st.
func styled(st lipgloss.Style, lines []string) []string {
	for i := range lines {
		lines[i] = st.Render(lines[i])
	}
	return lines
}

func waitNote(e actions.PoolEstimate) string {
	if e.Wait > 0 {
		return ", after " + roughDuration(e.Wait.D()) + " left of the cooldown"
	}
	return ""
}

func (p *poolStageScreen) keyBar(c *common) []key.Binding {
	k := c.keys
	if p.plan != nil {
		return []key.Binding{withHelp(k.Confirm, "confirm"), withHelp(k.Back, "images")}
	}
	return []key.Binding{withHelp(k.Confirm, "plan"), withHelp(k.Back, "fleet")}
}

func (p *poolStageScreen) help(c *common) helpPage {
	k := c.keys
	return helpPage{groups: []helpGroup{{title: "Roll a pool", items: []helpItem{pair(k.Up, k.Down, "pick the image"),
		item(withHelp(k.Confirm, "plan, then confirm")), item(withHelp(k.Back, "back"))}}}, legend: poolNoPause}
}
