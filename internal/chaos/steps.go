package chaos

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/molt-sh/molt/actions"
)

// settle is the --settle of every run, where molt has it: longer than most late
// creates take to land, shorter than some, so that both the wait and the later sweep
// are exercised.
const settle = "3s"

// eventsPerReplacement is about how many -o json events a replacement prints; event
// triggers are a fraction of that.
const eventsPerReplacement = 15

// chaos runs the scenario's steps in order: a step waits for the commands before it,
// unless it joins the previous one or starts when the previous one reaches a point.
func (r *run) chaos(ctx context.Context) {
	var prev *command
	var running []*command
	for _, st := range r.sc.Steps {
		if !st.Join && st.During == nil {
			r.awaitAll(ctx, running)
			running = nil
		}
		if st.During != nil && prev != nil && !r.reach(ctx, prev, *st.During) {
			r.note("%s ended before %s: step %q not taken", prev.p.name, st.During, st.Do)
			continue
		}
		c, err := r.step(ctx, st, prev)
		if err == errSkip {
			return
		}
		if err != nil {
			r.note("step %s: %v", st, err)
			continue
		}
		if c != nil {
			running = append(running, c)
			prev = c
		}
	}
	r.awaitAll(ctx, running)
}

// step does one step; for a command it returns it, running.
func (r *run) step(ctx context.Context, st Step, prev *command) (*command, error) {
	switch st.Do {
	case "tear", "damage", "zero", "lose":
		return nil, r.damage(st, prev)
	case "fill":
		return nil, r.fill()
	case "free":
		return nil, r.free()
	case "look":
		r.look(ctx)
		return nil, nil
	case "recover", "unlock":
		if !r.cfg.Has[st.Do] {
			r.skipped = fmt.Sprintf("the rest needs `molt %s`, which this build lacks", st.Do)
			return nil, errSkip
		}
	}
	args, err := r.args(st, r.firstRollout(), false)
	if err != nil {
		return nil, err
	}
	c, err := r.startCommand(st, args)
	if err != nil {
		return nil, err
	}
	if c == r.mainApply() {
		r.faultsDuring(ctx, c)
	}
	if st.Stop != nil {
		r.bg.Go(func() { r.interrupt(ctx, c, *st.Stop) })
	}
	return c, nil
}

// args are a command's arguments. finishing adds --yes to resume, which finalises a
// done rollout's kept droplets.
func (r *run) args(st Step, id string, finishing bool) ([]string, error) {
	poll := []string{"-o", "json", "--poll-min", "50ms"}
	if r.cfg.Has["settle"] {
		poll = append(poll, "--settle", settle) // the engine's wait for creates committed late
	}
	var args []string
	switch st.Do {
	case "apply":
		args = append(append(append([]string{"apply"}, r.sc.Selection...), "--to", r.sc.Target), r.strategy()...)
		args = append(append(args, "--yes"), poll...)
	case "apply2":
		args = append(append(append([]string{"apply"}, r.sc.Second...), r.strategy()...), "--yes")
		args = append(args, poll...)
	case "resume":
		args = append([]string{"resume"}, poll...)
		if id != "" {
			args = append(args, id)
		}
		if finishing {
			args = append(args, "--yes")
		}
	case "rollback":
		if id == "" {
			return nil, fmt.Errorf("no rollout to roll back: the first command never said its ID")
		}
		args = append([]string{"rollback", id, "--yes"}, poll...)
	case "recover":
		// The cloud does not keep the plan's strategy: the operator gives it again.
		args = append(append(append([]string{"recover"}, r.sc.Selection...), "--to", r.sc.Target), r.strategy()...)
		if finishing && id != "" {
			args = append(args, id) // the one a command said to rebuild
		}
	case "unlock":
		args = []string{"unlock", id, "--yes"}
	default:
		return nil, fmt.Errorf("unknown step %q", st.Do)
	}
	if r.sc.TokenFlag {
		args = append(args, "--access-token", r.sc.Token)
	}
	return args, nil
}

// strategy are the scenario's strategy flags, with its --drain where molt has the flag.
func (r *run) strategy() []string {
	st := slices.Clone(r.sc.Strategy)
	if r.cfg.Has["drain"] && r.sc.Drain != "" {
		st = append(st, "--drain", r.sc.Drain)
	}
	return st
}

