package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
	"github.com/spf13/cobra"
)

// `molt plan --pool NAME` and `molt apply --pool NAME`: roll a droplet autoscale pool
// onto --to. The pool replaces its members itself; molt changes its template, checks
// each new member and puts the template back when one fails (docs/engine.md).

// demoPoolMinute is a minute of the embedded simulator's pools: its api pool's
// 10-minute cooldown lasts 10 seconds, so that the demo rolls it in about 74 seconds.
const demoPoolMinute = time.Second

// poolOptions are the flags of a pool rollout besides those plan and apply share.
type poolOptions struct {
	name   string
	minute time.Duration
}

func addPoolFlags(cmd *cobra.Command, o *poolOptions) {
	cmd.Flags().StringVar(&o.name, "pool", "", "roll this droplet autoscale pool onto --to: update its template, then check each member the pool replaces")
	cmd.Flags().DurationVar(&o.minute, "pool-minute", time.Minute, "how long a minute of the pool's timings lasts (a simulator's can be shorter)")
	_ = cmd.Flags().MarkHidden("pool-minute")
}

// dropletOnly are the flags that mean nothing to a pool, which makes, hands over and
// retires its members itself, one at a time.
var dropletOnly = []string{"tag", "region", "name", "older-than", "drifted", "unhealthy", "pets", "max-age", "drift-window",
	"surge", "canary", "pause", "min-ready", "drain", "max-failures", "retire", "lb", "reserved-ip", "move-volumes", "keep-failed",
	"user-data", "ssh-key", "settle"}

// checkPool validates the flags of a pool rollout; every failure is a usage error.
func (o poolOptions) check(cmd *cobra.Command, po planOptions) error {
	for _, f := range dropletOnly {
		if !cmd.Flags().Changed(f) {
			continue
		}
		switch f {
		case "tag", "region", "name", "older-than", "drifted", "unhealthy", "pets", "max-age", "drift-window":
			return usageError("--pool rolls every member of the pool; it takes no --%s", f)
		case "pause":
			return usageError("--pause does not apply to a pool: nothing in DigitalOcean's API holds a pool's replacement (see docs/engine.md)")
		case "drain":
			return usageError("--drain does not apply to a pool: the pool retires its members itself (shut down, destroyed a minute later)")
		case "settle":
			return usageError("--settle does not apply to a pool: molt creates no droplet in a pool rollout, the pool does")
		}
		return usageError("--%s does not apply to a pool: the pool makes, hands over and retires its members itself, one at a time", f)
	}
	switch {
	case po.onFailure == string(actions.OnFailurePause):
		return usageError("--on-failure pause cannot apply to a pool: nothing can hold its replacement, so a failed check puts the template back")
	case o.minute <= 0:
		return usageError("--pool-minute must be positive, not %s", o.minute)
	case po.to == "":
		return usageError("name the image to roll pool %s onto with --to (an image ID or name)", o.name)
	case po.to == toCurrent:
		return usageError("--to current does not apply to a pool: its members are made from one template; name the image to roll pool %s onto", o.name)
	case po.output != "text" && po.output != "json":
		return usageError("-o: unknown output %q: use text or json", po.output)
	}
	return nil
}

// minuteFor is a minute of the session's pools: the flag's, or the embedded simulator's.
func (o poolOptions) minuteFor(cmd *cobra.Command, s *session) time.Duration {
	if s.Sim != nil && !cmd.Flags().Changed("pool-minute") {
		return demoPoolMinute
	}
	return o.minute
}

// buildPoolPlan resolves the target and plans the pool's rollout. A pool another rollout
// holds is exit 5.
func buildPoolPlan(ctx context.Context, cmd *cobra.Command, s *session, po planOptions, o poolOptions) (actions.PoolPlan, error) {
	st, err := po.strategy()
	if err != nil {
		return actions.PoolPlan{}, err
	}
	target, err := actions.ResolveImage(ctx, s.Client, po.to)
	if err != nil {
		return actions.PoolPlan{}, s.explain(err)
	}
	in, err := actions.GatherPool(ctx, s.Client, o.name, target, st, o.minuteFor(cmd, s))
	if err != nil {
		return actions.PoolPlan{}, s.explain(err)
	}
	p, err := actions.NewPoolPlan(in)
	var le *actions.LockedError
	if errors.As(err, &le) {
		return p, &exitError{code: ExitLocked, err: fmt.Errorf("pool %s is rolling already: %w", o.name, err)}
	}
	return p, err
}

func (a *app) runPoolPlan(cmd *cobra.Command, po planOptions, o poolOptions) error {
	if err := o.check(cmd, po); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := a.connect(ctx, cmd, connectOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := buildPoolPlan(ctx, cmd, s, po, o)
	if err != nil {
		return err
	}
	if po.output == "json" {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			return err
		}
	} else if _, err := io.WriteString(cmd.OutOrStdout(), poolPlanText(p)); err != nil {
		return err
	}
	return refusedPool(p)
}

