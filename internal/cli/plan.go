package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// planOptions are the flags plan and apply share: the selection, the target and the
// strategy.
type planOptions struct {
	sel               fleet.Selection
	to                string
	surge, canary     int
	pause, health     string
	healthTimeout     time.Duration
	healthInterval    time.Duration
	healthyThreshold  int
	failThreshold     int
	grace, minReady   time.Duration
	drain             time.Duration
	activeTimeout     time.Duration
	maxFailures       int
	onFailure, retire string
	lb, reservedIP    string
	moveVolumes       bool
	keepFailed        bool
	userData          string
	sshKeys           []string
	allowOtherRole    bool
	allowDowngrade    bool
	output            string
	rules             pickRules
	audit             auditFlags
}

func addPlanFlags(f *pflag.FlagSet, o *planOptions) {
	def := actions.DefaultStrategy()
	f.StringVar(&o.sel.Tag, "tag", "", "select droplets with this tag (for example role:web)")
	f.StringVar(&o.sel.Region, "region", "", "select droplets in this region (for example nyc3)")
	f.StringVar(&o.sel.Name, "name", "", "select droplets whose name matches this glob (for example 'web-*')")
	f.StringVar(&o.to, "to", "", "the target image, by ID or name, or current: the image each server runs (required)")
	f.IntVar(&o.surge, "surge", def.Surge, "replacements in flight at once")
	f.IntVar(&o.canary, "canary", 0, "replace this many first, then stop at a checkpoint")
	f.StringVar(&o.pause, "pause", "none", "between waves: manual, none, or a duration such as 5m")
	f.StringVar(&o.health, "health", def.Health.String(), "health check of new droplets: http:PORT/PATH, tcp:PORT or none")
	f.DurationVar(&o.healthTimeout, "health-timeout", def.Health.Timeout.D(), "how long a new droplet has to pass its health check")
	f.DurationVar(&o.healthInterval, "health-interval", def.Health.Interval.D(), "time between health probes")
	f.IntVar(&o.healthyThreshold, "healthy-threshold", def.Health.Threshold, "passing health probes in a row needed")
	f.IntVar(&o.failThreshold, "unhealthy-threshold", def.Health.FailThreshold, "fail at once after this many HTTP error answers in a row (0: wait for --health-timeout)")
	f.DurationVar(&o.grace, "grace", 0, "wait after a droplet turns active before probing it")
	f.DurationVar(&o.minReady, "min-ready", 0, "soak in service this long before retiring the old droplet")
	f.DurationVar(&o.drain, "drain", def.Drain.D(), "leave a droplet that left its load balancers or reserved IP running this long before it goes (0: none)")
	f.DurationVar(&o.activeTimeout, "active-timeout", def.ActiveTimeout.D(), "fail a new droplet still \"new\" after this long")
	f.IntVar(&o.maxFailures, "max-failures", 0, "failed replacements tolerated before --on-failure applies")
	f.StringVar(&o.onFailure, "on-failure", string(def.OnFailure), "past --max-failures: rollback or pause")
	f.StringVar(&o.retire, "retire", "destroy", "old droplets: destroy, keep or keep=TTL (powered off, for a fast rollback)")
	f.StringVar(&o.lb, "lb", "auto", "hand over load balancers: auto or none")
	f.StringVar(&o.reservedIP, "reserved-ip", "auto", "move reserved IPs: auto or none")
	f.BoolVar(&o.moveVolumes, "move-volumes", false, "move attached volumes to the new droplets (else such servers are skipped)")
	f.BoolVar(&o.keepFailed, "keep-failed", false, "keep a new droplet that failed, for inspection, instead of destroying it")
	f.StringVar(&o.userData, "user-data", "", "user data `FILE` for the new droplets (DigitalOcean never returns the old one's)")
	f.StringArrayVar(&o.sshKeys, "ssh-key", nil, "SSH key ID or fingerprint for the new droplets (repeatable)")
	f.BoolVar(&o.allowOtherRole, "allow-other-role", false, "allow a target image named for another role than the servers', or one image for servers of several roles")
	f.BoolVar(&o.allowDowngrade, "allow-downgrade", false, "allow a target image older than what servers run")
	f.StringVarP(&o.output, "output", "o", "text", "output: text or json")
	addPickFlags(f, &o.rules)
	addAuditFlags(f, &o.audit, false)
}