// startCommand starts molt with args in the step's state directory.
func (r *run) startCommand(st Step, args []string) (*command, error) {
	r.mu.Lock()
	n := len(r.cmds)
	r.mu.Unlock()
	name := fmt.Sprintf("%02d-%s", n, st.Do)
	bin, env := r.cfg.Molt, r.env(st.Dir)
	if r.fsize > 0 && st.Do == "apply" && r.mainApply() == nil {
		bin = r.cfg.Wrapper
		env = append(env, envExec+"="+r.cfg.Molt, envFsize+"="+strconv.FormatInt(r.fsize, 10))
	}
	p, err := startProc(name, bin, args, env, r.dir)
	if err != nil {
		return nil, err
	}
	r.track(p)
	c := &command{p: p, step: st}
	if st.Do == "resume" || st.Do == "rollback" || st.Do == "unlock" {
		c.rollout = r.firstRollout()
	}
	c.created, c.records = r.created, 0
	if stats, err := r.sim.stats(context.Background()); err == nil {
		c.created = stats.DropletsCreated
	}
	if c.rollout != "" {
		recs, _ := actions.ReadJournal(journalPath(r.state[st.Dir], c.rollout))
		c.records = len(recs)
	}
	r.mu.Lock()
	r.cmds = append(r.cmds, c)
	r.fig.Commands++
	r.mu.Unlock()
	r.logf("started %s: molt %v", name, redact(args, r.sc.Token))
	return c, nil
}

// mainApply is the scenario's first apply (of its first selection), once started.
func (r *run) mainApply() *command {
	for _, c := range r.commands() {
		if c.step.Do == "apply" {
			return c
		}
	}
	return nil
}

// firstRollout is the rollout of the first apply, once it has said so: the one the
// steps resume, roll back, damage and unlock.
func (r *run) firstRollout() string {
	if c := r.mainApply(); c != nil {
		return c.rolloutOf()
	}
	return ""
}

// baseEnv is what every process gets: a home and config of the run's own, and no
// credentials but the simulator's.
func (r *run) baseEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(r.dir, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(r.dir, "config"), "USER=chaos", "TZ=UTC"}
}

// env is a molt command's environment: the run's state directory dir and the simulator.
func (r *run) env(dir int) []string {
	env := append(r.baseEnv(), "XDG_STATE_HOME="+r.state[dir], "DIGITALOCEAN_API_URL="+r.sim.url)
	if !r.sc.TokenFlag {
		env = append(env, "DIGITALOCEAN_ACCESS_TOKEN="+r.sc.Token)
	}
	return env
}

// faultsDuring adds the rules that come into force when the first command reaches
// their point.
func (r *run) faultsDuring(ctx context.Context, c *command) {
	for i, f := range r.sc.Faults {
		if f.At == nil {
			continue
		}
		r.bg.Go(func() {
			if r.reach(ctx, c, *f.At) {
				if err := r.addFault(ctx, i); err != nil {
					r.note("%v", err)
				}
			}
		})
	}
}

// interrupt sends the signal when the command reaches the point.
func (r *run) interrupt(ctx context.Context, c *command, in Interrupt) {
	if !r.reach(ctx, c, in.At) || !c.p.signal(signals[in.Signal]) {
		r.note("%s ended before %s: not interrupted", c.p.name, in.At)
		r.mu.Lock()
		r.fig.Missed++
		r.mu.Unlock()
		return
	}
	r.mu.Lock()
	c.signal = in.Signal
	if in.Signal == "KILL" {
		r.fig.Kills++
	} else {
		r.fig.Signals["SIG"+in.Signal]++
	}
	r.mu.Unlock()
	r.logf("SIG%s to %s at %s", in.Signal, c.p.name, in.At)
}

