package actions

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// poolMinute is a minute of the simulated pools in these tests: the api pool's 10-minute
// cooldown lasts 50ms, and a member's replacement (two cooldowns and a minute) 105ms.
const poolMinute = 5 * time.Millisecond

// poolCase is a pool called api and the world around it: the demo's (four members on
// api-1.0.0, rolled onto api-1.1.0), or a small one of two members on a distribution
// image in an empty world, rolled onto another.
type poolCase struct {
	env *dosimtest.Env
	// client drives the rollout and reads what the test checks: env.Client, whose answers
	// are checked against the API description, or a plain one where many runs would
	// spend their time checking.
	client  *godo.Client
	before  world
	from    fleet.Version
	target  fleet.Version
	size    int
	opt     Options
	members map[int]bool
	// minute is a minute of the simulator's pools (poolMinute unless a test needs the
	// rollout to last).
	minute time.Duration
}

// poolSimConfig lifts the rate limits: polls come every few milliseconds, as a real
// pool's cooldown of minutes allows polls every 15 seconds.
func poolSimConfig(seed string, extras bool) dosim.Config {
	return dosim.Config{Seed: seed, DemoExtras: extras, PoolMinute: poolMinute, RatePerMinute: 1 << 20, RatePerHour: 1 << 30}
}

// newPoolCase is the demo's api pool, with a client that checks every answer.
func newPoolCase(t *testing.T) *poolCase {
	t.Helper()
	env := startSim(t, poolSimConfig("demo", true))
	return newPoolCaseOn(t, env, env.Client, image(t, env.Client, "api-1.0.0"), image(t, env.Client, "api-1.1.0"), 4)
}

// newSmallPoolCase is a pool of two members on ubuntu-24-04-x64 in an empty world, to
// be rolled onto debian-13-x64, with a client that does not check answers.
func newSmallPoolCase(t *testing.T) *poolCase {
	t.Helper()
	return newSmallPoolCaseOf(t, poolMinute)
}

// newSmallPoolCaseOf is newSmallPoolCase on pools whose minute lasts minute: a longer
// one keeps a rollout going while a test looks at it.
func newSmallPoolCaseOf(t *testing.T, minute time.Duration) *poolCase {
	t.Helper()
	cfg := poolSimConfig("empty", false)
	cfg.PoolMinute = minute
	env := startSim(t, cfg)
	client := env.NewClient(t, env.Token, false)
	_, _, err := client.DropletAutoscale.Create(context.Background(), &godo.DropletAutoscalePoolRequest{Name: "api",
		Config: &godo.DropletAutoscaleConfiguration{TargetNumberInstances: 2},
		DropletTemplate: &godo.DropletAutoscaleResourceTemplate{Region: "nyc3", Size: "c-2", Image: "ubuntu-24-04-x64",
			SSHKeys: []string{"12345"}, Tags: []string{"role:api", "env:prod"}, WithDropletAgent: true}})
	if err != nil {
		t.Fatal(err)
	}
	waitCond(t, "the new pool's members", func() bool {
		pools, err := fleet.ReadPools(context.Background(), client)
		if err != nil || len(pools) != 1 || len(pools[0].Members) != 2 {
			return false
		}
		return !slices.ContainsFunc(pools[0].Members, func(m fleet.PoolMember) bool { return m.Status != "active" })
	})
	c := newPoolCaseOn(t, env, client, slugImage(t, client, "ubuntu-24-04-x64"), slugImage(t, client, "debian-13-x64"), 2)
	c.minute = minute
	return c
}

// slugImage reads a distribution image by its slug.
func slugImage(t *testing.T, c *godo.Client, slug string) fleet.Version {
	t.Helper()
	im, _, err := c.Images.GetBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return fleet.VersionFromImage(im)
}

func newPoolCaseOn(t *testing.T, env *dosimtest.Env, client *godo.Client, from, target fleet.Version, size int) *poolCase {
	t.Helper()
	opt := testOptions(t)
	opt.Timing.PollMin = 10 * time.Millisecond // a fifth of the cooldown: new members are seen in time
	return &poolCase{env: env, client: client, before: snapshot(t, client), from: from, target: target, size: size, opt: opt,
		members: poolMembers(t, client), minute: poolMinute}
}

