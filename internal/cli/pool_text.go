package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/molt-sh/molt/actions"
)

// poolPlanText renders a pool rollout's plan for people: what molt and the pool will do,
// the members, the time it should take, what stops it and what to look out for.
func poolPlanText(p actions.PoolPlan) string {
	var b strings.Builder
	pool := p.Pool
	size := fmt.Sprintf("fixed %d", pool.Config.Target)
	if pool.Config.Target == 0 {
		size = fmt.Sprintf("%d-%d", pool.Config.Min, pool.Config.Max)
	}
	if p.Replaced == 0 {
		fmt.Fprintf(&b, "Nothing to roll: the template of pool %s is %s already, and its %d members run it.\n",
			pool.Name, p.Target.Name, len(p.Members))
		return b.String()
	}
	fmt.Fprintf(&b, "Roll pool %s (%s, %s, %s, cooldown %s) from %s to %s.\n", pool.Name, pool.Region, size, pool.Size,
		minutes(pool.CooldownMinutes, p.Minute.D()), p.From.Name, p.Target.Name)
	if p.Account != nil {
		fmt.Fprintf(&b, "Account: %s.\n", p.Account)
	}
	fmt.Fprintf(&b, "molt points the pool's template at %s; the pool then replaces its %d members itself, one at a\n"+
		"time, making each new member before it retires an old one. molt checks each new member\n"+
		"(%s) and, if one fails, puts %s back in the template\n"+
		"and watches the pool return to it.\n", p.Target.Name, p.Replaced, healthText(p.Health), fromName(p))
	for _, m := range p.Members {
		what := "replaced"
		if !m.Replace {
			what = "already on the target"
		}
		fmt.Fprintf(&b, "  member %-18s %-14s %-8s %s\n", m.Name, m.Image, m.Status, what)
	}
	e := p.Estimate
	fmt.Fprintf(&b, "Estimate: about %s (%s a member: it boots for the cooldown, the old one goes a minute after its\n"+
		"shutdown, and the next waits another cooldown", roughly(e.Duration.D()), roughly(e.PerMember.D()))
	if e.Wait > 0 {
		fmt.Fprintf(&b, "; first the %s left of the cooldown after the pool's last change", roughly(e.Wait.D()))
	}
	fmt.Fprintf(&b, ") and about %d API calls.\n", e.APICalls)
	b.WriteString("No pause: nothing in DigitalOcean's API holds a pool's replacement. `molt rollback ID` puts the\n" +
		"template back; stopping molt leaves the pool going without the health check until `molt resume`.\n")
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "Warning: %s.\n", w)
	}
	for _, g := range p.Guards {
		b.WriteString(guardText(g))
	}
	return b.String()
}

// fromName is the image a rollback puts back in the template.
func fromName(p actions.PoolPlan) string {
	if p.From.Name != "" {
		return p.From.Name
	}
	return "image " + p.FromRef
}

func healthText(h actions.HealthCheck) string {
	if h.Kind == actions.HealthNone {
		return "no health check"
	}
	return fmt.Sprintf("%s, %d passes in a row within %s", h, h.Threshold, actions.ShortDuration(h.Timeout.D()))
}

// minutes says n of the pool's minutes: "10m", or in the simulator's time when a minute
// is shorter.
func minutes(n int, minute time.Duration) string {
	if minute == time.Minute {
		return actions.ShortDuration(time.Duration(n) * time.Minute)
	}
	return fmt.Sprintf("%dm, %s here", n, roughly(time.Duration(n)*minute))
}

// roughly rounds a duration for people: to the second, or the millisecond under one.
func roughly(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return actions.ShortDuration(d.Round(time.Second))
}

// poolProgressText is a pool rollout's word on its pool, on one line.
func poolProgressText(ev actions.PoolProgress) string {
	s := fmt.Sprintf("pool %s: %d of %d members on %s, %d behind", ev.Pool, ev.OnTarget, ev.Members, ev.Toward, ev.Behind)
	if ev.Healthy > 0 {
		s += fmt.Sprintf(", %d checked healthy", ev.Healthy)
	}
	if ev.Changing != "" {
		s += "; " + ev.Changing + " under way"
	}
	if ev.PoolError != "" {
		s += "; the pool's last change failed: " + ev.PoolError
	}
	if ev.ETA > 0 {
		s += "; about " + roughly(ev.ETA.D()) + " left"
	}
	return s
}
