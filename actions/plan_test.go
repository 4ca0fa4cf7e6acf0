package actions

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/molt-sh/molt/fleet"
	"pgregory.net/rapid"
)

var (
	v14 = fleet.Version{ImageID: 14, Name: "web-1.4.0", Regions: []string{"nyc3", "fra1"}, MinDiskSize: 25, Status: "available"}
	v15 = fleet.Version{ImageID: 15, Name: "web-1.5.0", Regions: []string{"nyc3", "fra1"}, MinDiskSize: 25, Status: "available"}
	v16 = fleet.Version{ImageID: 16, Name: "web-1.6.0", Regions: []string{"nyc3"}, MinDiskSize: 25, Status: "available"}
)

func server(id int, name, region string, v fleet.Version, tags ...string) fleet.Server {
	return fleet.Server{ID: id, Name: name, Region: region, Size: "s-2vcpu-4gb", Disk: 80, Status: "active",
		Image: v, Tags: append([]string{"role:web"}, tags...), VPCUUID: "vpc-" + region}
}

func input(servers ...fleet.Server) PlanInput {
	st := DefaultStrategy()
	return PlanInput{Selection: "tag role:web", Servers: servers, Target: v15, Strategy: st,
		Account: Account{DropletLimit: 100, Droplets: 10}, Rate: RateBudget{Limit: 5000, Remaining: 5000, PerMinute: 250}}
}

func slotsOf(p Plan) [][]int {
	var out [][]int
	for _, w := range p.Waves {
		var ids []int
		for _, r := range w.Replacements {
			ids = append(ids, r.Old.ID)
		}
		out = append(out, ids)
	}
	return out
}

func TestPlanWaves(t *testing.T) {
	four := []fleet.Server{server(4, "web-d", "nyc3", v14), server(1, "web-a", "nyc3", v14),
		server(3, "web-c", "nyc3", v14), server(2, "web-b", "nyc3", v14)}
	tests := []struct {
		name   string
		surge  int
		canary int
		want   [][]int
	}{
		{"one at a time", 1, 0, [][]int{{1}, {2}, {3}, {4}}},
		{"surge two", 2, 0, [][]int{{1, 2}, {3, 4}}},
		{"surge larger than the selection", 10, 0, [][]int{{1, 2, 3, 4}}},
		{"canary then surge", 2, 1, [][]int{{1}, {2, 3}, {4}}},
		{"canary of everything", 1, 9, [][]int{{1, 2, 3, 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(four...)
			in.Strategy.Surge, in.Strategy.Canary = tt.surge, tt.canary
			p, err := NewPlan(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := slotsOf(p); !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("waves = %v, want %v", got, tt.want)
			}
			if tt.canary > 0 && !p.Waves[0].Canary {
				t.Errorf("first wave is not marked canary")
			}
		})
	}
}

func TestPlanSkips(t *testing.T) {
	onTarget := server(1, "web-a", "nyc3", v15)
	off := server(2, "web-b", "nyc3", v14)
	off.Status = "off"
	withVolume := server(3, "web-c", "nyc3", v14)
	withVolume.VolumeIDs = []string{"vol-1"}
	keptOff := server(5, "web-e", "nyc3", v14, "molt:20250101-120000-abcd")
	keptOff.Status = "off"
	todo := server(4, "web-d", "nyc3", v14)
	tests := []struct {
		name   string
		move   bool
		server fleet.Server
		reason string
	}{
		{"already on the target", false, onTarget, "already on web-1.5.0"},
		{"powered off", false, off, "powered off"},
		{"kept by a rollout", false, keptOff, "powered off, kept by rollout 20250101-120000-abcd"},
		{"volumes without --move-volumes", false, withVolume, "has attached volumes (use --move-volumes to move them)"},
		{"volumes with --move-volumes", true, withVolume, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(tt.server, todo)
			in.Strategy.MoveVolumes = tt.move
			p, err := NewPlan(in)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, s := range p.Skipped {
				if s.Server.ID == tt.server.ID {
					got = s.Reason
				}
			}
			if got != tt.reason {
				t.Errorf("skip reason = %q, want %q", got, tt.reason)
			}
			if tt.reason == "" && len(p.Replacements()) != 2 {
				t.Errorf("replacements = %d, want 2", len(p.Replacements()))
			}
		})
	}
}

