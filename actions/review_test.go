package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// A reserved IP move the API carried out but answered with a 500 is not a reason to
// stop: the retry finds the address busy with that very move, and molt follows it.
func TestReservedIPMoveCommittedButAnsweredWithAnError(t *testing.T) {
	env := startSim(t, dosim.Config{})
	ipsBefore := reservedIPs(t, env.Client)
	p := plan(t, env.Client, "edge-1.1.0", testStrategy(env, 2), "role:edge", "env:prod")
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "POST", Path: "/v2/reserved_ips/*/actions", Status: 500, After: true, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := apply(t, env.Client, p, testOptions(t)); err != nil {
		t.Fatalf("run: %v", err)
	}
	after := reservedIPs(t, env.Client)
	for ip := range ipsBefore {
		for _, r := range p.Replacements() {
			if r.ReservedIP == ip && after[ip] != r.Old.Name+"@edge-1.1.0" {
				t.Errorf("reserved IP %s points at %s, want the new %s", ip, after[ip], r.Old.Name)
			}
		}
	}
}

// A new droplet kept with --keep-failed never passed its health check: it must not
// stay in a tag-based load balancer, which it joined at birth by its tags.
func TestKeptFailedDropletLeavesTagLoadBalancers(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	target := image(t, env.Client, "worker-2.2.0")
	if err := env.Sim.SetImageFlags(target.ImageID, true, false); err != nil {
		t.Fatal(err)
	}
	st := testStrategy(env, 2)
	st.KeepFailed = true
	st.MaxFailures = 100
	p := plan(t, env.Client, "worker-2.2.0", st, "role:worker", "env:prod")
	tagLB := 0
	for _, r := range p.Replacements() {
		tagLB += len(r.TagLBs)
	}
	if tagLB == 0 {
		t.Fatal("the plan has no tag-based load balancer")
	}
	e, _ := apply(t, env.Client, p, testOptions(t))
	if e.Status().Count(PhaseFailed) == 0 {
		t.Fatal("no replacement failed")
	}
	w := snapshot(t, env.Client)
	for _, s := range e.slots {
		if s.phase != PhaseFailed || s.newID == 0 {
			continue
		}
		d, ok := w.byID[s.newID]
		if !ok {
			t.Errorf("kept failed droplet %d is gone", s.newID)
			continue
		}
		for _, tag := range s.r.TagLBs {
			if slices.Contains(d.Tags, tag) {
				t.Errorf("kept failed droplet %d still carries %s, so a load balancer sends it traffic", d.ID, tag)
			}
		}
	}
}

