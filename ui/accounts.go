package ui

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/fleet"
)

// The cockpit offers to resume only rollouts of the account it is on (Deps.Home): a
// rollout of another account, in a state directory two accounts share, is counted and
// named in the history, never offered. The engine refuses it too, before any request
// that changes anything.

// home is the account the cockpit is on, as read once.
type home struct {
	// known says the read ended: acct is the account, or err why it is not known.
	known bool
	acct  fleet.Account
	err   error
}

// homeMsg carries the account the cockpit is on.
type homeMsg struct {
	acct fleet.Account
	err  error
}

// loadHome reads the account the cockpit is on in the background.
func loadHome(ctx context.Context, read func(context.Context) (fleet.Account, error)) tea.Cmd {
	if read == nil {
		return nil
	}
	return func() tea.Msg {
		acct, err := read(ctx)
		return homeMsg{acct: acct, err: err}
	}
}

// homeOf says whether r belongs to the account the cockpit is on: yes when the cockpit
// was not told how to know (Deps.Home nil) or when r's journal predates accounts (the
// engine then checks each droplet before changing it); no while the account is not
// known yet, or could not be read.
func (c *common) homeOf(r rollout) bool {
	switch {
	case c.deps.Home == nil || r.Account == nil:
		return true
	case !c.home.known || c.home.err != nil:
		return false
	}
	return r.Account.Same(c.home.acct)
}

// resumable are the unfinished rollouts of the account the cockpit is on, newest
// first, and how many unfinished ones belong to other accounts (or to an account the
// cockpit cannot tell yet).
func (c *common) resumable() (mine []rollout, others int) {
	for _, r := range c.rollouts {
		switch {
		case !r.Unfinished():
		case c.homeOf(r):
			mine = append(mine, r)
		default:
			others++
		}
	}
	return mine, others
}

// othersCount counts the unfinished rollouts left out: "1 unfinished rollout of
// another account".
func (c *common) othersCount(others int) string {
	n := plural(others, "unfinished rollout")
	switch {
	case !c.home.known:
		return n + " whose account is not read yet"
	case c.home.err != nil:
		return n + " whose account cannot be told (this one could not be read)"
	case others == 1:
		return n + " of another account"
	}
	return n + " of other accounts"
}

// othersNote says, in the offer, which unfinished rollouts are left out ("": none).
func (c *common) othersNote(others int) string {
	if others == 0 {
		return ""
	}
	return c.othersCount(others) + ": not offered here; resume with the token of the account it ran on"
}

// notHome says why rollout r is not resumed here, or "" when it may be.
func (c *common) notHome(r rollout) string {
	if c.homeOf(r) {
		return ""
	}
	if !c.home.known || c.home.err != nil {
		return fmt.Sprintf("rollout %s ran on %s, and which account this is could not be read: nothing resumed", r.ID, r.Account)
	}
	return fmt.Sprintf("rollout %s belongs to %s, not to this account (%s): nothing resumed; use the token of its account",
		r.ID, r.Account, c.home.acct)
}
