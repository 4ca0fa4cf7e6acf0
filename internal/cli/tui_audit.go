package cli

import (
	"context"
	"sync"

	"github.com/molt-sh/molt/fleet"
)

// cockpitAudit is the cockpit's immutability audit (ui.Deps.Audit): the account's drift
// log brought up to date (the drift window's default back, the first time), the config
// file's max_age and health per role, and a probe of the roles with a health check when
// probe is set. Nothing goes to stderr, which the cockpit owns; audits run one at a
// time, as the drift log in the account's directory is read and written by each.
func cockpitAudit(s *session) func(ctx context.Context, sp *fleet.Spread, probe bool) (*fleet.Audit, error) {
	var one sync.Mutex
	o := auditFlags{}
	return func(ctx context.Context, sp *fleet.Spread, probe bool) (*fleet.Audit, error) {
		one.Lock()
		defer one.Unlock()
		set, err := o.settings()
		if err != nil {
			return nil, err
		}
		drift, err := readDriftQuietly(ctx, s, fleet.DefaultDriftWindow)
		if err != nil {
			return nil, err
		}
		// audit says on stderr when there is nothing to probe: here there is then no
		// probe, and the cockpit says health is not checked.
		return audit(ctx, s, sp, o, drift, probe && len(set.checks) > 0)
	}
}
