package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
	"github.com/spf13/pflag"
)

// toCurrent is the --to that replaces each server onto the image it runs. An image
// really named "current" is given by its ID.
const toCurrent = "current"

// pickRules are the selection flags that pick servers by the audit's findings, after
// --tag, --region and --name: a server is picked when any rule picks it.
type pickRules struct {
	olderThan string
	drifted   bool
	unhealthy bool
	pets      bool
}

func addPickFlags(f *pflag.FlagSet, r *pickRules) {
	f.StringVar(&r.olderThan, "older-than", "", "pick servers created longer ago than this (for example 30d)")
	f.BoolVar(&r.drifted, "drifted", false, "pick servers changed in place since they were created (from the account's action feed)")
	f.BoolVar(&r.unhealthy, "unhealthy", false, "pick servers whose health check fails now (their role's from the config file, else --health)")
	f.BoolVar(&r.pets, "pets", false, "pick pets: servers built from a distribution image and never replaced, or without a role tag (needs --to IMAGE)")
}

// any reports whether a rule is set.
func (r pickRules) any() bool { return r.olderThan != "" || r.drifted || r.unhealthy || r.pets }

// words names the rules, as the selection's name carries them.
func (r pickRules) words() []string {
	var out []string
	if r.olderThan != "" {
		out = append(out, "older than "+r.olderThan)
	}
	for _, w := range []struct {
		on   bool
		word string
	}{{r.drifted, "drifted"}, {r.unhealthy, "unhealthy"}, {r.pets, "pets"}} {
		if w.on {
			out = append(out, w.word)
		}
	}
	return out
}

// check validates the rules against the target; every failure is a usage error.
func (r pickRules) check(to string) error {
	if r.olderThan != "" {
		if _, err := fleet.ParseAge(r.olderThan); err != nil {
			return usageError("--older-than: %v", err)
		}
	}
	if r.pets && to == toCurrent {
		return usageError("--pets needs --to IMAGE: a pet runs a distribution image, not an image of its own to keep")
	}
	return nil
}

// picked is what the rules picked: the servers, and why each, by droplet ID.
type picked struct {
	servers []fleet.Server
	why     map[int]string
}

// pick keeps the servers a rule picks, saying which rule picked each; without rules it
// keeps them all. --drifted reads the account's action feed, --unhealthy probes.
func (o planOptions) pick(ctx context.Context, s *session, servers []fleet.Server, st actions.Strategy) (picked, error) {
	r := o.rules
	if !r.any() {
		return picked{servers: servers}, nil
	}
	spread := fleet.NewSpread(servers, fleet.Options{})
	a, err := o.findings(ctx, s, spread, st)
	if err != nil {
		return picked{}, err
	}
	older, _ := fleet.ParseAge(r.olderThan)
	out := picked{why: map[int]string{}}
	for _, srv := range servers {
		var reasons []string
		if older > 0 && !srv.CreatedAt.IsZero() && spread.At.Sub(srv.CreatedAt) > older {
			reasons = append(reasons, fmt.Sprintf("older than %s (%d days)", r.olderThan, srv.AgeDays(spread.At)))
		}
		for _, f := range a.Of(srv.ID) {
			if r.drifted && f.Kind == fleet.Drifted || r.unhealthy && f.Kind == fleet.Unhealthy || r.pets && f.Kind == fleet.Pet {
				reasons = append(reasons, findingWords[f.Kind]+": "+f.Detail)
			}
		}
		if len(reasons) > 0 {
			out.servers = append(out.servers, srv)
			out.why[srv.ID] = strings.Join(reasons, "; ")
		}
	}
	return out, nil
}

// findings audits the spread for what the rules need: drift for --drifted, a probe for
// --unhealthy (each role's health check from the config file, else the rollout's).
func (o planOptions) findings(ctx context.Context, s *session, spread *fleet.Spread, st actions.Strategy) (*fleet.Audit, error) {
	opt := fleet.AuditOptions{}
	if o.rules.drifted { // check() refused a --drift-window of 0
		window, _ := o.audit.window()
		var err error
		if opt.Drift, err = readDrift(ctx, s, window); err != nil {
			return nil, err
		}
	}
	if o.rules.unhealthy {
		set, err := o.audit.settings()
		if err != nil {
			return nil, err
		}
		checks := map[string]actions.HealthCheck{}
		for _, rs := range spread.Roles {
			if c, ok := set.checks[rs.Role]; ok {
				checks[rs.Role] = c
			} else if st.Health.Kind != actions.HealthNone {
				checks[rs.Role] = st.Health
			}
		}
		if len(checks) == 0 {
			return nil, usageError("--unhealthy needs a health check: --health, or health in the config file")
		}
		start := time.Now()
		opt.Health = actions.ProbeFleet(ctx, spread.Servers(), actions.FleetProbeOptions{Checks: checks, Roles: spread.Options})
		s.logf("probed %d servers in %s", len(opt.Health), time.Since(start).Round(time.Millisecond))
	}
	return spread.Audit(opt), nil
}

// name is the selection's name with its rules: what the plan calls it, and what apply
// asks the operator to type.
func (o planOptions) name() string {
	return strings.Join(append([]string{selectionName(o.sel)}, o.rules.words()...), " ")
}

// target resolves --to: an image, or CurrentImage for --to current.
func (o planOptions) target(ctx context.Context, s *session) (fleet.Version, error) {
	if o.to == toCurrent {
		return actions.CurrentImage, nil
	}
	t, err := actions.ResolveImage(ctx, s.Client, o.to)
	return t, s.explain(err)
}
