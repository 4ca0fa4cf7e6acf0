package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v4"
)

// auditConfig is the part of molt's config file that the immutability audit reads: a
// maximum lifetime per role ("*" for every role without one) and a health check per
// role, in --health's syntax:
//
//	max_age:
//	  "*": 90d
//	  web: 30d
//	health:
//	  web: http:8080/healthz
//	  worker: tcp:9000
type auditConfig struct {
	MaxAge map[string]string `yaml:"max_age"`
	Health map[string]string `yaml:"health"`
}

// auditSettings are what an audit checks against, from the config file and the flags.
type auditSettings struct {
	maxAge map[string]time.Duration
	checks map[string]actions.HealthCheck
}

// readAuditConfig reads the audit's part of the config file; a missing file is none. A
// value it cannot read is a usage error naming it.
func readAuditConfig() (auditSettings, error) {
	out := auditSettings{maxAge: map[string]time.Duration{}, checks: map[string]actions.HealthCheck{}}
	path, err := configPath()
	if err != nil {
		return out, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("read the config file: %w", err)
	}
	var cfg auditConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return out, usageError("the config file %s is not valid: %v", path, err)
	}
	for role, v := range cfg.MaxAge {
		if out.maxAge[role], err = fleet.ParseAge(v); err != nil {
			return out, usageError("max_age of %s in %s: %v", role, path, err)
		}
	}
	def := actions.DefaultStrategy().Health
	for role, v := range cfg.Health {
		if out.checks[role], err = actions.ParseHealth(v, def); err != nil {
			return out, usageError("health of %s in %s: %v", role, path, err)
		}
	}
	return out, nil
}

// auditFlags are the flags of the audit that status, plan and apply share.
type auditFlags struct {
	maxAge      string
	driftWindow string
	probe       bool
}

func addAuditFlags(f *pflag.FlagSet, o *auditFlags, withProbe bool) {
	f.StringVar(&o.maxAge, "max-age", "", "maximum lifetime of every role's servers (for example 60d), over the config file's max_age")
	f.StringVar(&o.driftWindow, "drift-window", fleet.FormatAge(fleet.DefaultDriftWindow), "how far back the first audit of an account reads its action feed for drift; 0 skips the drift audit")
	if withProbe {
		f.BoolVar(&o.probe, "probe", false, "probe the servers of roles with a health check in the config file, once")
	}
}

// window is --drift-window: 0 when the drift audit is off.
func (o auditFlags) window() (time.Duration, error) {
	switch o.driftWindow {
	case "0", "off", "none":
		return 0, nil
	case "":
		return fleet.DefaultDriftWindow, nil
	}
	d, err := fleet.ParseAge(o.driftWindow)
	if err != nil {
		return 0, usageError("--drift-window: %v, or 0 to skip the drift audit", err)
	}
	return d, nil
}

// settings merges the config file and the flags: --max-age applies to every role.
func (o auditFlags) settings() (auditSettings, error) {
	set, err := readAuditConfig()
	if err != nil {
		return set, err
	}
	if o.maxAge != "" {
		d, err := fleet.ParseAge(o.maxAge)
		if err != nil {
			return set, usageError("--max-age: %v", err)
		}
		set.maxAge = map[string]time.Duration{fleet.AnyRole: d}
	}
	return set, nil
}

// check validates the flags without reading anything.
func (o auditFlags) check() error {
	if _, err := o.window(); err != nil {
		return err
	}
	_, err := o.settings()
	return err
}

// startDrift brings the account's drift log up to date in the background (while the
// fleet is read, so that an audit after the first costs no time), unless
// --drift-window is 0; wait returns the log (nil when off).
func startDrift(ctx context.Context, s *session, o auditFlags) (wait func() (*fleet.DriftLog, error)) {
	window, _ := o.window()
	if window <= 0 {
		return func() (*fleet.DriftLog, error) { return nil, nil }
	}
	type result struct {
		log *fleet.DriftLog
		err error
	}
	done := make(chan result, 1)
	go func() {
		log, err := readDrift(ctx, s, window)
		done <- result{log, err}
	}()
	return func() (*fleet.DriftLog, error) {
		r := <-done
		return r.log, r.err
	}
}

