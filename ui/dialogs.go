package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// quitDialog asks before quitting while a rollout runs.
type quitDialog struct{}

func (*quitDialog) update(_ *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	switch msg.String() {
	case "y", "ctrl+c":
		return quitNow{}, nil
	case "n", "esc", "q":
		return closeDialog{}, nil
	}
	return ignored{}, nil
}

func (*quitDialog) view(c *common) string {
	s := c.styles
	later := "and it can be resumed later: R in molt, or molt resume " + c.live.run.ID() + "."
	if c.deps.Demo {
		later = "but the demo's simulated cloud ends with molt: nothing to resume."
	}
	return s.Dialog.Render(strings.Join([]string{
		s.Title.Render("A rollout is running. Quit anyway?"), "",
		"Quitting stops it at its next safe point: nothing is left half done,",
		later, "",
		s.KeyName.Render("y") + " quit   " + s.KeyName.Render("n") + " stay"}, "\n"))
}

func (*quitDialog) keyBar(*common) []key.Binding {
	return []key.Binding{answer("y", "quit"), answer("n", "stay")}
}

// helpDialog shows the keys of the screen it was opened on; in a short window it
// scrolls.
type helpDialog struct {
	page   helpPage
	scroll scroller
}

func (d *helpDialog) update(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	if key.Matches(msg, c.keys.Help, c.keys.Back, c.keys.Quit) {
		return closeDialog{}, nil
	}
	lines, rows := d.lines(c), d.rows(c)
	if delta, ok := moveBy(c.keys, msg, rows); ok {
		d.scroll.move(delta, d.scroll.first(0, len(lines), rows), len(lines), rows)
		return nil, nil
	}
	return ignored{}, nil
}

// rows is how many of the help's lines the window shows (one is kept to say where).
func (d *helpDialog) rows(c *common) int { return max(c.height-3, 3) }

func (*helpDialog) keyBar(*common) []key.Binding { return nil }

// view is the help's lines, as many as the window has room for.
func (d *helpDialog) view(c *common) string {
	s := c.styles
	lines, rows := d.lines(c), d.rows(c)
	if len(lines) > rows+1 {
		first := d.scroll.first(0, len(lines), rows)
		lines = append(lines[first:first+rows:first+rows], s.Muted.Render("↑↓ scroll · "+position(first, rows, len(lines))))
	}
	return s.Dialog.Render(strings.Join(lines, "\n"))
}

// lines lists every enabled key of the page, grouped, then the page's legend; in a
// narrow window the groups wrap onto two rows.
func (d *helpDialog) lines(c *common) []string {
	s := c.styles
	var cols []string
	for _, group := range d.page.groups {
		var rows []string
		for _, it := range group.items {
			if it.on {
				rows = append(rows, s.KeyName.Render(pad(it.keys, 9))+" "+it.desc)
			}
		}
		if len(rows) > 0 {
			cols = append(cols, s.Bold.Render(group.title)+"\n"+strings.Join(rows, "\n"))
		}
	}
	// As many columns in a row as the window has room for.
	var rows []string
	for len(cols) > 0 {
		n := 1
		for n < len(cols) && lipgloss.Width(lipgloss.JoinHorizontal(lipgloss.Top, spaced(cols[:n+1])...)) <= c.width-6 {
			n++
		}
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, spaced(cols[:n])...))
		cols = cols[n:]
	}
	body := strings.Join(rows, "\n\n")
	foot := "? or esc closes this help"
	if d.page.legend != "" {
		foot = strings.Join(wrap(d.page.legend, c.width-6), "\n") + "\n" + foot
	}
	return strings.Split(s.Title.Render("Keys")+"\n\n"+body+"\n\n"+s.Muted.Render(foot), "\n")
}

func spaced(cols []string) []string {
	out := make([]string, 0, 2*len(cols))
	for i, c := range cols {
		if i > 0 {
			out = append(out, "    ")
		}
		out = append(out, c)
	}
	return out
}

// offerDialog offers to resume the unfinished rollout found at start: one of the
// account the cockpit is on; others counts those of other accounts, never offered.
type offerDialog struct {
	r      rollout
	others int
}

func (d *offerDialog) update(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	switch {
	case key.Matches(msg, c.keys.Resume):
		if cmd := resume(c, d.r); cmd != nil {
			return closeDialog{}, cmd
		}
	case key.Matches(msg, c.keys.History):
		return []action{closeDialog{}, show{to: ScreenHistory}}, nil
	case key.Matches(msg, c.keys.Back, c.keys.Quit):
		return closeDialog{}, nil
	default:
		return ignored{}, nil
	}
	return nil, nil
}

func (d *offerDialog) view(c *common) string {
	s, r := c.styles, d.r
	when := r.updated.In(c.now().Location()).Format("2006-01-02 15:04")
	body := []string{
		s.Title.Render("An unfinished rollout is in the journal"), "",
		fmt.Sprintf("%s  %s → %s", r.ID, r.Selection, r.To),
		fmt.Sprintf("%s at %d/%d, last seen %s, by %s", stateWords(r.State), r.Replaced, r.Planned, when, r.Operator),
	}
	if note := c.othersNote(d.others); note != "" {
		body = append(body, wrap(s.Muted.Render(note), min(c.width-10, 72))...)
	}
	body = append(body, "")
	if c.keys.Resume.Enabled() {
		body = append(body, s.KeyName.Render("R")+" resume it   "+s.KeyName.Render("h")+" history   "+s.KeyName.Render("esc")+" not now")
	} else {
		body = append(body, s.Muted.Render("read-only: resume it with molt resume")+"   "+s.KeyName.Render("esc")+" close")
	}
	return s.Dialog.Render(strings.Join(body, "\n"))
}