func (a *app) planCmd() *cobra.Command {
	var o planOptions
	var po poolOptions
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show how a replacement would go, changing nothing",
		Long: "Plan the replacement of the selected droplets onto a new image: the waves, the servers\n" +
			"skipped and why, the time and API calls it should take, and what to look out for.\n" +
			"Nothing changes. `molt apply` with the same flags carries the plan out.\n\n" +
			"A target image named for another role than the servers' (or one image for several\n" +
			"roles), or older than what a server runs, is refused (exit 1) after the plan is shown,\n" +
			"unless --allow-other-role or --allow-downgrade says it is meant.",
		Example: "  molt plan --tag role:web --to web-1.6.0\n  molt plan --tag role:web --to web-1.6.0 --surge 4 --canary 1 -o json\n" +
			"  molt plan --tag role:web --drifted --to current\n  molt plan --pool api --to api-1.1.0",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if po.name != "" {
				return a.runPoolPlan(cmd, o, po)
			}
			if err := o.check(); err != nil { // before the embedded demo says it starts
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			s, err := a.connect(ctx, cmd, connectOptions{})
			if err != nil {
				return err
			}
			defer s.Close()
			p, err := buildPlan(ctx, s, o)
			if err != nil {
				return err
			}
			if err := writePlan(cmd.OutOrStdout(), o.output, p); err != nil {
				return err
			}
			return refused(p)
		},
	}
	addPlanFlags(cmd.Flags(), &o)
	addPoolFlags(cmd, &po)
	return cmd
}

// strategy turns the flags into a Strategy; every failure is a usage error.
func (o planOptions) strategy() (actions.Strategy, error) {
	st := actions.DefaultStrategy()
	var err error
	if st.Pause, err = actions.ParsePause(o.pause); err != nil {
		return st, usageError("%v", err)
	}
	if st.Health, err = actions.ParseHealth(o.health, st.Health); err != nil {
		return st, usageError("%v", err)
	}
	if st.Retire, err = actions.ParseRetire(o.retire); err != nil {
		return st, usageError("%v", err)
	}
	st.Surge, st.Canary, st.MaxFailures, st.OnFailure = o.surge, o.canary, o.maxFailures, actions.FailurePolicy(o.onFailure)
	st.Health.Timeout, st.Health.Threshold, st.Health.Grace = actions.Duration(o.healthTimeout), o.healthyThreshold, actions.Duration(o.grace)
	st.Health.Interval, st.Health.FailThreshold = actions.Duration(o.healthInterval), o.failThreshold
	st.MinReady, st.ActiveTimeout, st.Drain = actions.Duration(o.minReady), actions.Duration(o.activeTimeout), actions.Duration(o.drain)
	st.AllowOtherRole, st.AllowDowngrade = o.allowOtherRole, o.allowDowngrade
	st.LB, st.ReservedIP, st.MoveVolumes, st.KeepFailed = actions.HandoverMode(o.lb), actions.HandoverMode(o.reservedIP), o.moveVolumes, o.keepFailed
	if st.Launch, err = o.launch(); err != nil {
		return st, err
	}
	if err := st.Validate(); err != nil {
		return st, usageError("%v", err)
	}
	return st, nil
}

// launch reads --user-data and --ssh-key. The user data goes to the API only: the
// journal keeps its path and hash.
func (o planOptions) launch() (actions.Launch, error) {
	l := actions.Launch{SSHKeys: o.sshKeys}
	if o.userData != "" {
		data, err := os.ReadFile(o.userData)
		if err != nil {
			return l, usageError("cannot read --user-data: %v", err)
		}
		if len(data) > actions.MaxUserData {
			return l, usageError("--user-data %s is %d bytes, more than the 64 KiB (%d bytes) DigitalOcean takes", o.userData, len(data), actions.MaxUserData)
		}
		sum := sha256.Sum256(data)
		l.UserData, l.UserDataPath, l.UserDataHash = string(data), o.userData, hex.EncodeToString(sum[:])
	}
	if o.userData != "" || len(o.sshKeys) > 0 {
		l.Source = "flags"
	}
	return l, nil
}

