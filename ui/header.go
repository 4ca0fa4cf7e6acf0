package ui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/molt-sh/molt/actions"
)

// headerTerse is how far the header has been shortened to fit: each step leaves out
// the least useful words left, so that the demo's words and the budgets' labels stay.
type headerTerse int

const (
	headerFull        headerTerse = iota
	headerNoTarget                // the account without the doctl context or host after it
	headerShortRead               // the time of the last read without "read"
	headerShortAPI                // the budgets as "api 249/min 4993/h"
	headerNoFull                  // no time of the last full read
	headerNoRead                  // no time of the last read
	headerNoDemoWords             // no "simulated cloud"
	headerTerseness
)

// header is the top line: product, where the fleet comes from (the account, as k9s
// shows the cluster), badges, the API budgets left and when the fleet was read. It
// shortens word by word to fit; numbers are padded so that it keeps its width.
func header(c *common) string {
	// Who is connected (molt serve) keeps room for at least the first name.
	need := 0
	if texts := c.presenceTexts(); len(texts) > 1 {
		need = lipgloss.Width(texts[len(texts)-2]) + 3
	}
	var left, right string
	for t := headerFull; t < headerTerseness; t++ {
		left, right = headerLeft(c, t), headerRight(c, t)
		if lipgloss.Width(left)+lipgloss.Width(right)+1+need <= c.width {
			break
		}
	}
	return spaceBetween(withPresence(c, left, right))
}

// headerLeft is the product, where the fleet comes from and the badges.
func headerLeft(c *common, t headerTerse) string {
	s := c.styles
	left := s.Title.Render("molt") + " "
	switch {
	case c.deps.Demo:
		left += s.Demo.Render("DEMO")
		if t < headerNoDemoWords {
			left += " " + s.Muted.Render("simulated cloud")
		}
	case c.account != "":
		left += s.Accent.Render(c.account)
		if t < headerNoTarget && c.deps.Target != "" {
			left += " " + s.Muted.Render("("+c.deps.Target+")")
		}
	default:
		left += s.Accent.Render(c.deps.Target)
	}
	if c.deps.Readonly {
		left += " " + s.Readonly.Render("READ-ONLY")
	}
	if badge := runBadge(c); badge != "" {
		left += " " + badge
	}
	return left
}

// runBadge shows a running rollout from every screen: its state and progress.
func runBadge(c *common) string {
	if !c.running() {
		return ""
	}
	over, total := c.live.progress()
	text := fmt.Sprintf("%s %d/%d", stripped(c.stateBadge(c.live.status.State)), over, total)
	if c.live.status.State == actions.StateRunning {
		text = fmt.Sprintf("%s rollout %d/%d", c.spin.View(), over, total)
	}
	return c.styles.Running.Render(text)
}

// headerRight is the API budgets left this minute and this hour, labelled, and when the
// fleet was read.
func headerRight(c *common, t headerTerse) string {
	var parts []string
	if b := c.budget; c.deps.RateBudget != nil && b.MinuteLimit > 0 {
		parts = append(parts, budgetWords(b, t >= headerShortAPI))
	}
	read := "read "
	if t >= headerShortRead {
		read = ""
	}
	switch {
	case t >= headerNoRead:
	case !c.load.at.IsZero() && t < headerNoFull && !c.load.fullAt.IsZero():
		parts = append(parts, fullReadWords(c, t >= headerShortRead))
	case c.load.loading && !c.load.at.IsZero():
		parts = append(parts, fmt.Sprintf("%*s", len(read)+8, "refreshing…")) // as wide as the time it stands for
	case !c.load.at.IsZero():
		parts = append(parts, read+c.load.at.Format("15:04:05"))
	}
	return c.styles.Muted.Render(strings.Join(parts, " · "))
}

// fullReadWords says when the fleet was read and when it was last read whole, for a
// loader that reads only what changed in between: "full read 09:26:53" after a full
// read, else "read 09:26:53 · full read 09:20:11" (short: "09:26:53 · full 09:20:11").
func fullReadWords(c *common, short bool) string {
	at, full := c.load.at, c.load.fullAt.In(c.load.at.Location())
	fullWord, read := "full read ", "read "
	if short {
		fullWord, read = "full ", ""
	}
	if !c.load.loading && !full.Before(c.load.readBegan) { // the read shown was a full read
		return fullWord + at.Format("15:04:05")
	}
	if c.load.loading {
		read = fmt.Sprintf("%*s", len(read)+8, "refreshing…")
	} else {
		read += at.Format("15:04:05")
	}
	return read + " · " + fullWord + full.Format("15:04:05")
}

// budgetWords says what is left of the API's two limits, "min 249/250 · hour
// 4993/5000", or shortly "api 249/min 4993/h"; the counts keep their limits' width.
func budgetWords(b Budget, short bool) string {
	left := func(n, limit int) string { return fmt.Sprintf("%*d", len(fmt.Sprint(limit)), n) }
	if short {
		s := "api " + left(b.MinuteLeft, b.MinuteLimit) + "/min"
		if b.HourLimit > 0 {
			s += " " + left(b.HourLeft, b.HourLimit) + "/h"
		}
		return s
	}
	s := fmt.Sprintf("min %s/%d", left(b.MinuteLeft, b.MinuteLimit), b.MinuteLimit)
	if b.HourLimit > 0 {
		s += fmt.Sprintf(" · hour %s/%d", left(b.HourLeft, b.HourLimit), b.HourLimit)
	}
	return s
}

// accountMsg carries the account's name, read once.
type accountMsg struct {
	name string
	err  error
}

// loadAccount reads the account's name in the background.
func loadAccount(ctx context.Context, account func(context.Context) (string, error)) tea.Cmd {
	if account == nil {
		return nil
	}
	return func() tea.Msg {
		name, err := account(ctx)
		return accountMsg{name: name, err: err}
	}
}