func (d *offerDialog) keyBar(c *common) []key.Binding {
	if !c.keys.Resume.Enabled() {
		return []key.Binding{answer("esc", "close")}
	}
	return []key.Binding{c.keys.Resume, c.keys.History, answer("esc", "not now")}
}

// confirmDialog asks the operator to type a word (the selection's name) before
// something that changes the fleet starts; start makes the Cmd that starts it.
type confirmDialog struct {
	title string
	// lines come between the title and the typed word.
	lines    []string
	word     string
	input    lineInput
	starting bool
	// wrong is the word last entered when it was not word.
	wrong string
	start func() tea.Cmd
}

func newConfirm(title, word string, lines []string, start func() tea.Cmd) *confirmDialog {
	return &confirmDialog{title: title, lines: lines, word: word, input: lineInput{limit: 64}, start: start}
}

// update reads the word; enter starts when it matches.
func (d *confirmDialog) update(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	switch msg.String() {
	case "esc":
		return closeDialog{}, nil
	case "enter":
		if d.starting {
			return nil, nil
		}
		if d.input.value != d.word {
			d.wrong = d.input.value
			c.warn("type %q exactly to start, or esc to go back", d.word)
			return nil, nil
		}
		d.starting = true
		return nil, d.start()
	default:
		d.input.update(msg)
		d.wrong = ""
	}
	return nil, nil
}

func (d *confirmDialog) view(c *common) string {
	s := c.styles
	body := append([]string{s.Title.Render(d.title), ""}, d.lines...)
	body = append(body, "Type "+s.Bold.Render(d.word)+" to start: "+d.input.view())
	switch {
	case d.wrong != "":
		body = append(body, s.Danger.Render(fmt.Sprintf("✗ %q is not %q: nothing started", d.wrong, d.word)))
	case d.starting:
		body = append(body, s.Muted.Render("starting…"))
	default:
		body = append(body, s.Muted.Render("enter starts · esc cancels"))
	}
	return s.Dialog.Render(strings.Join(body, "\n"))
}

func (*confirmDialog) keyBar(*common) []key.Binding {
	return []key.Binding{answer("enter", "start"), answer("esc", "cancel")}
}

// messageDialog shows a notice too long for the status line, whole.
type messageDialog struct {
	text string
	bad  bool
}

func (*messageDialog) update(_ *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	switch msg.String() {
	case "enter", "esc", "q", "space":
		return closeDialog{}, nil
	}
	return ignored{}, nil
}

func (d *messageDialog) view(c *common) string {
	s := c.styles
	mark := s.OK.Render("✓ ")
	if d.bad {
		mark = s.Danger.Render("✗ ")
	}
	body := wrap(d.text, min(c.width-10, 72))
	return s.Dialog.Render(mark + strings.Join(body, "\n  ") + "\n\n" + s.Muted.Render("enter or esc closes this"))
}

func (*messageDialog) keyBar(*common) []key.Binding {
	return []key.Binding{bind([]string{"enter", "esc"}, "enter/esc", "close")}
}

// abortDialog asks how to abort the run followed: its choices are picked with the
// arrows and enter, and the one it opens on, as esc does, keeps the rollout going.
type abortDialog struct{ choice int }

// abortChoices are the abort dialog's choices: the first, safe one, changes nothing.
var abortChoices = []struct{ name, what string }{
	{"keep going", "do not abort: the rollout goes on as it was"},
	{"roll back", "put every replaced server back on its old image"},
	{"stop here", "finish the replacements in service, cancel the rest"},
}

func (d *abortDialog) update(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	if delta, ok := moveBy(c.keys, msg, len(abortChoices)); ok {
		d.choice = clampInt(d.choice+delta, 0, len(abortChoices)-1)
		return nil, nil
	}
	switch msg.String() {
	case "tab":
		d.choice = (d.choice + 1) % len(abortChoices)
		return nil, nil
	case "shift+tab":
		d.choice = (d.choice + len(abortChoices) - 1) % len(abortChoices)
		return nil, nil
	case "esc":
		return closeDialog{}, nil
	case "enter":
		return closeDialog{}, d.abort(c)
	}
	return ignored{}, nil
}

// abort carries out the choice: nothing, or an abort that rolls back or keeps.
func (d *abortDialog) abort(c *common) tea.Cmd {
	l := c.live
	switch d.choice {
	case 1:
		l.aborting = "roll back"
		return control(func() { l.run.Abort(true) })
	case 2:
		l.aborting = "keep the fleet as it is"
		return control(func() { l.run.Abort(false) })
	}
	return nil
}

func (d *abortDialog) view(c *common) string {
	s := c.styles
	lines := []string{s.Title.Render("Abort the rollout?"), ""}
	for i, ch := range abortChoices {
		row := fmt.Sprintf("%s %s", pad(ch.name, 11), ch.what)
		if i == d.choice {
			lines = append(lines, s.Cursor.Render("› "+row))
			continue
		}
		lines = append(lines, "  "+row)
	}
	lines = append(lines, "", s.Muted.Render("↑↓ choose · enter does it · esc keeps going"))
	return s.Dialog.Render(strings.Join(lines, "\n"))
}

func (*abortDialog) keyBar(*common) []key.Binding {
	return []key.Binding{answer("↑↓", "choose"), answer("enter", "do it"), answer("esc", "keep going")}
}