// refusedPool turns a pool plan whose target trips guards the flags do not allow into
// exit 1.
func refusedPool(p actions.PoolPlan) error {
	if err := p.Refusal(); err != nil {
		return &exitError{code: ExitError, err: err}
	}
	return nil
}

func (a *app) runPoolApply(cmd *cobra.Command, po planOptions, o poolOptions, yes bool, pollMin time.Duration) error {
	if err := o.check(cmd, po); err != nil {
		return err
	}
	if !yes && !a.canAsk(cmd) {
		return usageError("not on a terminal: pass --yes to roll the pool without confirming")
	}
	ctx, s, done, err := a.connectToChange(cmd)
	if err != nil {
		return err
	}
	defer done()
	p, err := buildPoolPlan(ctx, cmd, s, po, o)
	if err != nil {
		return err
	}
	if p.Replaced == 0 {
		fmt.Fprint(cmd.OutOrStdout(), poolPlanText(p))
		return nil
	}
	if err := refusedPool(p); err != nil {
		if po.output != "json" {
			fmt.Fprint(cmd.OutOrStdout(), poolPlanText(p))
		}
		return err
	}
	if !yes {
		if err := newPrompter(cmd).confirm(poolPlanText(p), p.Pool.Name, "roll this pool"); err != nil {
			return err
		}
	}
	x, err := actions.StartPool(s.Client, p, engineOptions(s, pollMin, 0))
	if err != nil {
		return err
	}
	return drivePool(ctx, cmd, x, po.output == "json", s.verbose)
}

// drivePool runs a pool rollout to its end, printing one line per event, and turns the
// outcome into an exit code as apply does. Nothing is asked on the way: a pool rollout
// has no checkpoint, and nothing can hold the pool.
func drivePool(ctx context.Context, cmd *cobra.Command, x *actions.PoolRollout, json, verbose bool) error {
	events, leave := x.Subscribe()
	defer leave()
	var wg sync.WaitGroup
	wg.Go(func() {
		p := &printer{w: cmd.OutOrStdout(), plan: x.Plan(), json: json, verbose: verbose}
		for ev := range events {
			p.print(ev)
		}
	})
	err := x.Run(ctx)
	wg.Wait()
	switch {
	case errors.Is(err, actions.ErrInterrupted):
		return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted: the pool goes on without molt's health check; resume with `molt resume %s`", x.ID())}
	case errors.Is(err, actions.ErrAborted) && !errors.As(err, new(*actions.LockedError)):
		return &exitError{code: ExitError, err: fmt.Errorf("rollout %s was aborted: %v", x.ID(), err)}
	}
	return outcome(x.ID(), err, nil)
}

// resumePool continues a pool rollout from its journal, on the account here (checked).
func (a *app) resumePool(ctx context.Context, cmd *cobra.Command, s *session, sum actions.Summary, here fleet.Account, output string, pollMin time.Duration) error {
	opt := engineOptions(s, pollMin, 0)
	opt.Account = &here
	x, err := actions.ResumePool(s.Client, sum.Path, opt)
	if err != nil {
		return engineError(err)
	}
	return drivePool(ctx, cmd, x, output == "json", s.verbose)
}

// rollbackPool puts a pool rollout's previous image back in the template and watches the
// pool return to it.
func (a *app) rollbackPool(ctx context.Context, cmd *cobra.Command, s *session, ask *prompter, sum actions.Summary, here fleet.Account,
	output string, yes bool, pollMin time.Duration) error {
	if !yes {
		shown := fmt.Sprintf("Roll back rollout %s (pool %s, %s -> %s, %s): put %s back in the pool's template; the pool then\nreplaces its members onto it, one at a time, a cooldown apart.\n",
			sum.ID, sum.Pool, sum.FromText(), sum.To, strings.ReplaceAll(string(sum.State), "_", " "), poolSource(sum))
		if err := ask.confirm(shown, sum.ID, "roll back"); err != nil {
			return err
		}
	}
	opt := engineOptions(s, pollMin, 0)
	opt.Account = &here
	x, err := actions.RollbackPool(s.Client, sum.Path, opt)
	if err != nil {
		return engineError(err)
	}
	err = drivePool(ctx, cmd, x, output == "json", s.verbose)
	if ee, ok := err.(*exitError); ok && ee.code == ExitRolledBack {
		fmt.Fprintf(cmd.OutOrStdout(), "Rollout %s is rolled back.\n", sum.ID)
		return nil // rolling back is what was asked
	}
	return err
}

// poolSource is the image a pool rollout rolls back to, as its summary has it.
func poolSource(sum actions.Summary) string {
	for name := range sum.From {
		return name
	}
	return "the previous image"
}
