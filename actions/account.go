package actions

import (
	"context"
	"fmt"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/fleet"
)

// A rollout belongs to the account its token reached (fleet.Account: the UUID, the team
// the token works in, if any, and the endpoint). Every plan carries it (Gather reads it),
// so the journal's header does too; a rollout is resumed or rolled back only on the
// account it ran on.

// AccountMismatchError refuses to resume or roll back a rollout on an account other
// than the one it ran on. Nothing was changed.
type AccountMismatchError struct {
	Rollout string
	Journal fleet.Account // the account the rollout ran on
	Here    fleet.Account // the account the token reaches now
}

// Error names both accounts in one sentence.
func (e *AccountMismatchError) Error() string {
	return fmt.Sprintf("rollout %s belongs to %s, but this token reaches %s; nothing was changed: use the token and --api-url of the account it ran on",
		e.Rollout, e.Journal, e.Here)
}

// ReadAccount reads the account the client's token reaches, for a rollout's header and
// for the check that a journal belongs to it; it retries as the engine's reads do.
func ReadAccount(ctx context.Context, c *godo.Client) (fleet.Account, error) {
	return readOnly(c).accountRef(ctx)
}

// readOnly is an api for reads outside a run: no events, no crash injection.
func readOnly(c *godo.Client) *api {
	return &api{c: c, timing: Timing{}.withDefaults(), publish: func(Event) {}, halted: func() bool { return false }}
}

func (a *api) accountRef(ctx context.Context) (fleet.Account, error) {
	acct, err := a.godoAccount(ctx)
	if err != nil {
		return fleet.Account{}, err
	}
	return fleet.AccountOf(a.c, acct), nil
}

func (a *api) godoAccount(ctx context.Context) (*godo.Account, error) {
	var acct *godo.Account
	err := a.call(ctx, read, func(c context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		acct, resp, err = a.c.Account.Get(c)
		return resp, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the account: %w", err)
	}
	return acct, nil
}

// CheckAccount reports, as an *AccountMismatchError, a rollout that ran on another
// account than here. A rollout journaled before accounts were recorded (nil journal)
// passes: nothing can tell, and every droplet is checked before it is changed.
func CheckAccount(rollout string, journal *fleet.Account, here fleet.Account) error {
	if journal == nil || journal.Same(here) {
		return nil
	}
	return &AccountMismatchError{Rollout: rollout, Journal: *journal, Here: here}
}

// unboundNote is said once when a run resumes a rollout whose journal records no
// account.
const unboundNote = "its journal predates account binding, so molt cannot tell which account it ran on and checks each droplet's name and tags before changing it"

// bind checks, before a resumed run changes anything, that the token reaches the
// account the rollout ran on. A caller that passed Options.Account was checked when
// the journal was opened; otherwise the account is read here (one request).
func (e *Executor) bind(ctx context.Context) error {
	if !e.resumed || e.plan.Account == nil || e.opt.Account != nil {
		return nil
	}
	here, err := e.api.accountRef(ctx)
	if err != nil {
		return fmt.Errorf("check that rollout %s belongs to this account: %w", e.id, err)
	}
	return CheckAccount(e.id, e.plan.Account, here)
}

// unbound reports whether the rollout's journal records no account.
func (e *Executor) unbound() bool { return e.plan.Account == nil }

// withNote adds, for a rollout whose journal records no account, why molt checks
// every droplet, to the reason of the first state change of a resumed run.
func (e *Executor) withNote(reason string) string {
	if e.resumed && e.unbound() {
		return reason + "; " + unboundNote
	}
	return reason
}
