// Package ui is molt's terminal interface: one Bubble Tea model that shows the fleet
// grouped by role and version, stages replacements, follows a rollout live, and guides a
// rollback. It reads through fleet and drives the engine in actions; it never calls godo.
package ui

import (
	"context"
	"path/filepath"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// Deps is everything the UI needs from the outside world. Only Load is required.
type Deps struct {
	// Context bounds every request the UI starts; cancelled, loads and calls stop.
	Context context.Context
	// Load reads the fleet, telling progress the pages read so far and the pages in all.
	Load func(ctx context.Context, progress func(done, total int)) ([]fleet.Server, error)
	// Images lists the account's private images, for picking a rollout's target.
	Images func(ctx context.Context) ([]fleet.Version, error)
	// Engine plans and runs rollouts; nil makes the UI read-only.
	Engine Engine
	// Pools returns the autoscale pools as the last Load read them (nil: none shown).
	Pools func() []fleet.Pool
	// Strategy is where a staged rollout's strategy starts (default
	// actions.DefaultStrategy()); its launch template, drain and guard overrides hold
	// for every stage, whatever strategy a role's last stage left.
	Strategy *actions.Strategy
	// History reads the account's spread history over [since, now], for the spread over
	// time (t); nil: the screen says the cockpit keeps none.
	History func(ctx context.Context, since time.Time) (fleet.Trend, error)
	// JournalDir is where rollout journals live, for the history (default
	// actions.DefaultDir()).
	JournalDir string
	// RateBudget reports the API requests left this minute and this hour, and the
	// limits; nil hides the budget from the header.
	RateBudget func() Budget
	// Account names the account the token belongs to (its team, else its email), read
	// once in the background; nil or an error leaves Target alone in the header.
	Account func(ctx context.Context) (string, error)
	// Home reads the account the cockpit is on (its UUID, team and endpoint), once: the
	// resume offer lists only that account's rollouts. nil cannot tell, and offers all.
	Home func(ctx context.Context) (fleet.Account, error)
	// Target names where the fleet comes from (the doctl context, or the API's host).
	Target string
	// Demo says the fleet is the embedded simulator's demo seed.
	Demo bool
	// Now is the clock (default time.Now); fix it for reproducible views.
	Now func() time.Time
	// Readonly hides and refuses every key that would change the fleet.
	Readonly bool
	// NoMouse leaves the mouse to the terminal (for selecting text, or terminals that
	// mishandle mouse reporting); by default clicks and the wheel move the cursor.
	NoMouse bool
	// RefreshEvery is the period of the automatic fleet refresh (zero: FeedRefreshEvery
	// with FullReadAt, else DefaultRefreshEvery, spaced out for big fleets; negative: off).
	RefreshEvery time.Duration
	// FullReadAt, for a Load that reads only what changed between full reads (through
	// the account's action feed: fleet.Inventory.Refresh), says when the last full read
	// ended. The header shows it, and the automatic refresh keeps its period at any
	// fleet size, since a refresh costs a request or two. Nil: every load reads it all.
	FullReadAt func() time.Time
	// Stale, for such a Load, is told the droplets a rollout changed without an action in
	// the feed (its lock tag, put on when it starts and taken off when it ends), so that
	// the next load reads them again. Nil: loads read everything anyway.
	Stale func(ids []int)
	// Markdown renders the spread and its audit (nil: none run) as markdown, as `molt
	// status -o markdown` does, for the audit export; nil exports JSON only.
	Markdown func(*fleet.Spread, *fleet.Audit) ([]byte, error)
	// Audit runs the immutability audit of a spread (drift from the account's action
	// feed, max age and health per role), probing the servers' health when probe is set;
	// the UI runs it after every fleet read, in the background. nil: no audit.
	Audit func(ctx context.Context, sp *fleet.Spread, probe bool) (*fleet.Audit, error)
	// Operator names who starts rollouts from this UI, as the journal will record it;
	// the confirmation shows it (empty: not shown).
	Operator string
	// ExportDir is where the audit export offers to write its files (default: the
	// current directory); the operator can type another path.
	ExportDir string
	// Strategies keeps the last strategy staged for each selection of roles across
	// sessions (nil: for this session only).
	Strategies StrategyStore
	// Shared says the engine outlives this UI (a molt serve session): quitting leaves the
	// running rollouts running, so it does not ask first.
	Shared bool
}

// Budget is the API requests left this minute and this hour, and their limits (zero
// when not known yet).
type Budget struct {
	MinuteLeft, MinuteLimit int
	HourLeft, HourLimit     int
}

// StrategyStore keeps the last strategy staged for each selection of roles, by the
// roles' names joined with "+" ("web", "edge+web"). The UI calls it from Cmds.
type StrategyStore interface {
	// Load reads every strategy kept.
	Load() (map[string]actions.Strategy, error)
	// Save keeps st for key; st carries no launch template (user data stays out), no
	// drain and no guard overrides (those are Deps.Strategy's).
	Save(key string, st actions.Strategy) error
}

// DefaultRefreshEvery is the period of the automatic fleet refresh when every load is
// a full read; FeedRefreshEvery when a load reads only what changed (Deps.FullReadAt):
// one request every 10s is 360 of DigitalOcean's 5,000 an hour.
const (
	DefaultRefreshEvery = 30 * time.Second
	FeedRefreshEvery    = 10 * time.Second
)

func (d Deps) withDefaults() Deps {
	if d.Context == nil {
		d.Context = context.Background()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.RefreshEvery == 0 {
		d.RefreshEvery = DefaultRefreshEvery
		if d.FullReadAt != nil {
			d.RefreshEvery = FeedRefreshEvery
		}
	}
	if d.Engine == nil {
		d.Readonly = true
	}
	if d.Strategy == nil {
		st := actions.DefaultStrategy()
		d.Strategy = &st
	}
	if d.JournalDir == "" {
		d.JournalDir, _ = actions.DefaultDir()
	}
	if d.ExportDir == "" {
		d.ExportDir = "."
	}
	if abs, err := filepath.Abs(d.ExportDir); err == nil {
		d.ExportDir = abs // shown whole in the export dialog
	}
	return d
}