// poolStrategy checks new members over real sockets; an unhealthy one fails after three
// error answers, and a healthy one has time to pass on a loaded machine.
func poolStrategy(env *dosimtest.Env) Strategy {
	st := testStrategy(env, 1)
	st.Health.FailThreshold, st.Health.Timeout = 3, Duration(10*time.Second)
	return st
}

func (c *poolCase) plan(t *testing.T) PoolPlan {
	t.Helper()
	in, err := GatherPool(context.Background(), c.client, "api", c.target, poolStrategy(c.env), c.minute)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPoolPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runPool(t *testing.T, r *PoolRollout) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return r.Run(ctx)
}

// check asserts what must hold once a pool rollout ended: the pool's members all
// active on want, the template on want, no lock left, and no droplet more or less
// than before the rollout (none orphaned, none lost).
func (c *poolCase) check(t *testing.T, want fleet.Version) {
	t.Helper()
	after := snapshot(t, c.client)
	if len(after.byID) != len(c.before.byID) {
		t.Errorf("%d droplets, %d before", len(after.byID), len(c.before.byID))
	}
	pools, err := fleet.ReadPools(context.Background(), c.client)
	if err != nil {
		t.Fatal(err)
	}
	p := pools[0]
	if p.Template.ImageID != want.ImageID || len(p.Members) != c.size {
		t.Errorf("pool: template %s, %d members; want %s and %d", p.TemplateName(), len(p.Members), want.Name, c.size)
	}
	for _, m := range p.Members {
		d, ok := after.byID[m.DropletID]
		if !ok || d.Image.ID != want.ImageID || d.Status != "active" || m.Status != "active" {
			t.Errorf("member %d: %+v (pool says %s)", m.DropletID, d, m.Status)
		}
	}
	for id, d := range after.byID {
		if slices.Contains(d.Tags, "role:api") && !p.HasMember(id) {
			t.Errorf("droplet %s (%d) carries role:api and is no member of the pool", d.Name, id)
		}
	}
	for _, d := range after.byID {
		if withMolt(d) {
			t.Errorf("droplet %s still carries a lock tag: %v", d.Name, d.Tags)
		}
	}
}