func TestPlanChecks(t *testing.T) {
	tests := []struct {
		name   string
		change func(*PlanInput)
		want   string
	}{
		{"image missing from a region", func(in *PlanInput) {
			in.Target = v16
			in.Servers = append(in.Servers, server(9, "web-z", "fra1", v14), server(8, "web-y", "sfo3", v14))
		}, "image web-1.6.0 is not available in fra1, sfo3"},
		{"droplet limit", func(in *PlanInput) {
			in.Strategy.Surge = 3
			in.Account = Account{DropletLimit: 12, Droplets: 10}
		}, "leaves room for 2 new droplets, and this rollout needs 3 at once"},
		{"keep needs room for every replacement", func(in *PlanInput) {
			in.Strategy.Retire = Retire{Mode: RetireKeep}
			in.Account = Account{DropletLimit: 13, Droplets: 10}
		}, "this rollout needs 4 at once"},
		{"disk too small", func(in *PlanInput) {
			in.Target.MinDiskSize = 100
		}, "needs a 100 GB disk, larger than size s-2vcpu-4gb has"},
		{"image not available", func(in *PlanInput) {
			in.Target.Status = "pending"
		}, "image web-1.5.0 is pending, not available"},
		{"bad strategy", func(in *PlanInput) {
			in.Strategy.Surge = 0
		}, "surge must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(server(1, "web-a", "nyc3", v14), server(2, "web-b", "nyc3", v14),
				server(3, "web-c", "nyc3", v14), server(4, "web-d", "nyc3", v14))
			tt.change(&in)
			_, err := NewPlan(in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestPlanRefusesLockedServers(t *testing.T) {
	in := input(server(1, "web-a", "nyc3", v14, "molt:20250101-120000-abcd"), server(2, "web-b", "nyc3", v14))
	_, err := NewPlan(in)
	var le *LockedError
	if !errors.As(err, &le) || le.Rollout != "20250101-120000-abcd" || !slices.Equal(le.Servers, []string{"web-a"}) {
		t.Fatalf("error = %v, want a LockedError naming rollout 20250101-120000-abcd and web-a", err)
	}
}

func TestPlanHandover(t *testing.T) {
	a, b := server(1, "web-a", "nyc3", v14), server(2, "web-b", "nyc3", v14, "lb:web")
	in := input(a, b)
	in.LBs = []LB{{ID: "lb-1", Name: "web-nyc3", DropletIDs: []int{1, 7}}, {ID: "lb-2", Name: "tagged", Tag: "lb:web"},
		{ID: "lb-3", Name: "other", DropletIDs: []int{7}}}
	in.ReservedIPs = []ReservedIP{{IP: "127.1.251.1", Region: "nyc3", DropletID: 2}}
	p, err := NewPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	rs := p.Replacements()
	if !slices.Equal(rs[0].LBs, []string{"lb-1"}) || rs[0].ReservedIP != "" {
		t.Errorf("web-a hands over %v and %q, want lb-1 only", rs[0].LBs, rs[0].ReservedIP)
	}
	if !slices.Equal(rs[1].TagLBs, []string{"lb:web"}) || rs[1].ReservedIP != "127.1.251.1" {
		t.Errorf("web-b hands over tag LBs %v and IP %q", rs[1].TagLBs, rs[1].ReservedIP)
	}
	if len(p.LBs) != 2 {
		t.Errorf("involved LBs = %v, want lb-1 and lb-2", p.LBs)
	}
	in.Strategy.LB, in.Strategy.ReservedIP = HandoverNone, HandoverNone
	p, _ = NewPlan(in)
	if r := p.Replacements()[1]; len(r.TagLBs) != 0 || r.ReservedIP != "" {
		t.Errorf("with --lb none --reserved-ip none, web-b still hands over %v %q", r.TagLBs, r.ReservedIP)
	}
}

func TestPlanWarnings(t *testing.T) {
	in := input(server(1, "web-a", "nyc3", v14))
	p, _ := NewPlan(in)
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "user data or SSH keys") {
		t.Errorf("warnings = %q, want the launch warning", p.Warnings)
	}
	in.Strategy.Launch = Launch{Source: "flags", SSHKeys: []string{"aa:bb"}}
	p, _ = NewPlan(in)
	if len(p.Warnings) != 0 {
		t.Errorf("warnings = %q, want none", p.Warnings)
	}
}

func TestPlanEstimate(t *testing.T) {
	var servers []fleet.Server
	for i := range 10 {
		servers = append(servers, server(i+1, fmt.Sprintf("web-%02d", i), "nyc3", v14))
	}
	in := input(servers...)
	in.Strategy.Surge = 5
	in.ProvisionTime = 40e9
	in.Strategy.Health.Threshold = 1
	p, _ := NewPlan(in)
	// 2 waves of one create group: create + 2 polls + an identity check + 5 destroys
	// each, and 2 for the lock.
	if p.Estimate.APICalls != 2+2*(3+1+5) {
		t.Errorf("API calls = %d, want %d", p.Estimate.APICalls, 2+2*(3+1+5))
	}
	if p.Estimate.Duration.D() != 80e9 {
		t.Errorf("duration = %v, want 1m20s", p.Estimate.Duration)
	}
}

// TestPlanProperties checks what must hold for any selection and strategy.
func TestPlanProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		versions := []fleet.Version{v14, v15}
		n := rapid.IntRange(0, 40).Draw(t, "servers")
		var servers []fleet.Server
		for i := range n {
			region := rapid.SampledFrom([]string{"nyc3", "fra1"}).Draw(t, "region")
			name := fmt.Sprintf("web-%d", rapid.IntRange(0, 15).Draw(t, "name"))
			s := server(i+1, name, region, rapid.SampledFrom(versions).Draw(t, "version"))
			s.Size = rapid.SampledFrom([]string{"s-2vcpu-4gb", "s-4vcpu-8gb"}).Draw(t, "size")
			servers = append(servers, s)
		}
		in := input(servers...)
		in.Strategy.Surge = rapid.IntRange(1, 12).Draw(t, "surge")
		in.Strategy.Canary = rapid.IntRange(0, 3).Draw(t, "canary")
		p, err := NewPlan(in)
		if err != nil {
			t.Fatalf("plan: %v", err)
		}
		checkPlanShape(t, in, p)
	})
}

