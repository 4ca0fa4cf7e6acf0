package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// open lists the images to pick from.
func (st *stageScreen) open(c *common) tea.Cmd { return loadImages(c.deps.Context, c.deps.Images) }

func (st *stageScreen) typing() bool { return st.editing }

// update takes the images, the planning input and the plans as they arrive, and the
// keys of the step shown.
func (st *stageScreen) update(c *common, msg tea.Msg) (action, tea.Cmd) {
	switch msg := msg.(type) {
	case imagesLoadedMsg:
		st.loadingImages = false
		st.imagesErr = msg.err
		st.setImages(msg.images)
	case gatheredMsg:
		return nil, st.onGathered(c, msg)
	case planReadyMsg:
		return st.onPlan(c, msg), nil
	case overriddenMsg:
		return nil, st.allow(msg.kinds)
	case tea.KeyPressMsg:
		switch {
		case st.editing:
			return nil, st.editKey(c, msg)
		case st.step == stepImage:
			return st.imageKey(c, msg)
		}
		return st.strategyKey(c, msg)
	}
	return nil, nil
}

// gather reads what planning needs from the account, once per image picked or r.
func (st *stageScreen) gather(c *common) tea.Cmd {
	st.gatherGen++
	st.gathering = true
	return gatherCmd(c.deps.Context, c.deps.Engine, st.gatherGen, st.request())
}

func (st *stageScreen) onGathered(c *common, msg gatheredMsg) tea.Cmd {
	if msg.gen != st.gatherGen {
		return nil
	}
	st.gathering = false
	if msg.err != nil {
		st.input, st.plan, st.planErr = nil, nil, msg.err
		st.confirmWhenReady = false
		return nil
	}
	in := msg.in
	if st.picked != nil {
		in.Picked = st.picked
	}
	st.input, st.inputAt = &in, c.now()
	return st.replan()
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
	if st.confirmWhenReady && !st.busy() {
		return st.askConfirm(c)
	}
	return nil
}

// replan plans again from the input already read, after any change of strategy: no
// API call.
func (st *stageScreen) replan() tea.Cmd {
	if st.input == nil {
		return nil
	}
	st.planGen++
	st.planning = true
	return planCmd(st.planGen, st.planInput())
}

func (st *stageScreen) imageKey(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	k := c.keys
	if d, ok := moveBy(k, msg, st.imageRows(c.bodyHeight()-2)); ok {
		st.imageCursor = clampInt(st.imageCursor+d, 0, max(len(st.images)-1, 0))
		return nil, nil
	}
	switch {
	case key.Matches(msg, k.Enter) && len(st.images) > 0:
		st.target, st.step, st.plan, st.planErr, st.input = st.images[st.imageCursor], stepStrategy, nil, nil, nil
		st.resetGuards(c)
		return nil, st.gather(c)
	case key.Matches(msg, k.Back):
		return show{to: ScreenFleet}, st.remember(c)
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
		return nil, st.turn(c, key.Matches(msg, k.Inc))
	case key.Matches(msg, k.Edit):
		return nil, st.startEdit(c)
	case key.Matches(msg, overrideKey(k)):
		return st.override(c), nil
	case key.Matches(msg, k.Refresh):
		c.say("reading the account again for the plan…")
		return nil, st.gather(c)
	case key.Matches(msg, k.Confirm):
		a := st.askConfirm(c)
		switch {
		case a != nil || st.confirmWhenReady:
		case st.plan != nil && st.plan.Refusal() != nil:
			c.warn("nothing to start: a guard refuses the plan (why is under Plan; ! overrides it)")
		default:
			c.warn("nothing to start: the plan replaces no server")
		}
		return a, st.remember(c)
	case key.Matches(msg, k.Back):
		st.step = stepImage
	default:
		return ignored{}, nil
	}
	return nil, nil
}

// turn changes the chosen knob one step up or down and plans again.
func (st *stageScreen) turn(c *common, up bool) tea.Cmd {
	kn := knobs[st.knob]
	if kn.value(st.strategy) == "-" {
		c.warn("%s: %s", kn.name, errNoHealthCheck)
		return nil
	}
	d := 1
	if !up {
		d = -1
	}
	kn.change(&st.strategy, d)
	st.changed = true
	return st.replan()
}

// startEdit lets the operator type the chosen knob's value.
func (st *stageScreen) startEdit(c *common) tea.Cmd {
	kn := knobs[st.knob]
	if kn.parse == nil {
		c.warn("%s takes one of its values: ← → change it", kn.name)
		return nil
	}
	st.editing, st.edit.value = true, kn.value(st.strategy)
	return nil
}

// editKey edits the typed value: enter sets it when it reads, esc leaves it as it was.
func (st *stageScreen) editKey(c *common, msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		st.editing = false
	case "enter":
		next := st.strategy
		if err := knobs[st.knob].parse(&next, st.edit.value); err != nil {
			c.warn("%s: %s", knobs[st.knob].name, err)
			return nil
		}
		st.strategy, st.editing, st.changed = next, false, true
		return st.replan()
	default:
		st.edit.update(msg)
	}
	return nil
}

// remember keeps the strategy for the selection's roles, for the next stage of them:
// in this session at once, across sessions through the store in the background.
func (st *stageScreen) remember(c *common) tea.Cmd {
	if !st.changed {
		return nil
	}
	st.changed = false
	return c.rememberStrategy(st.rolesKey(), st.strategy)
}

func (st *stageScreen) keyBar(c *common) []key.Binding {
	k := c.keys
	switch {
	case st.editing:
		return []key.Binding{answer("enter", "set it"), answer("esc", "leave it"), answer("ctrl+c", "quit")}
	case st.step == stepImage:
		return []key.Binding{withHelp(k.Enter, "pick"), withHelp(k.Back, "back to the fleet")}
	case len(refusedGuards(st.plan)) > 0 && !st.busy():
		return []key.Binding{overrideKey(k), k.Next, k.Inc, withHelp(k.Edit, "edit"), withHelp(k.Back, "images")}
	case !st.startable():
		return []key.Binding{k.Next, k.Inc, withHelp(k.Edit, "edit"), withHelp(k.Back, "images")}
	}
	return []key.Binding{withHelp(k.Confirm, "confirm"), k.Next, k.Inc, withHelp(k.Edit, "edit"), withHelp(k.Back, "images")}
}

func (st *stageScreen) help(c *common) helpPage {
	k := c.keys
	return helpPage{legend: "‹ › the setting ←→ changes   the plan follows every change, from the account as read", groups: []helpGroup{
		{"Stage", []helpItem{pair(k.Up, k.Down, "choose"), pair(k.Dec, k.Inc, "change a setting"),
			item(withHelp(k.Edit, "type a setting's value")), item(withHelp(k.Refresh, "read the account again")),
			item(withHelp(k.Enter, "pick the image, then confirm")), item(overrideKey(k)), item(withHelp(k.Back, "one step back"))}},
		generalHelp(k)}}
}
