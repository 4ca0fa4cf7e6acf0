package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The operator goes round the unfinished rollouts until none is left. A round that
// changes nothing (no rollout replaced more, or changed state) is a stuck round: after
// switchAfter stuck rounds the operator tries the other way (rollback instead of
// resume, or resume instead of rollback), which is a violation already, since the
// way they chose got nowhere; after stuckRounds the rollout is a dead end. maxRounds
// bounds a rollout that pauses at every wave (--pause manual).
const (
	stuckRounds = 6
	switchAfter = 3
	maxRounds   = 60
)

// pending is a rollout the operator still has to end, as `molt rollouts` lists it.
type pending struct {
	dir      int
	ID       string `json:"id"`
	State    string `json:"state"`
	Kept     int    `json:"kept"`
	Replaced int    `json:"replaced"`
}

// finish is the operator ending what the chaos left, with no fault in force: every
// rollout `molt rollouts` lists as unfinished is resumed or rolled back (as the
// scenario says; the other way when that gets nowhere), and a done one that keeps old
// droplets is finalised. Then they plan each selection again, as the next rollout
// would: a plan that meets the lock of an ended rollout sweeps what it left (issue
// 11). A rollout that cannot be ended is a dead end.
func (r *run) finish(ctx context.Context) {
	var last *command
	stuck := 0
	todo := r.unfinished(ctx)
	for round := 0; len(todo) > 0 && stuck < stuckRounds && round < maxRounds; round++ {
		if stuck == switchAfter {
			r.violate(Violation{InvDeadEnd, fmt.Sprintf("`molt %s` got nowhere with %s: %s", r.sc.Finish, ids(todo), said(last))})
		}
		for _, t := range todo {
			if c := r.finishOne(ctx, t, stuck >= switchAfter); c != nil {
				last = c
			}
		}
		next := r.unfinished(ctx)
		if slices.Equal(next, todo) {
			stuck++
		}
		todo = next
	}
	if len(todo) > 0 {
		r.violate(Violation{InvDeadEnd, fmt.Sprintf("resume and rollback got nowhere: %s still unfinished; %s", ids(todo), said(last))})
	}
	r.planAgain(ctx)
}

func ids(todo []pending) string {
	var out []string
	for _, t := range todo {
		out = append(out, t.ID+" ("+t.State+")")
	}
	return strings.Join(out, ", ")
}

func said(c *command) string {
	if c == nil {
		return "no command ran"
	}
	return fmt.Sprintf("the last command (%s) exited %d: %s", c.p.name, c.code, trimmed(c.p.stderr()))
}

// planAgain plans each selection once more in each state directory used, as the
// next operator would; what it says does not matter here, what it sweeps does.
func (r *run) planAgain(ctx context.Context) {
	for i, p := range r.plans {
		if p.count == 0 {
			continue
		}
		sel := append(append([]string{}, r.sc.Selection...), "--to", r.sc.Target)
		if i == 1 {
			sel = r.sc.Second
		}
		for _, dir := range r.dirsUsed() {
			_, errOut, code := r.query(ctx, dir, append(append([]string{"plan"}, sel...), "-o", "json")...)
			r.logf("plan again in state dir %d: exit %d %s", dir, code, trimmed(errOut))
		}
	}
}

// finishOne runs the command that should end one rollout, and waits for it.
func (r *run) finishOne(ctx context.Context, t pending, other bool) *command {
	act := r.sc.Finish
	if other {
		act = map[string]string{"resume": "rollback", "rollback": "resume"}[act]
	}
	if slices.Contains(finalStates, t.State) {
		act = "resume" // finalise: destroy the old droplets it keeps
	}
	st := Step{Do: act, Dir: t.dir}
	args, err := r.args(st, t.ID, true)
	if err != nil {
		r.note("finish %s: %v", t.ID, err)
		return nil
	}
	c, err := r.startCommand(st, args)
	if err != nil {
		r.note("finish %s: %v", t.ID, err)
		return nil
	}
	c.rollout = t.ID
	r.awaitAll(ctx, []*command{c})
	r.followRecoverAdvice(ctx, c, t)
	return c
}

// followRecoverAdvice runs `molt recover ID` when a command says to rebuild the
// journal that way (a damaged journal of a rollout that took no lock, which a recover
// without ID leaves alone), as the operator would.
func (r *run) followRecoverAdvice(ctx context.Context, c *command, t pending) {
	if !r.cfg.Has["recover"] || !strings.Contains(c.p.stderr(), "molt recover "+t.ID) {
		return
	}
	st := Step{Do: "recover", Dir: t.dir}
	args, err := r.args(st, t.ID, true)
	if err != nil {
		return
	}
	if rc, err := r.startCommand(st, args); err == nil {
		rc.rollout = t.ID
		r.awaitAll(ctx, []*command{rc})
	}
}

// unfinished lists, in every state directory in use, the rollouts `molt rollouts`
// shows as not ended or as keeping old droplets.
func (r *run) unfinished(ctx context.Context) []pending {
	var out []pending
	for _, dir := range r.dirsUsed() {
		stdout, stderr, code := r.query(ctx, dir, "rollouts", "-o", "json")
		var list []pending
		if err := json.Unmarshal([]byte(stdout), &list); err != nil {
			r.note("`molt rollouts -o json` in state dir %d exited %d: %s", dir, code, trimmed(stderr))
			continue
		}
		for _, p := range list {
			if !slices.Contains(finalStates, p.State) || p.Kept > 0 {
				p.dir = dir
				out = append(out, p)
			}
		}
	}
	return out
}
