package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/molt-sh/molt/actions"
)

// planInfo is what the harness reads of `molt plan -o json`: the servers it replaces
// and the target.
type planInfo struct {
	names  []string
	count  int
	target int
}

// readPlans asks molt for the plan of each operator's selection, before any fault.
func (r *run) readPlans(ctx context.Context) error {
	sels := [][]string{append(append([]string{}, r.sc.Selection...), "--to", r.sc.Target)}
	if r.sc.Second != nil {
		sels = append(sels, r.sc.Second)
	}
	for i, sel := range sels {
		args := append(append([]string{"plan"}, sel...), r.strategy()...)
		out, errOut, code := r.query(ctx, 0, append(args, "-o", "json")...)
		if code != 0 {
			return fmt.Errorf("molt plan %s exited %d: %s", strings.Join(sel, " "), code, trimmed(errOut))
		}
		var p struct {
			Target struct{ ImageID int }
			Waves  []struct {
				Replacements []struct{ Old struct{ Name string } }
			}
		}
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			return fmt.Errorf("read the plan: %w", err)
		}
		r.plans[i].target = p.Target.ImageID
		for _, w := range p.Waves {
			for _, rep := range w.Replacements {
				r.plans[i].names = append(r.plans[i].names, rep.Old.Name)
			}
		}
		r.plans[i].count = len(r.plans[i].names)
	}
	if r.plans[0].count == 0 {
		return fmt.Errorf("the plan replaces nothing")
	}
	return nil
}

// expect says what the end may look like: the selected servers on their image of
// the start, or on the target of a rollout that did not end rolled back. Each
// readable journal says which servers its rollout replaces and how it ended; a plan
// whose journal is lost or damaged allows its target.
func (r *run) expect() Expect {
	exp := Expect{Selected: map[string]bool{}, Allowed: map[string][]int{}}
	allow := func(names []string, target int) {
		for _, n := range names {
			exp.Selected[n] = true
			if target != 0 && !slices.Contains(exp.Allowed[n], target) {
				exp.Allowed[n] = append(exp.Allowed[n], target)
			}
		}
	}
	journaled := map[int]bool{}
	for _, dir := range r.dirsUsed() {
		paths, _ := filepath.Glob(filepath.Join(r.state[dir], "molt", "rollouts", "*.jsonl"))
		for _, path := range paths {
			recs, err := actions.ReadJournal(path)
			if err != nil || len(recs) == 0 || recs[0].Header == nil {
				continue
			}
			plan := recs[0].Header.Plan
			var names []string
			for _, rep := range plan.Replacements() {
				names = append(names, rep.Old.Name)
			}
			target := plan.Target.ImageID
			if sum, err := actions.Summarize(path); err == nil && sum.State == actions.StateRolledBack {
				target = 0
			}
			allow(names, target)
			journaled[plan.Target.ImageID] = true
		}
	}
	for _, p := range r.plans {
		target := p.target
		if journaled[target] {
			target = 0 // its journal said
		}
		allow(p.names, target)
	}
	return exp
}

// checkEnd reads the world with no fault in force and checks every invariant.
func (r *run) checkEnd(ctx context.Context) error {
	end, err := snapshot(ctx, r.sim.api, healthPort)
	if err != nil {
		return fmt.Errorf("read the world at the end: %w", err)
	}
	r.violate(CheckWorld(r.start, end, r.expect())...)
	r.violate(CheckJournals(r.journalFiles(ctx))...)
	r.violate(r.checkCommands()...)
	r.violate(r.checkToken()...)
	return nil
}

// checkCommands checks the commands against each other: one driver at a time, exit
// codes that say what their journal says, two operators, unlock.
func (r *run) checkCommands() []Violation {
	cmds := r.commands()
	var drove []Driven
	var vs []Violation
	for _, c := range cmds {
		if d, ok := c.p.driven(); ok {
			drove = append(drove, d)
		}
		if r.alone(c, cmds) {
			vs = append(vs, CheckExit(Exit{Proc: c.p.name, Code: c.code, Signal: c.signal, State: c.state,
				Created: c.step.Do == "apply", Said: trimmed(c.p.stderr()), Transient: r.countedTransients()})...)
		}
		if c.step.Do == "unlock" && c.code == 0 && r.droveAcross(r.mainApply(), c) {
			vs = append(vs, Violation{InvTwoDrivers, fmt.Sprintf("`molt unlock %s --yes` succeeded while %s drove it", c.rollout, r.mainApply().p.name)})
		}
	}
	vs = append(vs, CheckDrivers(drove)...)
	if r.sc.Kind == KindTwoOperators && len(cmds) >= 2 {
		vs = append(vs, CheckOperators(r.operator(cmds[0], 0), r.operator(cmds[1], 1))...)
	}
	return vs
}

// operator is what CheckOperators needs of one of the two first applies.
func (r *run) operator(c *command, i int) Operator {
	_, evs := c.p.snapshot()
	started := slices.ContainsFunc(evs, func(e event) bool {
		return e.Type == "wave_started" || (e.mutating() && e.Method == "POST" && e.Path == "/v2/droplets")
	})
	return Operator{Proc: c.p.name, Code: c.code, Rollout: c.rolloutOf(), Started: started, Stderr: c.p.stderr(), Selected: r.plans[i].names}
}

// alone reports whether no other command shared c's state directory while it ran,
// so that its journal right after it ended says what it did.
func (r *run) alone(c *command, cmds []*command) bool {
	for _, o := range cmds {
		if o == c || o.step.Dir != c.step.Dir {
			continue
		}
		if !o.p.started.After(c.p.ended) && !c.p.started.After(o.p.ended) {
			return false
		}
	}
	return true
}

// countedTransients reports whether every transient rule of the scenario (5xx, 429,
// dropped connections) fires a few times only, rather than on a share of requests.
func (r *run) countedTransients() bool {
	for _, f := range r.sc.Faults {
		if slices.Contains([]string{Fault5xx, Fault429, FaultDrop}, f.Kind) && f.Rule.Count == 0 {
			return false
		}
	}
	return true
}

// droveAcross reports whether d had changed its rollout (taken its lock) before c
// ended, and still ran after: c ended while d drove.
func (r *run) droveAcross(d, c *command) bool {
	if d == nil {
		return false
	}
	dr, ok := d.p.driven()
	return ok && dr.From.Before(c.p.ended) && d.p.ended.After(c.p.ended)
}
