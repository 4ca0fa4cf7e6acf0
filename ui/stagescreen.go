package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// open lists the images to pick from.
func (st *stageScreen) open(c *common) tea.Cmd { return loadImages(c.deps.Context, c.deps.Images) }

// update takes the images and plans as they arrive, and the keys of the step shown.
func (st *stageScreen) update(c *common, msg tea.Msg) (action, tea.Cmd) {
	switch msg := msg.(type) {
	case imagesLoadedMsg:
		st.loadingImages = false
		st.imagesErr = msg.err
		st.setImages(msg.images)
	case planReadyMsg:
		return st.onPlan(c, msg), nil
	case tea.KeyPressMsg:
		if st.step == stepImage {
			return st.imageKey(c, msg)
		}
		return st.strategyKey(c, msg)
	}
	return nil, nil
}

func (st *stageScreen) onPlan(c *common, msg planReadyMsg) action {
	if msg.gen != st.planGen {
		return nil
	}
	st.planning = false
	st.planErr = msg.err
	st.plan = nil
	if msg.err == nil {
		p := msg.plan
		st.plan = &p
	}
	if st.confirmWhenReady {
		return st.askConfirm(c)
	}
	return nil
}

// replan asks the engine for a new plan after any change to the stage.
func (st *stageScreen) replan(c *common) tea.Cmd {
	st.planGen++
	st.planning = true
	return planCmd(c.deps.Context, c.deps.Engine, st.planGen, st.request())
}

func (st *stageScreen) imageKey(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	k := c.keys
	if d, ok := moveBy(k, msg, st.imageRows(c.bodyHeight()-2)); ok {
		st.imageCursor = clampInt(st.imageCursor+d, 0, max(len(st.images)-1, 0))
		return nil, nil
	}
	switch {
	case key.Matches(msg, k.Enter) && len(st.images) > 0:
		st.target, st.step, st.plan, st.planErr = st.images[st.imageCursor], stepStrategy, nil, nil
		return nil, st.replan(c)
	case key.Matches(msg, k.Back):
		return show{to: ScreenFleet}, nil
	}
	return ignored{}, nil
}

func (st *stageScreen) strategyKey(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	k := c.keys
	switch {
	case key.Matches(msg, k.Next):
		st.knob = (st.knob + 1) % len(knobs)
	case key.Matches(msg, k.Prev):
		st.knob = (st.knob + len(knobs) - 1) % len(knobs)
	case key.Matches(msg, k.Inc, k.Dec):
		d := 1
		if key.Matches(msg, k.Dec) {
			d = -1
		}
		knobs[st.knob].change(&st.strategy, d)
		return nil, st.replan(c)
	case key.Matches(msg, k.Confirm):
		a := st.askConfirm(c)
		if a == nil && !st.confirmWhenReady {
			c.warn("nothing to start: the plan replaces no server")
		}
		return a, nil
	case key.Matches(msg, k.Back):
		st.step = stepImage
	default:
		return ignored{}, nil
	}
	return nil, nil
}

func (st *stageScreen) keyBar(c *common) []key.Binding {
	k := c.keys
	switch {
	case st.step == stepImage:
		return []key.Binding{withHelp(k.Enter, "pick"), withHelp(k.Back, "back to the fleet")}
	case !st.startable():
		return []key.Binding{k.Next, k.Inc, withHelp(k.Back, "images")}
	}
	return []key.Binding{withHelp(k.Confirm, "confirm"), k.Next, k.Inc, withHelp(k.Back, "images")}
}

func (st *stageScreen) help(c *common) helpPage {
	k := c.keys
	return helpPage{legend: "‹ › the setting ←→ changes   the plan follows every change", groups: []helpGroup{
		{"Stage", []helpItem{pair(k.Up, k.Down, "choose"), pair(k.Dec, k.Inc, "change a setting"),
			item(withHelp(k.Enter, "pick the image, then confirm")), item(withHelp(k.Back, "one step back"))}},
		generalHelp(k)}}
}