func checkPlanShape(t *rapid.T, in PlanInput, p Plan) {
	seen := map[int]bool{}
	for _, s := range p.Skipped {
		seen[s.Server.ID] = true
	}
	slot := 0
	groups := map[int][]Replacement{}
	for wi, w := range p.Waves {
		limit := in.Strategy.Surge
		if w.Canary {
			limit = in.Strategy.Canary
		}
		if len(w.Replacements) == 0 || len(w.Replacements) > limit || w.Canary != (wi == 0 && in.Strategy.Canary > 0) {
			t.Fatalf("wave %d has %d replacements (canary %v), limit %d", wi, len(w.Replacements), w.Canary, limit)
		}
		for _, r := range w.Replacements {
			if seen[r.Old.ID] || r.Old.Image.ImageID == in.Target.ImageID || r.Slot != slot {
				t.Fatalf("server %d: planned twice, already on target, or slot %d out of order", r.Old.ID, r.Slot)
			}
			seen[r.Old.ID] = true
			groups[r.Group] = append(groups[r.Group], r)
			slot++
		}
	}
	if len(seen) != len(in.Servers) {
		t.Fatalf("%d servers accounted for, want %d", len(seen), len(in.Servers))
	}
	for g, rs := range groups {
		names := map[string]bool{}
		for _, r := range rs {
			if names[r.Old.Name] || specKey(r.Old) != specKey(rs[0].Old) || len(rs) > MaxCreateBatch {
				t.Fatalf("create group %d mixes specs, repeats a name or exceeds %d: %v", g, MaxCreateBatch, rs)
			}
			names[r.Old.Name] = true
		}
	}
}