// check validates what needs no API.
func (o planOptions) check() error {
	if o.to == "" {
		return usageError("name the target image with --to (an image ID or name)")
	}
	if o.output != "text" && o.output != "json" {
		return usageError("-o: unknown output %q: use text or json", o.output)
	}
	if err := o.sel.Validate(); err != nil {
		return usageError("%v", err)
	}
	if err := o.rules.check(o.to); err != nil {
		return err
	}
	if err := o.audit.check(); err != nil {
		return err
	}
	if set, _ := o.audit.settings(); o.rules.unhealthy && o.health == "none" && len(set.checks) == 0 {
		return usageError("--unhealthy needs a health check: --health, or health in the config file")
	}
	if window, _ := o.audit.window(); o.rules.drifted && window <= 0 {
		return usageError("--drifted needs the action feed: leave --drift-window above 0")
	}
	return nil
}

// selectionName is how the operator names the selection, and what apply asks them to type.
func selectionName(sel fleet.Selection) string {
	var parts []string
	for _, p := range []string{sel.Tag, sel.Region, sel.Name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, " ")
}

// buildPlan loads the selection, resolves the target and plans. A selection locked by
// another rollout is exit 5.
func buildPlan(ctx context.Context, s *session, o planOptions) (actions.Plan, error) {
	if err := o.check(); err != nil {
		return actions.Plan{}, err
	}
	st, err := o.strategy()
	if err != nil {
		return actions.Plan{}, err
	}
	servers, err := loadFleet(ctx, s, o.sel.Tag)
	if err != nil {
		return actions.Plan{}, err
	}
	s.recordRead(ctx, servers, fleet.Options{}, o.sel.Tag) // the spread history (history.go)
	selected := o.sel.Select(servers)
	if len(selected) == 0 {
		return actions.Plan{}, fmt.Errorf("no droplet matches the selection %q", selectionName(o.sel))
	}
	pick, err := o.pick(ctx, s, selected, st)
	if err != nil {
		return actions.Plan{}, err
	}
	if st.Launch.Source == "" && len(pick.servers) > 0 {
		if st.Launch, err = launchTemplate(pick.servers); err != nil {
			return actions.Plan{}, err
		}
	}
	target, err := o.target(ctx, s)
	if err != nil {
		return actions.Plan{}, err
	}
	in := actions.PlanInput{Selection: o.name(), Target: target, Strategy: st}
	if len(pick.servers) > 0 { // nothing picked: an empty plan, with nothing to read for it
		if in, err = actions.Gather(ctx, s.Client, o.name(), pick.servers, target, st); err != nil {
			return actions.Plan{}, s.explain(err)
		}
	}
	s.learnAccount(in.Owner)
	in.SameImage, in.Picked = o.to == toCurrent, pick.why
	p, err := actions.NewPlan(in)
	var le *actions.LockedError
	if errors.As(err, &le) {
		if swept := sweepEnded(ctx, s, le.Rollout); swept {
			return buildPlan(ctx, s, o) // what was left behind is gone: plan again
		}
		return p, &exitError{code: ExitLocked, err: lockedAdvice(le)}
	}
	return p, err
}

// refused turns a plan whose target trips guards the flags do not allow into exit 1.
func refused(p actions.Plan) error {
	if err := p.Refusal(); err != nil {
		return &exitError{code: ExitError, err: err}
	}
	return nil
}

// sweepEnded destroys what the creates of an ended rollout (journaled here) left locked
// after its end, and says so; it reports whether it destroyed anything.
func sweepEnded(ctx context.Context, s *session, id string) bool {
	dir, err := actions.DefaultDir()
	if err != nil || s.Sim != nil {
		return false
	}
	if _, err := os.Stat(actions.JournalPath(dir, id)); err != nil {
		return false
	}
	n, err := actions.SweepEnded(ctx, s.Client, id, actions.Options{Dir: dir, Version: s.version})
	if err != nil || n == 0 {
		return false
	}
	fmt.Fprintf(s.stderr, "molt: rollout %s had ended; destroyed %d droplets its creates made after its end, which carried its lock\n", id, n)
	return true
}

