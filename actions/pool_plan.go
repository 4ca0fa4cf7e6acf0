package actions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/molt-sh/molt/fleet"
)

// Rolling a droplet autoscale pool: molt points the pool's template at the new image and
// the pool replaces its members itself, one at a time, creating the new member before
// retiring an old one, a cooldown apart (DigitalOcean's documented behaviour). molt
// gates on its own health checks of each new member and, when one fails, restores the
// template, which the pool follows back. Nothing in DigitalOcean's API holds a pool's
// replacement, so a pool rollout has no pause (docs/engine.md, "Autoscale pools").

// PoolPlan is a pool rollout as the operator confirms it, and as its journal keeps it.
type PoolPlan struct {
	Pool PoolRef `json:"pool"`
	// From is the template's image now, and FromRef the template's reference to it (an ID
	// or a slug): what a rollback puts back.
	From    fleet.Version `json:"from"`
	FromRef string        `json:"from_ref"`
	Target  fleet.Version `json:"target"`
	// Members are the pool's members at the plan, in the pool's order: each one not on
	// Target is to be replaced (Replaced counts them).
	Members  []PoolMember `json:"members"`
	Replaced int          `json:"replaced"`
	// Health is how molt judges each new member; ActiveTimeout fails a member still new
	// after it.
	Health        HealthCheck  `json:"health"`
	ActiveTimeout Duration     `json:"active_timeout"`
	Estimate      PoolEstimate `json:"estimate"`
	// LBs are the load balancers that serve members: by the template's tags (they follow
	// the pool) or by droplet ID (flagged in Warnings).
	LBs      []LB     `json:"load_balancers,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Minute is how long one of the pool's minutes lasts: a minute on DigitalOcean,
	// shorter on a simulator that scales its pools' timings (dosim's PoolMinute).
	Minute Duration `json:"minute"`
	// Account is the account the pool belongs to: the rollout is resumed or rolled back
	// only there.
	Account *fleet.Account `json:"account,omitempty"`
	// Guards are the checks of the target the members trip (another role's image, a
	// downgrade), as a droplet plan has them; Refusal refuses those not allowed.
	Guards []Guard `json:"guards,omitempty"`
}

// Refusal returns a *GuardError when the target trips guards the strategy does not
// allow, else nil. StartPool refuses such a plan too.
func (p PoolPlan) Refusal() error { return Plan{Guards: p.Guards}.Refusal() }

// PoolRef is the pool a rollout rolls.
type PoolRef struct {
	ID     string           `json:"id"`
	Name   string           `json:"name"`
	Region string           `json:"region"`
	Size   string           `json:"size"`
	Config fleet.PoolConfig `json:"config"`
	// CooldownMinutes is the time between two changes to the members; Desired the
	// members the pool keeps.
	CooldownMinutes int `json:"cooldown_minutes"`
	Desired         int `json:"desired"`
	// TemplateDigest identifies the template but its image (user data by its hash): a
	// template changed by someone else since the plan is not overwritten.
	TemplateDigest string   `json:"template_digest"`
	Tags           []string `json:"tags,omitempty"`
}

// PoolMember is a member at the plan.
type PoolMember struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Image   string `json:"image"`
	ImageID int    `json:"image_id"`
	Status  string `json:"status"`
	// Replace says the member runs another image than the target: the pool replaces it.
	Replace bool `json:"replace"`
}

// PoolEstimate is how long the pool should take, from its cooldown: per member, the new
// one boots for a cooldown before an old one is shut down, destroyed a minute later,
// and the next change waits another cooldown.
type PoolEstimate struct {
	Duration  Duration `json:"duration"`
	PerMember Duration `json:"per_member"`
	// Wait is what is left of the cooldown after the pool's last change.
	Wait     Duration `json:"wait,omitempty"`
	APICalls int      `json:"api_calls"`
}

// PoolPlanInput is what PlanPool needs; GatherPool reads it. NewPoolPlan does no IO.
type PoolPlanInput struct {
	Pool fleet.Pool
	// FromRef and TemplateDigest are the template's image reference and digest as read.
	FromRef        string
	TemplateDigest string
	// Servers are the pool's members as droplets.
	Servers []fleet.Server
	Target  fleet.Version
	// Strategy gives the health check and the active timeout; nothing else applies.
	Strategy Strategy
	LBs      []LB
	// Changing is the change the pool has under way ("" when idle), LastChange when its
	// last change ended.
	Changing   string
	LastChange time.Time
	Now        time.Time
	Minute     time.Duration
	// Owner is the account the pool belongs to (GatherPool reads it).
	Owner *fleet.Account
}

// NewPoolPlan plans a pool rollout. It fails, naming what to fix, when the pool cannot
// be rolled: being deleted or changing already, held by another rollout, or a target the
// pool's region or size cannot take. A template already on the target plans nothing
// (Replaced 0).
func NewPoolPlan(in PoolPlanInput) (PoolPlan, error) {
	if in.Minute <= 0 {
		in.Minute = time.Minute
	}
	p := PoolPlan{Pool: poolRef(in), From: in.Pool.Template, FromRef: in.FromRef, Target: in.Target,
		Health: in.Strategy.Health, ActiveTimeout: in.Strategy.ActiveTimeout, LBs: poolLBs(in), Minute: Duration(in.Minute),
		Account: in.Owner}
	if err := checkPool(in); err != nil {
		return PoolPlan{}, err
	}
	p.Members, p.Replaced = poolMembersAt(in)
	if p.From.ImageID == in.Target.ImageID {
		p.Replaced = 0
		return p, nil
	}
	var todo []fleet.Server
	for _, s := range in.Servers {
		if s.Image.ImageID != in.Target.ImageID {
			todo = append(todo, s)
		}
	}
	p.Guards = guards(PlanInput{Target: in.Target, Strategy: in.Strategy}, todo)
	p.Estimate = poolEstimate(in, p.Replaced)
	p.Warnings = poolWarnings(in, p)
	return p, nil
}

func poolRef(in PoolPlanInput) PoolRef {
	pl := in.Pool
	return PoolRef{ID: pl.ID, Name: pl.Name, Region: pl.Region, Size: pl.Size, Config: pl.Config,
		CooldownMinutes: pl.CooldownMinutes(), Desired: pl.Desired(), TemplateDigest: in.TemplateDigest, Tags: pl.Tags}
}

// checkPool runs the checks that must pass before the template changes.
func checkPool(in PoolPlanInput) error {
	pl, t := in.Pool, in.Target
	switch {
	case pl.Status != "active":
		return fmt.Errorf("pool %s is %s, not active; it cannot be rolled", pl.Name, pl.Status)
	case in.Changing != "":
		return fmt.Errorf("pool %s is changing its members already (%s); wait until it is done and plan again", pl.Name, in.Changing)
	case t.ImageID == 0:
		return fmt.Errorf("no target image: name one with --to")
	case t.Status != "" && t.Status != "available":
		return fmt.Errorf("image %s is %s, not available; pick another with --to", versionName(t), t.Status)
	case !slices.Contains(t.Regions, pl.Region):
		return fmt.Errorf("image %s is not available in %s, the region of pool %s; copy it there first", versionName(t), pl.Region, pl.Name)
	}
	if disk := memberDisk(in.Servers); disk > 0 && disk < t.MinDiskSize {
		return fmt.Errorf("image %s needs a %d GB disk, larger than size %s of pool %s has", versionName(t), t.MinDiskSize, pl.Size, pl.Name)
	}
	if behind := pl.Census(in.Servers).Behind; behind > 0 && pl.Template.ImageID != t.ImageID {
		return fmt.Errorf("pool %s is replacing %d members behind its template already; wait until it is done and plan again", pl.Name, behind)
	}
	return poolLocks(in)
}

func memberDisk(servers []fleet.Server) int {
	for _, s := range servers {
		if s.Disk > 0 {
			return s.Disk
		}
	}
	return 0
}

// poolLocks refuses a pool whose members another rollout holds: a pool already rolling.
func poolLocks(in PoolPlanInput) error {
	var e *LockedError
	for _, s := range in.Servers {
		id := LockOf(s.Tags)
		switch {
		case id == "":
		case e == nil:
			e = &LockedError{Rollout: id, Servers: []string{s.Name}}
		case e.Rollout == id:
			e.Servers = append(e.Servers, s.Name)
		}
	}
	if e == nil {
		return nil
	}
	return e
}

// poolMembersAt lists the members as the plan sees them, in the pool's order.
func poolMembersAt(in PoolPlanInput) ([]PoolMember, int) {
	byID := map[int]fleet.Server{}
	for _, s := range in.Servers {
		byID[s.ID] = s
	}
	var out []PoolMember
	n := 0
	for _, m := range in.Pool.Members {
		s, ok := byID[m.DropletID]
		if !ok {
			continue // destroyed since the pool listed it
		}
		pm := PoolMember{ID: m.DropletID, Name: s.Name, Image: versionName(s.Image), ImageID: s.Image.ImageID, Status: m.Status,
			Replace: s.Image.ImageID != in.Target.ImageID}
		if pm.Replace {
			n++
		}
		out = append(out, pm)
	}
	return out, n
}

// poolLBs are the balancers that serve the pool: by one of the template's tags in the
// pool's region, or by listing a member's ID.
func poolLBs(in PoolPlanInput) []LB {
	var out []LB
	for _, lb := range in.LBs {
		byTag := lb.Tag != "" && slices.Contains(in.Pool.Tags, lb.Tag) && (lb.Region == "" || lb.Region == in.Pool.Region)
		byID := lb.Tag == "" && slices.ContainsFunc(lb.DropletIDs, in.Pool.HasMember)
		if byTag || byID {
			out = append(out, lb)
		}
	}
	return out
}

// PoolStep is how long one member's replacement takes: it boots for a cooldown, the old
// member is destroyed a minute after its shutdown, and the next waits a cooldown.
func PoolStep(cooldownMinutes int, minute time.Duration) time.Duration {
	return time.Duration(2*cooldownMinutes+1) * minute
}

func poolEstimate(in PoolPlanInput, n int) PoolEstimate {
	c := time.Duration(in.Pool.CooldownMinutes()) * in.Minute
	step := PoolStep(in.Pool.CooldownMinutes(), in.Minute)
	e := PoolEstimate{PerMember: Duration(step)}
	if end := in.LastChange.Add(c); !in.LastChange.IsZero() && end.After(in.Now) {
		e.Wait = Duration(end.Sub(in.Now))
	}
	if n > 0 {
		e.Duration = Duration(e.Wait.D() + time.Duration(n)*step - c)
	}
	polls := int(e.Duration.D()/pollEvery(in.Minute, Timing{}.withDefaults().PollMin)) + 1
	e.APICalls = 6 + 2*polls + 3*n // lock, template, release; per poll members and history; per member reads and a tag
	return e
}

// pollEvery is how often a pool rollout reads the pool: a quarter of the pool's minute
// (15 seconds on DigitalOcean), no more often than floor.
func pollEvery(minute, floor time.Duration) time.Duration {
	return max(minute/4, floor, time.Millisecond)
}

func poolWarnings(in PoolPlanInput, p PoolPlan) []string {
	var w []string
	c := time.Duration(p.Pool.CooldownMinutes) * in.Minute
	h := p.Health
	switch {
	case h.Kind == HealthNone:
		w = append(w, "no health check: molt watches the pool replace its members and gates on nothing")
	case h.Grace.D()+h.Timeout.D() > c:
		w = append(w, fmt.Sprintf("the pool retires an old member %s after its replacement appears; a health check that takes longer (grace %s, timeout %s) may judge a member already in the old one's place, and rolling back then takes a replacement per new member",
			fmtMinutes(c, in.Minute), ShortDuration(h.Grace.D()), ShortDuration(h.Timeout.D())))
	}
	for _, lb := range p.LBs {
		if lb.Tag != "" {
			w = append(w, fmt.Sprintf("load balancer %s follows the pool by its tag %s: new members join it as soon as they are active, before molt's health check", lb.Name, lb.Tag))
			continue
		}
		w = append(w, fmt.Sprintf("load balancer %s lists members of pool %s by droplet ID: the pool's new members never join it and the retired ones leave it, so it ends serving none of the pool; give it one of the template's tags (%s) instead",
			lb.Name, p.Pool.Name, strings.Join(p.Pool.Tags, ", ")))
	}
	if p.From.Status == "deleted" {
		w = append(w, fmt.Sprintf("the template's image %s no longer exists: a rollback could not put it back", p.FromRef))
	}
	return w
}

// fmtMinutes says a duration in the pool's minutes ("10m"), or as it is when a minute is
// not a minute (a simulator).
func fmtMinutes(d, minute time.Duration) string {
	if minute == time.Minute {
		return ShortDuration(d)
	}
	return strconv.Itoa(int(d/minute)) + " pool minutes (" + ShortDuration(d) + " here)"
}

// ShortDuration renders d without trailing zero units: "10m", "1h14m", "1m30s".
func ShortDuration(d time.Duration) string {
	s := d.String()
	if d == 0 {
		return "0s"
	}
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