// TestPoolRolledEndToEnd rolls the demo's api pool onto api-1.1.0: the template changes,
// the pool replaces its four members one at a time, molt checks each new one, and the
// rollout ends done with nothing left over.
func TestPoolRolledEndToEnd(t *testing.T) {
	t.Parallel()
	c := newPoolCase(t)
	target := c.target
	p := c.plan(t)
	if p.Replaced != 4 || p.FromRef != strconv.Itoa(c.from.ImageID) || p.Pool.CooldownMinutes != 10 {
		t.Fatalf("plan: %+v", p)
	}
	if want := 4*PoolStep(10, poolMinute) - 10*poolMinute; p.Estimate.Duration.D() != want {
		t.Errorf("estimate %s, want %s", p.Estimate.Duration, want)
	}
	r, err := StartPool(c.client, p, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	// Read the events as they come: a subscriber that falls 4096 behind gets a snapshot
	// instead of what it missed.
	events, leave := r.Subscribe()
	defer leave()
	var healthy int
	var progress []PoolProgress
	read := make(chan struct{})
	go func() {
		defer close(read)
		for ev := range events {
			switch ev := ev.(type) {
			case PhaseChanged:
				if ev.Phase == PhaseHealthy {
					healthy++
				}
			case PoolProgress:
				progress = append(progress, ev)
			}
		}
	}()
	start := time.Now()
	if err := runPool(t, r); err != nil {
		t.Fatalf("run: %v", err)
	}
	took := time.Since(start)
	<-read
	t.Logf("rolled 4 members in %s; the plan estimated %s", took.Round(time.Millisecond), p.Estimate.Duration)
	c.check(t, target)
	sum, err := Summarize(r.JournalPath())
	if err != nil || sum.State != StateDone || sum.Replaced != 4 || sum.Planned != 4 || sum.Pool != "api" {
		t.Errorf("summary: %+v, %v", sum, err)
	}
	if healthy != 4 || len(progress) == 0 {
		t.Fatalf("%d members seen healthy, %d progress events", healthy, len(progress))
	}
	// The time left comes from the pool's cooldown: at the first poll, after the template
	// changed, it is the plan's estimate (the pool has replaced nothing yet, or one member
	// on a slow machine); at the end, nothing.
	first, last := progress[0], progress[len(progress)-1]
	if eta, est := first.ETA.D(), p.Estimate.Duration.D(); eta > est || eta < est-p.Estimate.PerMember.D() {
		t.Errorf("the first progress expects %s left; the plan said %s", eta, est)
	}
	if last.ETA != 0 || last.OnTarget != 4 || last.Behind != 0 {
		t.Errorf("the last progress: %+v", last)
	}
}

// TestPoolAbortWithRollback aborts a pool rollout with a rollback once the pool has made
// its first new member: molt puts the template back, and watches the pool move back
// until every member runs the previous image again.
func TestPoolAbortWithRollback(t *testing.T) {
	t.Parallel()
	c := newSmallPoolCaseOf(t, 20*time.Millisecond) // a member's replacement takes 420ms: time to abort
	r, err := StartPool(c.client, c.plan(t), c.opt)
	if err != nil {
		t.Fatal(err)
	}
	events, leave := r.Subscribe()
	defer leave()
	go func() {
		for ev := range events {
			if pc, ok := ev.(PhaseChanged); ok && pc.Phase == PhaseHealthy {
				r.Abort(true)
			}
		}
	}()
	err = runPool(t, r)
	if !errors.Is(err, ErrRolledBack) || !strings.Contains(err.Error(), "aborted by the operator") {
		t.Fatalf("run: %v, want rolled back as the operator asked", err)
	}
	c.check(t, c.from)
	recs, err := ReadJournal(r.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(recs, func(rec Record) bool { return rec.Kind == KindIntent && rec.Op == OpPoolRestore }) {
		t.Error("the journal has no intent to put the template back")
	}
	st := r.Status()
	if st.State != StateRolledBack || st.Slots[0].Phase != PhaseRolledBack {
		t.Errorf("status %s, first replacement %s; want rolled back", st.State, st.Slots[0].Phase)
	}
}

// TestPoolGateFailureRestoresTheTemplate rolls onto an image whose members fail their
// health check: the first new member fails, molt puts the template back, and the pool
// ends with its four members on the old image.
func TestPoolGateFailureRestoresTheTemplate(t *testing.T) {
	t.Parallel()
	c := newPoolCase(t)
	broken := c.target
	if err := c.env.Sim.SetImageFlags(broken.ImageID, true, false); err != nil {
		t.Fatal(err)
	}
	r, err := StartPool(c.client, c.plan(t), c.opt)
	if err != nil {
		t.Fatal(err)
	}
	err = runPool(t, r)
	if !errors.Is(err, ErrRolledBack) {
		t.Fatalf("run: %v, want rolled back", err)
	}
	c.check(t, c.from)
	st := r.Status()
	if st.Slots[0].Phase != PhaseFailed || st.State != StateRolledBack {
		t.Errorf("status: %s, first replacement %s", st.State, st.Slots[0].Phase)
	}
	// The pool does not wait for molt: on a slow machine it may have replaced the first
	// member, and begun the second, before the verdict. Those roll back.
	for _, s := range st.Slots[1:] {
		if s.Phase != PhaseCancelled && s.Phase != PhaseRolledBack {
			t.Errorf("replacement %d: %s, want cancelled or rolled back", s.Slot, s.Phase)
		}
	}
}

// TestPoolStuckMemberRollsBack rolls a small pool onto an image whose droplets never
// boot: the first new member fails after the active timeout, molt puts the template back
// and destroys the member, for which the pool would wait forever, and the pool ends as
// it was.
func TestPoolStuckMemberRollsBack(t *testing.T) {
	t.Parallel()
	c := newSmallPoolCase(t)
	stuck := c.target
	if err := c.env.Sim.SetImageFlags(stuck.ImageID, false, true); err != nil {
		t.Fatal(err)
	}
	p := c.plan(t)
	p.ActiveTimeout = Duration(300 * time.Millisecond)
	r, err := StartPool(c.client, p, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := runPool(t, r); !errors.Is(err, ErrRolledBack) {
		t.Fatalf("run: %v, want rolled back", err)
	}
	c.check(t, c.from)
	recs, err := ReadJournal(r.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(recs, func(rec Record) bool { return rec.Kind == KindIntent && rec.Op == OpPoolDestroyStuck }) {
		t.Error("the journal has no intent to destroy the stuck member")
	}
}
