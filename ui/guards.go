package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
)

// The stage screen refuses a target that trips a guard (another role's image, a
// downgrade, one image for several roles), as molt apply does. The operator can
// override it as the CLI's --allow-other-role and --allow-downgrade do, but never with
// one key: ! opens a question that wants the guard's word typed (the image's role, the
// selection's roles, or "downgrade"); the plan is then made again allowing it, for this
// stage only (an override is never remembered for the next).

// overrideKey is the stage screen's key for overriding the guards the plan trips; it is
// off where staging is (read-only).
func overrideKey(k KeyMap) key.Binding {
	b := bind([]string{"!"}, "!", "override the guard")
	b.SetEnabled(k.Stage.Enabled())
	return b
}

// refusedGuards are the guards the plan trips that its strategy does not allow.
func refusedGuards(p *actions.Plan) []actions.Guard {
	if p == nil {
		return nil
	}
	var out []actions.Guard
	for _, g := range p.Guards {
		if !g.Allowed {
			out = append(out, g)
		}
	}
	return out
}

// guardWord is what the operator types to override g: the role the target image is
// made for, the selection's roles ("edge+web"), or "downgrade".
func (st *stageScreen) guardWord(g actions.Guard) string {
	switch g.Kind {
	case actions.GuardOtherRole:
		if r, ok := actions.ImageRole(st.target); ok {
			return r
		}
	case actions.GuardSeveralRoles:
		return st.rolesKey()
	case actions.GuardDowngrade:
		return "downgrade"
	}
	return strings.ReplaceAll(string(g.Kind), "_", " ")
}

// overrideWord is every refused guard's word, once each, joined by spaces.
func (st *stageScreen) overrideWord(guards []actions.Guard) string {
	var words []string
	for _, g := range guards {
		if w := st.guardWord(g); !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}

// guardTitle names a guard for people.
func guardTitle(k actions.GuardKind) string {
	switch k {
	case actions.GuardOtherRole:
		return "another role's image"
	case actions.GuardDowngrade:
		return "a downgrade"
	case actions.GuardSeveralRoles:
		return "several roles onto one image"
	}
	return string(k)
}

// someNames lists up to n names, then how many more.
func someNames(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}

// guardLines say which servers trip which guard: refused (✗) or overridden (!).
func guardLines(c *common, p *actions.Plan, width int) []string {
	s := c.styles
	var lines []string
	for _, g := range p.Guards {
		head := fmt.Sprintf("%s: %s (%s)", guardTitle(g.Kind), plural(len(g.Servers), "server"), someNames(g.Servers, 3))
		if g.Allowed {
			lines = append(lines, wrap(s.Warn.Render("! overridden, "+head), width)...)
			continue
		}
		lines = append(lines, wrap(s.Danger.Render("✗ "+head), width)...)
	}
	return lines
}

// override asks for the refused guards' word, or says there is nothing to override.
func (st *stageScreen) override(c *common) action {
	refused := refusedGuards(st.plan)
	if len(refused) == 0 || st.busy() {
		c.warn("nothing to override: no guard refuses this plan")
		return nil
	}
	return openDialog{&overrideDialog{guards: refused, word: st.overrideWord(refused), target: st.target.Name,
		input: lineInput{limit: 64}}}
}

// overriddenMsg says the operator typed the word that allows the guards of kinds.
type overriddenMsg struct{ kinds []actions.GuardKind }

// allow lets the strategy through the guards of kinds and plans again.
func (st *stageScreen) allow(kinds []actions.GuardKind) tea.Cmd {
	for _, k := range kinds {
		switch k {
		case actions.GuardOtherRole, actions.GuardSeveralRoles:
			st.strategy.AllowOtherRole = true
		case actions.GuardDowngrade:
			st.strategy.AllowDowngrade = true
		}
	}
	return st.replan()
}

// resetGuards takes back the overrides typed for another image: they hold for the
// target they were typed for only.
func (st *stageScreen) resetGuards(c *common) {
	st.strategy.AllowOtherRole = c.deps.Strategy.AllowOtherRole
	st.strategy.AllowDowngrade = c.deps.Strategy.AllowDowngrade
}

// overrideNote names the guards the plan is allowed through, for the confirmation.
func overrideNote(p actions.Plan) []string {
	var kinds []string
	for _, g := range p.Guards {
		if g.Allowed {
			kinds = append(kinds, fmt.Sprintf("%s (%s)", guardTitle(g.Kind), plural(len(g.Servers), "server")))
		}
	}
	if len(kinds) == 0 {
		return nil
	}
	return []string{"overriding: " + strings.Join(kinds, ", ")}
}

// overrideDialog asks the operator to type the word of the guards the plan trips
// before the plan may go through them.
type overrideDialog struct {
	guards []actions.Guard
	word   string
	target string
	input  lineInput
	// wrong is the word last entered when it was not word; tried says one was.
	wrong string
	tried bool
}

func (d *overrideDialog) update(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	switch msg.String() {
	case "esc":
		return closeDialog{}, nil
	case "enter":
		if d.input.value != d.word {
			d.wrong, d.tried = d.input.value, true
			c.warn("type %q exactly to override, or esc to leave the guard be", d.word)
			return nil, nil
		}
		kinds := make([]actions.GuardKind, len(d.guards))
		for i, g := range d.guards {
			kinds[i] = g.Kind
		}
		c.say("overridden: the plan is made again, allowing it")
		return closeDialog{}, func() tea.Msg { return overriddenMsg{kinds: kinds} }
	default:
		d.input.update(msg)
		d.wrong, d.tried = "", false
	}
	return nil, nil
}

func (d *overrideDialog) view(c *common) string {
	s := c.styles
	w := min(c.width-10, 72)
	body := []string{s.Title.Render("Override the guard on " + d.target + "?"), ""}
	for _, g := range d.guards {
		body = append(body, wrap(s.Danger.Render("✗ ")+g.Message, w)...)
		body = append(body, wrap(s.Muted.Render("  "+someNames(g.Servers, 4)), w)...)
	}
	body = append(body, "", "Type "+s.Bold.Render(d.word)+" to allow it for this rollout: "+d.input.view())
	if d.tried {
		body = append(body, s.Danger.Render(fmt.Sprintf("✗ %q is not %q: nothing overridden", d.wrong, d.word)))
	} else {
		body = append(body, s.Muted.Render("enter allows it · esc leaves the guard be"))
	}
	return s.Dialog.Render(strings.Join(body, "\n"))
}

func (*overrideDialog) keyBar(*common) []key.Binding {
	return []key.Binding{answer("enter", "override"), answer("esc", "leave the guard be")}
}
