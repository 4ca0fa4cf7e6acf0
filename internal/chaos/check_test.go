package chaos

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// startWorld is a small world: two web servers behind a load balancer (one selected),
// an edge server holding a reserved IP and a worker with a volume.
func startWorld() World {
	return World{
		Droplets: []Droplet{
			{ID: 1, Name: "web-1", Status: "active", ImageID: 10, IP: "127.0.0.1", Tags: []string{"role:web"}},
			{ID: 2, Name: "web-2", Status: "active", ImageID: 10, IP: "127.0.0.2", Tags: []string{"role:web"}},
			{ID: 3, Name: "edge-1", Status: "active", ImageID: 20, IP: "127.0.0.3"},
			{ID: 4, Name: "worker-1", Status: "active", ImageID: 30, IP: "127.0.0.4"},
		},
		LBs:         []LB{{ID: "lb", Name: "web-lb", Members: []int{1, 2}}},
		ReservedIPs: map[string]int{"203.0.113.1": 3, "203.0.113.2": 0},
		Volumes:     map[string][]int{"vol": {4}},
		Healthy:     map[int]bool{1: true, 2: true, 3: true, 4: true},
		Images:      map[int]string{10: "web-1.5.0", 11: "web-1.6.0", 12: "web-1.7.0", 20: "edge-1", 30: "worker-1"},
	}
}

// replaced is the world after web-1 was replaced onto image 11 as droplet 101, well.
func replaced() World {
	w := clone(startWorld())
	w.Droplets[0] = Droplet{ID: 101, Name: "web-1", Status: "active", ImageID: 11, IP: "127.0.0.101",
		Tags: []string{"role:web", "molt:20261130-121540-6211:g1"}}
	w.LBs[0].Members = []int{2, 101}
	w.Healthy[101] = true
	delete(w.Healthy, 1)
	return w
}

func expectWeb1() Expect {
	return Expect{Selected: map[string]bool{"web-1": true}, Allowed: map[string][]int{"web-1": {11}}}
}

func clone(w World) World {
	out := w
	out.Droplets = nil
	for _, d := range w.Droplets {
		d.Tags = slices.Clone(d.Tags)
		out.Droplets = append(out.Droplets, d)
	}
	out.LBs = nil
	for _, lb := range w.LBs {
		lb.Members = slices.Clone(lb.Members)
		out.LBs = append(out.LBs, lb)
	}
	out.ReservedIPs, out.Volumes, out.Healthy = map[string]int{}, map[string][]int{}, map[int]bool{}
	for k, v := range w.ReservedIPs {
		out.ReservedIPs[k] = v
	}
	for k, v := range w.Volumes {
		out.Volumes[k] = slices.Clone(v)
	}
	for k, v := range w.Healthy {
		out.Healthy[k] = v
	}
	return out
}

func TestCheckWorldHoldsForAGoodEnd(t *testing.T) {
	if vs := CheckWorld(startWorld(), startWorld(), expectWeb1()); len(vs) != 0 {
		t.Errorf("nothing changed, yet: %v", vs)
	}
	if vs := CheckWorld(startWorld(), replaced(), expectWeb1()); len(vs) != 0 {
		t.Errorf("web-1 replaced as it should be, yet: %v", vs)
	}
}

