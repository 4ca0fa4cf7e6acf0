package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// A big fleet is filtered in the background once the keys pause, so that typing never
// waits for the filter: each keystroke arms a tick (filterDebounce); the tick of the
// newest keystroke starts the filter in a Cmd; its result is shown unless a newer
// keystroke, load or sort came since.

// filterDebounce is how long the keys must pause before a big fleet is filtered.
const filterDebounce = 60 * time.Millisecond

// syncFilterMax is the largest fleet filtered at each keystroke, in Update: a few
// thousand servers filter in well under a millisecond.
const syncFilterMax = 5000

// filterTickMsg is the pause after the keystroke that made filter edit gen.
type filterTickMsg struct {
	gen    int
	filter string
}

// filteredMsg is a filter computed in the background, for filter edit gen on the
// groups of dataGen.
type filteredMsg struct {
	gen, dataGen int
	filter       string
	shown        *groups
}

// filterTo shows the servers the filter lets through: at once for a small fleet or an
// empty filter, else after the keys pause, through the Cmd returned.
func (l *fleetList) filterTo(filter string) tea.Cmd {
	l.filterGen++
	if filter == "" || l.sp == nil || len(l.sp.Servers()) <= l.syncMax {
		l.refilter(filter, l.filtered(filter))
		return nil
	}
	gen := l.filterGen
	return tea.Tick(filterDebounce, func(time.Time) tea.Msg { return filterTickMsg{gen: gen, filter: filter} })
}

// filterCmd filters the groups in the background; it reads only what it captures,
// which nothing changes in place (a load or a sort makes new groups).
func (l *fleetList) filterCmd(filter string) tea.Cmd {
	all, gen, data := l.all, l.filterGen, l.dataGen
	return func() tea.Msg {
		return filteredMsg{gen: gen, dataGen: data, filter: filter, shown: filterGroups(all, parseFilter(filter))}
	}
}

// onFilterMsg handles the filter's tick and result; ok is false for other messages.
func (l *fleetList) onFilterMsg(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case filterTickMsg:
		if msg.gen != l.filterGen {
			return nil, true
		}
		return l.filterCmd(msg.filter), true
	case filteredMsg:
		switch {
		case msg.gen != l.filterGen:
		case msg.dataGen != l.dataGen: // a load or a sort came meanwhile: filter those
			return l.filterCmd(msg.filter), true
		default:
			l.refilter(msg.filter, msg.shown)
		}
		return nil, true
	}
	return nil, false
}