// A droplet being kept leaves tag-based load balancers before it is powered off, so
// that they never send traffic to a droplet going down.
func TestKeptOldLeavesTagLoadBalancersBeforePowerOff(t *testing.T) {
	env := startSim(t, dosim.Config{})
	st := testStrategy(env, 2)
	st.Retire, _ = ParseRetire("keep=24h")
	p := plan(t, env.Client, "worker-2.2.0", st, "role:worker", "env:prod")
	e, err := apply(t, env.Client, p, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := ReadJournal(e.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	untagged := map[int]bool{}
	checked := 0
	for _, r := range recs {
		if r.Kind != KindIntent {
			continue
		}
		switch r.Op {
		case OpUntag:
			for _, id := range r.Droplets {
				untagged[id] = true
			}
		case OpPowerOff:
			for _, rp := range p.Replacements() {
				if rp.Old.ID == r.Droplets[0] && len(rp.TagLBs) > 0 {
					checked++
					if !untagged[rp.Old.ID] {
						t.Errorf("droplet %d powered off while still in tag-based load balancers", rp.Old.ID)
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no kept droplet was in a tag-based load balancer")
	}
}

// A retire that took the old droplets out of tag-based load balancers but stopped
// before they were kept (here a power off refused) is rolled back with the old
// droplets back in those load balancers.
func TestRollbackOfAnUnfinishedKeepRestoresTagLoadBalancers(t *testing.T) {
	env := startSim(t, dosim.Config{})
	before := snapshot(t, env.Client)
	st := testStrategy(env, 4)
	st.Retire, _ = ParseRetire("keep=24h")
	p := plan(t, env.Client, "worker-2.2.0", st, "role:worker", "env:prod")
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "POST", Path: "/v2/droplets/*/actions", Status: 400, Count: 1}); err != nil {
		t.Fatal(err)
	}
	opt := testOptions(t)
	e, err := apply(t, env.Client, p, opt)
	if err == nil {
		t.Fatal("the run ended well despite a refused power off")
	}
	rollback(t, env.Client, e.JournalPath(), opt)
	after := snapshot(t, env.Client)
	for _, r := range p.Replacements() {
		if d := after.byID[r.Old.ID]; d.Status != "active" || !hasAll(d.Tags, r.Old.Tags) {
			t.Errorf("%s is %s with tags %v after the rollback, had %v", r.Old.Name, d.Status, d.Tags, r.Old.Tags)
		}
	}
	sameFleet(t, env.Client, before, p)
}

// A probe judges the droplet's own answer: a redirect (to HTTPS, or to a name served by
// the old fleet) passes as a 3xx and is not followed elsewhere.
func TestHealthProbeDoesNotFollowRedirects(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close() // the redirect leads nowhere: following it would fail the probe
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, goneURL+"/healthz", http.StatusFound)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())
	opt, err := Options{Dir: t.TempDir()}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	e := &Executor{health: opt.HealthClient}
	e.plan.Strategy.Health = HealthCheck{Kind: HealthHTTP, Port: port, Path: "/healthz", ProbeTimeout: Duration(time.Second)}
	ok, _, detail := e.probe(context.Background(), u.Hostname())
	if !ok || detail != "HTTP 302" {
		t.Errorf("probe = %v, %q; want a pass on the droplet's own HTTP 302", ok, detail)
	}
}

// A keep rollout behind a tag-based load balancer or a reserved IP, crashed after any
// journal record and then rolled back, leaves every old droplet on, with its tags, in
// its load balancer and holding its address.
func TestCrashThenRollbackRestoresHandover(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ role, target string }{{"worker", "worker-2.2.0"}, {"edge", "edge-1.1.0"}} {
		t.Run(tc.role, func(t *testing.T) { crashThenRollback(t, tc.role, tc.target) })
	}
}

func crashThenRollback(t *testing.T, role, target string) {
	setup := func(t *testing.T) (*dosimtest.Env, world, Plan, Options) {
		env := startSim(t, dosim.Config{})
		st := testStrategy(env, 2)
		st.Retire, _ = ParseRetire("keep=24h")
		var two []fleet.Server
		for _, s := range servers(t, env.Client, "role:"+role, "env:prod") {
			// Workers share a tag-based load balancer in nyc3; edges hold one reserved IP
			// per region, on the first droplet of each.
			pick := s.Region == "nyc3"
			if role == "edge" {
				pick = len(two) == 0 || two[len(two)-1].Region != s.Region
			}
			if len(s.VolumeIDs) == 0 && len(two) < 2 && pick {
				two = append(two, s)
			}
		}
		in, err := Gather(context.Background(), env.Client, "two servers", two, image(t, env.Client, target), st)
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPlan(in)
		if err != nil {
			t.Fatal(err)
		}
		return env, snapshot(t, env.Client), p, testOptions(t)
	}
	env, _, p, opt := setup(t)
	for _, r := range p.Replacements() {
		if len(r.TagLBs) == 0 && r.ReservedIP == "" {
			t.Fatalf("%s is in no tag-based load balancer and holds no reserved IP", r.Old.Name)
		}
	}
	e, err := apply(t, env.Client, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := ReadJournal(e.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k < len(recs); k++ {
		t.Run(fmt.Sprint("record ", k), func(t *testing.T) {
			env, before, p, opt := setup(t)
			ipsBefore := reservedIPs(t, env.Client)
			opt.crashAt = k
			e, err := Start(env.Client, p, opt)
			if err != nil {
				t.Fatal(err)
			}
			if err := run(t, e); !errors.Is(err, errCrashed) {
				t.Fatalf("no crash at record %d: %v", k, err)
			}
			opt.crashAt = 0
			rollback(t, env.Client, e.JournalPath(), opt)
			after := snapshot(t, env.Client)
			for _, r := range p.Replacements() {
				if d := after.byID[r.Old.ID]; d.Status != "active" || !hasAll(d.Tags, r.Old.Tags) {
					t.Errorf("%s is %s with tags %v after the rollback, had %v", r.Old.Name, d.Status, d.Tags, r.Old.Tags)
				}
			}
			if got := reservedIPs(t, env.Client); !mapsEqual(got, ipsBefore) {
				t.Errorf("after the rollback reserved IPs point at %v, want %v", got, ipsBefore)
			}
			sameFleet(t, env.Client, before, p)
		})
	}
}

// A load balancer that refuses once to let the old droplets go (say, busy with another
// change) must not keep sending traffic to them once they are powered off.
func TestRefusedLoadBalancerRemoveLeavesNoOldDropletInService(t *testing.T) {
	env := startSim(t, dosim.Config{})
	st := testStrategy(env, 4)
	st.Retire, _ = ParseRetire("keep=24h")
	p := plan(t, env.Client, "web-1.6.0", st, "role:web", "env:prod")
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "DELETE", Path: "/v2/load_balancers/*/droplets", Status: 422, Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := apply(t, env.Client, p, testOptions(t))
	w := snapshot(t, env.Client)
	for _, lb := range w.lbs {
		for _, id := range lb.DropletIDs {
			if d := w.byID[id]; d.Status != "active" {
				t.Errorf("load balancer %s lists droplet %d (%s), which is %s (run: %v)", lb.Name, id, d.Name, d.Status, err)
			}
		}
	}
}

// Two rollouts planned before either locks (an operator slow to confirm): the one that
// locks second finds the other's tag on the droplets and stops before any change.
func TestLockTakenAfterThePlanIsRefusedAtStart(t *testing.T) {
	env := startSim(t, dosim.Config{})
	st := testStrategy(env, 2)
	st.Canary = 1
	first := plan(t, env.Client, "web-1.6.0", st, "role:web")
	// The second selection leaves out the canary, which the first retires before its
	// checkpoint.
	rest := slices.DeleteFunc(servers(t, env.Client, "role:web"), func(s fleet.Server) bool {
		return s.ID == first.Waves[0].Replacements[0].Old.ID
	})
	in, err := Gather(context.Background(), env.Client, "web but the canary", rest, image(t, env.Client, "web-1.6.0"), st)
	if err != nil {
		t.Fatal(err)
	}
	second, err := NewPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	e := start(t, env, first, testOptions(t))
	var late error
	var created int
	var lateID string
	wait := watch(e, func(ev Event) {
		if _, ok := ev.(CheckpointReached); ok {
			before := env.Sim.Stats().DropletsCreated
			l := start(t, env, second, testOptions(t))
			lateID = l.ID()
			late = run(t, l)
			created = env.Sim.Stats().DropletsCreated - before
			e.Abort(false)
		}
	})
	mustErr(t, run(t, e), ErrAborted)
	wait()
	var le *LockedError
	if !errors.As(late, &le) || le.Rollout != e.ID() {
		t.Errorf("second rollout: %v, want a refusal naming rollout %s", late, e.ID())
	}
	if created != 0 {
		t.Errorf("the refused rollout created %d droplets", created)
	}
	for _, d := range snapshot(t, env.Client).byID {
		if slices.Contains(d.Tags, RolloutTag(lateID)) {
			t.Errorf("droplet %d still carries the refused rollout's tag", d.ID)
		}
	}
}

// A selected droplet destroyed between the plan and the apply makes the lock fail for
// good: the rollout ends there, aborted with nothing changed, rather than stopping as
// resumable when every resume would fail the same way.
func TestLockRefusedEndsTheRolloutUnchanged(t *testing.T) {
	env := startSim(t, dosim.Config{})
	p := plan(t, env.Client, "web-1.6.0", testStrategy(env, 2), "role:web", "env:prod")
	if _, err := env.Client.Droplets.Delete(context.Background(), p.Waves[0].Replacements[0].Old.ID); err != nil {
		t.Fatal(err)
	}
	created := env.Sim.Stats().DropletsCreated
	opt := testOptions(t)
	e, err := apply(t, env.Client, p, opt)
	mustErr(t, err, ErrAborted)
	if n := env.Sim.Stats().DropletsCreated - created; n != 0 {
		t.Errorf("created %d droplets", n)
	}
	for _, d := range snapshot(t, env.Client).byID {
		if withMolt(d) {
			t.Errorf("droplet %d carries a lock tag: %v", d.ID, d.Tags)
		}
	}
	if _, err := Resume(env.Client, e.JournalPath(), opt); err == nil {
		t.Error("the refused rollout can be resumed")
	}
}