// audit runs the immutability audit of spread: the drift log (nil when not read), the
// maximum ages, and a probe of each role's health check when probe is set.
func audit(ctx context.Context, s *session, spread *fleet.Spread, o auditFlags, drift *fleet.DriftLog, probe bool) (*fleet.Audit, error) {
	set, err := o.settings()
	if err != nil {
		return nil, err
	}
	opt := fleet.AuditOptions{MaxAge: set.maxAge, Drift: drift}
	if probe {
		opt.Health = probeFleet(ctx, s, spread, set.checks)
	}
	return spread.Audit(opt), nil
}

// readDrift brings the account's drift log up to date, saying on stderr when the rate
// limit holds it back.
func readDrift(ctx context.Context, s *session, window time.Duration) (*fleet.DriftLog, error) {
	ctx = fleet.WithWaitNotice(ctx, func(d time.Duration) {
		fmt.Fprintf(s.stderr, "molt: rate limited by the API; waiting %s before reading more of the action feed\n", d.Round(time.Second))
	})
	return readDriftQuietly(ctx, s, window, nil)
}

// readDriftQuietly is readDrift without the notice on stderr, for the cockpit, which
// owns the terminal; first, when set, is the feed's newest page as the cockpit's fleet
// read just read it.
func readDriftQuietly(ctx context.Context, s *session, window time.Duration, first []godo.Action) (*fleet.DriftLog, error) {
	dir, err := s.accountDir(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	log, r, err := fleet.ReadDrift(ctx, s.Client, fleet.DriftOptions{Dir: dir, Window: window, Logf: s.logf, FirstPage: first})
	if err != nil {
		return nil, fmt.Errorf("%w (--drift-window 0 skips the drift audit)", s.explain(err))
	}
	how := "the actions since the last audit"
	if r.Fresh {
		how = "the first audit of this account, back " + fleet.FormatAge(window)
	}
	if r.Shared {
		how += ", the newest page as the fleet read read it"
	}
	s.logf("drift: read %d actions in %d pages of the action feed (%s) in %s", r.Actions, r.Pages, how, time.Since(start).Round(time.Millisecond))
	return log, nil
}

// probeFleet probes the servers of the roles with a health check, once, and says so
// when no role has one.
func probeFleet(ctx context.Context, s *session, spread *fleet.Spread, checks map[string]actions.HealthCheck) map[int]fleet.Health {
	if len(checks) == 0 {
		fmt.Fprintln(s.stderr, "molt: nothing to probe: no role has a health check in the config file (health: {web: http:8080/healthz})")
		return map[int]fleet.Health{}
	}
	start := time.Now()
	out := actions.ProbeFleet(ctx, spread.Servers(), actions.FleetProbeOptions{Checks: checks, Roles: spread.Options})
	s.logf("probed %d servers in %s", len(out), time.Since(start).Round(time.Millisecond))
	return out
}

// driftWords says how far back drift is known, for people.
func driftWords(a *fleet.Audit) string {
	switch {
	case a.Options.Drift == nil:
		return "drift: not read (--drift-window 0)"
	case a.Options.Drift.Complete:
		return "drift: every change in the account's action feed (since " + a.DriftFrom.UTC().Format(time.DateOnly) + ")"
	}
	return "drift: changes since " + a.DriftFrom.UTC().Format(time.DateOnly) +
		" (as far back as the account's first audit read its action feed; older changes are not seen)"
}

// maxAgeWords says each role's maximum lifetime, for people.
func maxAgeWords(a *fleet.Audit) string {
	if len(a.Options.MaxAge) == 0 {
		return "max age: none (--max-age, or max_age in the config file)"
	}
	roles := slices.Sorted(maps.Keys(a.Options.MaxAge))
	var parts []string
	for _, role := range roles {
		if role != fleet.AnyRole {
			parts = append(parts, role+" "+fleet.FormatAge(a.Options.MaxAge[role]))
		}
	}
	if d, ok := a.Options.MaxAge[fleet.AnyRole]; ok && len(parts) > 0 {
		parts = append(parts, "others "+fleet.FormatAge(d))
	} else if ok {
		parts = append(parts, "every role "+fleet.FormatAge(d))
	}
	return "max age: " + strings.Join(parts, ", ")
}