// Each broken world must fail the invariant that names what broke, and only it.
func TestCheckWorldCatchesEachBrokenWorld(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(w *World)
		want   []string
	}{
		{"server gone", func(w *World) { w.Droplets = w.Droplets[1:]; w.LBs[0].Members = []int{2} }, []string{InvLB, InvLost}},
		{"server off", func(w *World) { w.Droplets[0].Status = "off" }, []string{InvLB, InvLost}},
		{"duplicate outside the load balancer", func(w *World) {
			w.Droplets = append(w.Droplets, Droplet{ID: 102, Name: "web-1", Status: "active", ImageID: 11, Tags: []string{"molt:20261130-121540-6211:g1"}})
			w.Healthy[102] = true
		}, []string{InvDuplicate}},
		{"duplicate in the load balancer too", func(w *World) {
			w.Droplets = append(w.Droplets, Droplet{ID: 102, Name: "web-1", Status: "active", ImageID: 11})
			w.Healthy[102] = true
			w.LBs[0].Members = []int{2, 101, 102}
		}, []string{InvDuplicate, InvLB}},
		{"orphan", func(w *World) {
			w.Droplets = append(w.Droplets, Droplet{ID: 103, Name: "web-9", Status: "new"})
		}, []string{InvOrphan}},
		{"lock left", func(w *World) { w.Droplets[1].Tags = append(w.Droplets[1].Tags, "molt:20261130-121540-6211") }, []string{InvLockLeft}},
		{"unselected replaced", func(w *World) {
			w.Droplets[2].ID = 104
			w.ReservedIPs["203.0.113.1"] = 104
			w.Healthy[104] = true
		}, []string{InvCollateral}},
		{"unexplained image", func(w *World) { w.Droplets[0].ImageID = 12 }, []string{InvVersion}},
		{"unhealthy", func(w *World) { w.Healthy[101] = false }, []string{InvUnhealthy}},
		{"load balancer lacks one", func(w *World) { w.LBs[0].Members = []int{2} }, []string{InvLB}},
		{"load balancer lists the old one", func(w *World) {
			w.LBs[0].Members = []int{1, 2, 101}
		}, []string{InvLB}},
		{"reserved IP elsewhere", func(w *World) { w.ReservedIPs["203.0.113.1"] = 4 }, []string{InvReservedIP}},
		{"unassigned reserved IP taken", func(w *World) { w.ReservedIPs["203.0.113.2"] = 2 }, []string{InvReservedIP}},
		{"volume detached", func(w *World) { w.Volumes["vol"] = nil }, []string{InvVolume}},
		{"volume on a gone droplet", func(w *World) { w.Volumes["vol"] = []int{999} }, []string{InvVolume}},
		{"volume on a duplicate", func(w *World) {
			w.Droplets = append(w.Droplets, Droplet{ID: 105, Name: "worker-1", Status: "active", ImageID: 30})
			w.Healthy[105] = true
			w.Volumes["vol"] = []int{105}
		}, []string{InvDuplicate}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			end := replaced()
			c.break_(&end)
			if got := invariants(CheckWorld(startWorld(), end, expectWeb1())); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestCheckWorldRolledBackAllowsOnlyTheSource(t *testing.T) {
	exp := expectWeb1()
	exp.Allowed = nil // the rollout ended rolled back
	vs := CheckWorld(startWorld(), replaced(), exp)
	if got := invariants(vs); !reflect.DeepEqual(got, []string{InvVersion}) {
		t.Errorf("got %v, want a version violation", vs)
	}
}

func invariants(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v.Invariant) {
			out = append(out, v.Invariant)
		}
	}
	slices.Sort(out)
	return out
}

func TestCheckSamples(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	good := []UnitStat{{Unit: "load balancer web", Start: 10, Min: 10, Samples: 40}, {Unit: "reserved IP x", Start: 1, Min: 1, Samples: 3}}
	if vs := CheckSamples(good); len(vs) != 0 {
		t.Errorf("never below the start, yet: %v", vs)
	}
	bad := append(good, UnitStat{Unit: "load balancer api", Start: 10, Min: 9, MinAt: at, Samples: 40})
	vs := CheckSamples(bad)
	if len(vs) != 1 || vs[0].Invariant != InvHealthyMin || !strings.Contains(vs[0].Detail, "load balancer api had 9") {
		t.Errorf("one unit dipped to 9 of 10, got %v", vs)
	}
}

func TestCheckDrivers(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 11, 30, 12, 0, s, 0, time.UTC) }
	apart := []Driven{{Proc: "apply", Rollout: "r", From: at(0), To: at(5)}, {Proc: "resume", Rollout: "r", From: at(6), To: at(9)}}
	if vs := CheckDrivers(apart); len(vs) != 0 {
		t.Errorf("one after the other, yet: %v", vs)
	}
	others := []Driven{{Proc: "a", Rollout: "r1", From: at(0), To: at(5)}, {Proc: "b", Rollout: "r2", From: at(1), To: at(4)}}
	if vs := CheckDrivers(others); len(vs) != 0 {
		t.Errorf("two rollouts at once, yet: %v", vs)
	}
	both := []Driven{apart[0], {Proc: "resume", Rollout: "r", From: at(3), To: at(9)}}
	if vs := CheckDrivers(both); len(vs) != 1 || vs[0].Invariant != InvTwoDrivers {
		t.Errorf("apply and resume both changed r from 0:03 to 0:05, got %v", vs)
	}
}