// lockedAdvice is the refusal of a locked selection, with what to do when the locking
// rollout's journal is not on this machine.
func lockedAdvice(le *actions.LockedError) error {
	dir, err := actions.DefaultDir()
	if err == nil {
		if _, err := os.Stat(actions.JournalPath(dir, le.Rollout)); err == nil {
			return le
		}
	}
	return fmt.Errorf("%w (its journal is not on this machine: rebuild it from the cloud with `molt recover %s`, or lift the lock with `molt unlock %s`)",
		le, le.Rollout, le.Rollout)
}

func writePlan(w io.Writer, output string, p actions.Plan) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	_, err := io.WriteString(w, planText(p))
	return err
}

// planText renders a plan for people: the waves, what is skipped, the estimate, warnings.
func planText(p actions.Plan) string {
	var b strings.Builder
	n := len(p.Replacements())
	if n+len(p.Skipped) == 0 {
		return fmt.Sprintf("No server of the selection (%s) is picked.\n", p.Selection)
	}
	fmt.Fprintf(&b, "Replace %d of %d selected servers (%s) with %s", n, n+len(p.Skipped), p.Selection, p.Target.Name)
	fmt.Fprintf(&b, " in %d waves (surge %d", len(p.Waves), p.Strategy.Surge)
	if p.Strategy.Canary > 0 {
		fmt.Fprintf(&b, ", canary %d", p.Strategy.Canary)
	}
	fmt.Fprintf(&b, ", retire %s, health %s", p.Strategy.Retire, p.Strategy.Health)
	if p.Strategy.Drain > 0 {
		fmt.Fprintf(&b, ", drain %s", p.Strategy.Drain)
	}
	b.WriteString(").\n")
	if p.Account != nil {
		fmt.Fprintf(&b, "Account: %s.\n", p.Account)
	}
	for _, w := range p.Waves {
		label := fmt.Sprintf("wave %d", w.Index+1)
		if w.Canary {
			label += " (canary)"
		}
		fmt.Fprintf(&b, "  %-18s %s\n", label, waveNames(w))
	}
	b.WriteString(pickedText(p))
	for _, s := range p.Skipped {
		fmt.Fprintf(&b, "  skip %-13s %s\n", s.Server.Name, s.Reason)
	}
	e := p.Estimate
	fmt.Fprintf(&b, "Estimate: about %s and %d API calls", e.Duration.D().Round(time.Second), e.APICalls)
	if e.RateRemaining > 0 {
		fmt.Fprintf(&b, " (%d remain this hour)", e.RateRemaining)
	}
	if e.ManualPauses > 0 {
		fmt.Fprintf(&b, ", plus %d manual checkpoints", e.ManualPauses)
	}
	b.WriteString(".\n" + planCostText(p))
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "Warning: %s.\n", w)
	}
	for _, g := range p.Guards {
		b.WriteString(guardText(g))
	}
	return b.String()
}

// guardText says which servers trip a guard, and whether the flags allow it.
func guardText(g actions.Guard) string {
	verdict := "Refused unless " + g.Flag
	if g.Allowed {
		verdict = "Allowed by " + g.Flag
	}
	return fmt.Sprintf("%s: %s: %s.\n", verdict, g.Message, listNames(g.Servers, 5))
}

// listNames lists the first names and how many more there are.
func listNames(names []string, most int) string {
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
}

func waveNames(w actions.Wave) string {
	var names []string
	for _, r := range w.Replacements {
		names = append(names, fmt.Sprintf("%s (%s)", r.Old.Name, r.Old.Image.Name))
	}
	return strings.Join(names, ", ")
}

// pickedText says which rule picked each server, when rules did.
func pickedText(p actions.Plan) string {
	var b strings.Builder
	for _, r := range p.Replacements() {
		if r.Picked != "" {
			fmt.Fprintf(&b, "  pick %-13s %s\n", r.Old.Name, r.Picked)
		}
	}
	return b.String()
}
