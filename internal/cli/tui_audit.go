package cli

import (
	"context"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/fleet"
)

// sharedFeed hands the action feed's newest page from the cockpit's fleet read to the
// audit that follows it, so that a refresh reads the feed once, not twice.
type sharedFeed struct {
	mu   sync.Mutex
	page []godo.Action
	at   time.Time
}

// sharedFeedAge is how old a page the audit still takes: an audit follows its fleet
// read at once, unless the one before it (probing health) held it up.
const sharedFeedAge = 15 * time.Second

func (f *sharedFeed) put(page []godo.Action) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.page, f.at = page, time.Now()
}

// take returns the page once, when it is fresh; nil otherwise.
func (f *sharedFeed) take() []godo.Action {
	f.mu.Lock()
	defer f.mu.Unlock()
	page := f.page
	f.page = nil
	if page == nil || time.Since(f.at) > sharedFeedAge {
		return nil
	}
	return page
}

// cockpitAudit is the cockpit's immutability audit (ui.Deps.Audit): the account's drift
// log brought up to date (the drift window's default back, the first time), the config
// file's max_age and health per role, and a probe of the roles with a health check when
// probe is set. Nothing goes to stderr, which the cockpit owns; audits run one at a
// time, as the drift log in the account's directory is read and written by each.
//
// feed, when set, holds the newest page of the action feed as the fleet read before the
// audit read it. The probing audit that follows an audit at once (the cockpit probes
// after the marks of drift, age and pets are shown) takes that audit's drift log, read
// moments before, rather than read the feed again.
func cockpitAudit(s *session, feed *sharedFeed) func(ctx context.Context, sp *fleet.Spread, probe bool) (*fleet.Audit, error) {
	var one sync.Mutex
	o := auditFlags{}
	var last *fleet.DriftLog
	var lastAt time.Time
	return func(ctx context.Context, sp *fleet.Spread, probe bool) (*fleet.Audit, error) {
		one.Lock()
		defer one.Unlock()
		set, err := o.settings()
		if err != nil {
			return nil, err
		}
		drift := last
		if !probe || last == nil || time.Since(lastAt) > sharedFeedAge {
			var first []godo.Action
			if feed != nil {
				first = feed.take()
			}
			if drift, err = readDriftQuietly(ctx, s, fleet.DefaultDriftWindow, first); err != nil {
				return nil, err
			}
			last, lastAt = drift, time.Now()
		}
		// audit says on stderr when there is nothing to probe: here there is then no
		// probe, and the cockpit says health is not checked.
		return audit(ctx, s, sp, o, drift, probe && len(set.checks) > 0)
	}
}