func TestCheckOperators(t *testing.T) {
	sel := []string{"web-1", "web-2"}
	winner := Operator{Proc: "a", Code: 0, Rollout: "20261130-121540-aaaa", Started: true, Selected: sel}
	loser := Operator{Proc: "b", Code: 5, Rollout: "20261130-121540-bbbb", Stderr: "rollout 20261130-121540-aaaa holds web-1", Selected: sel[:1]}
	cases := []struct {
		name string
		a, b Operator
		want []string
	}{
		{"one proceeds, the other names it", winner, loser, nil},
		{"both refused", func() Operator { o := winner; o.Code, o.Started = 5, false; return o }(), loser, []string{InvBothRefused}},
		{"both proceeded", winner, func() Operator { o := loser; o.Code, o.Started = 0, true; return o }(), []string{InvTwoDrivers}},
		{"refused without a name", winner, func() Operator { o := loser; o.Stderr = "locked"; return o }(), []string{InvExit}},
		{"apart", winner, func() Operator { o := loser; o.Code, o.Started, o.Selected = 0, true, []string{"web-3"}; return o }(), nil},
	}
	for _, c := range cases {
		if got := invariants(CheckOperators(c.a, c.b)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCheckExit(t *testing.T) {
	cases := []struct {
		e   Exit
		bad bool
	}{
		{Exit{Code: 0, State: "done"}, false},
		{Exit{Code: 0, State: "interrupted"}, true},
		{Exit{Code: 4, State: "interrupted", Signal: "TERM"}, false},
		{Exit{Code: 1, State: "interrupted", Signal: "HUP"}, true},
		{Exit{Code: 137, Signal: "KILL"}, false},
		{Exit{Code: 4, State: "done"}, true},
		{Exit{Code: 3, State: "rolled_back"}, false},
		{Exit{Code: 3, State: "running"}, true},
		{Exit{Code: 1, State: "running", Created: true}, true},
		{Exit{Code: 1, State: "aborted", Created: true}, false},
		{Exit{Code: 5, State: "aborted", Created: true}, false},
		{Exit{Code: 1, Said: "molt: the API at http://x answered 502 Bad Gateway; try again", Transient: true}, true},
		{Exit{Code: 1, Said: "molt: the API at http://x answered 502 Bad Gateway; try again"}, false},
		{Exit{Code: 1, Said: "molt: rollout x is already done", Transient: true}, false},
	}
	for _, c := range cases {
		if vs := CheckExit(c.e); (len(vs) > 0) != c.bad {
			t.Errorf("%+v: got %v, want a violation: %v", c.e, vs, c.bad)
		}
	}
}

func TestCheckJournals(t *testing.T) {
	cases := []struct {
		f    JournalFile
		want string
	}{
		{JournalFile{Path: "a", State: "done", Listed: true, Named: true}, ""},
		{JournalFile{Path: "a", Err: "damaged at line 16", Named: true}, "is damaged: damaged at line 16"},
		{JournalFile{Path: "a", Err: "no header"}, "does not say so"},
		{JournalFile{Path: "a", State: "done"}, "does not list it"},
		{JournalFile{Path: "a", State: "interrupted", Listed: true}, "is left interrupted"},
		{JournalFile{Path: "a", State: "done", Kept: 2, Listed: true}, "keeps 2"},
	}
	for _, c := range cases {
		vs := CheckJournals([]JournalFile{c.f})
		if c.want == "" && len(vs) != 0 || c.want != "" && (len(vs) != 1 || !strings.Contains(vs[0].Detail, c.want)) {
			t.Errorf("%+v: got %v, want %q", c.f, vs, c.want)
		}
	}
}