// reach waits until the command reaches the point (true), or ends first (false).
func (r *run) reach(ctx context.Context, c *command, t Trigger) bool {
	switch t.Kind {
	case AtEvent:
		n := max(1, int(math.Ceil(t.Frac*float64(r.expectedEvents(c)))))
		return c.p.until(ctx, func(_ []string, evs []event) bool { return len(evs) >= n })
	case AtPhase:
		return c.p.until(ctx, func(_ []string, evs []event) bool {
			k := 0
			for _, ev := range evs {
				if ev.Type == "phase_changed" && ev.Phase == t.Phase {
					k++
				}
			}
			return k >= t.N
		})
	case AtIntent:
		return r.poll(ctx, c, 2*time.Millisecond, func() bool { return r.intents(c, t.Op) >= t.N })
	case AtCreated:
		return r.poll(ctx, c, 5*time.Millisecond, func() bool {
			st, err := r.sim.stats(ctx)
			return err == nil && st.DropletsCreated-c.created >= t.N
		})
	}
	return r.poll(ctx, c, 5*time.Millisecond, func() bool { return r.fired(ctx, t.N) })
}

// expectedEvents is about how many events a command prints: a whole rollout's or,
// when it stops at every wave (--pause manual), a wave's (the canary's for apply).
func (r *run) expectedEvents(c *command) int {
	n := r.plans[0].count
	if c.step.Do == "rollback" {
		return 8*n + 5 // a rollback prints fewer events a replacement
	}
	if slices.Contains(r.sc.Strategy, "manual") {
		n = 1
		if c.step.Do != "apply" {
			n, _ = strconv.Atoi(flagValue(r.sc.Strategy, "--surge"))
		}
	}
	return eventsPerReplacement*max(n, 1) + 10
}

// poll checks cond every tick while the command runs.
func (r *run) poll(ctx context.Context, c *command, every time.Duration, cond func() bool) bool {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		if !c.p.running() {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// intents counts the intent records for op the command has added to its journal.
func (r *run) intents(c *command, op string) int {
	id := c.rolloutOf()
	if id == "" {
		return 0
	}
	recs, _ := actions.ReadJournal(journalPath(r.state[c.step.Dir], id))
	n := 0
	for _, rec := range recs[min(c.records, len(recs)):] {
		if rec.Kind == actions.KindIntent && string(rec.Op) == op {
			n++
		}
	}
	return n
}

// fired reports whether the i-th rule of the scenario has fired.
func (r *run) fired(ctx context.Context, i int) bool {
	r.mu.Lock()
	id := 0
	for sid, idx := range r.ruleIDs {
		if idx == i {
			id = sid
		}
	}
	r.mu.Unlock()
	if id == 0 {
		return false
	}
	rules, err := r.sim.faults(ctx)
	if err != nil {
		return false
	}
	for _, f := range rules {
		if f.ID == id {
			return f.Hits > 0
		}
	}
	return true // a counted rule gone from the list fired its count
}

// awaitAll waits for the commands to end, each within commandTimeout (else it hangs
// and is killed), and records how each ended.
func (r *run) awaitAll(ctx context.Context, cmds []*command) {
	for _, c := range cmds {
		if c.ended {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, commandTimeout)
		code, ok := c.p.exited(wctx)
		cancel()
		if !ok {
			r.violate(Violation{InvHang, fmt.Sprintf("%s ran longer than %s: molt %v", c.p.name, commandTimeout, redact(c.p.args, r.sc.Token))})
			c.p.stop()
			code, _ = c.p.exited(ctx)
		}
		r.ended(c, code)
	}
}

// ended records how a command ended, and what its journal said right after.
func (r *run) ended(c *command, code int) {
	c.code, c.ended = code, true
	if id := c.rolloutOf(); id != "" {
		if sum, err := actions.Summarize(journalPath(r.state[c.step.Dir], id)); err == nil {
			c.state = string(sum.State)
		}
	}
	r.mu.Lock()
	r.fig.Exits[strconv.Itoa(code)]++
	r.mu.Unlock()
	r.logf("%s exited %d (journal: %s) %s", c.p.name, code, c.state, trimmed(c.p.stderr()))
}

// redact hides the token in args shown in logs and violations.
func redact(args []string, token string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == token {
			out[i] = "[token]"
		}
	}
	return out
}

// journalPath is where molt keeps a rollout's journal under a state directory.
func journalPath(state, id string) string {
	return actions.JournalPath(filepath.Join(state, "molt", "rollouts"), id)
}
