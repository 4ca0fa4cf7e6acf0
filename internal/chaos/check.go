package chaos

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// The invariants, as violations name them.
const (
	InvLost        = "server lost"        // a server of the start has no active droplet at the end
	InvDuplicate   = "duplicate"          // two droplets serve under one name
	InvOrphan      = "orphan"             // a droplet nobody had at the start, tracked by nobody
	InvLockLeft    = "lock left"          // a droplet still carries a rollout's lock tag
	InvCollateral  = "collateral"         // a server outside every selection was replaced
	InvVersion     = "version"            // a server runs an image its rollout cannot explain
	InvUnhealthy   = "unhealthy"          // a server of the selection is not active and healthy
	InvLB          = "load balancer"      // a load balancer does not list exactly the servers it listed
	InvReservedIP  = "reserved IP"        // a reserved IP is not on the server it was on
	InvVolume      = "volume"             // a volume is not on the server it was on
	InvHealthyMin  = "healthy in service" // fewer healthy servers in service than at the start
	InvJournal     = "journal"            // a journal unreadable, hidden, or left unfinished
	InvToken       = "token"              // the token written somewhere
	InvTwoDrivers  = "two drivers"        // two processes changed one rollout at once
	InvBothRefused = "both refused"       // two operators started at once and neither proceeded
	InvExit        = "exit code"          // a command's exit code says something its journal does not
	InvTransient   = "transient error"    // a command gave up on an API error a bounded retry absorbs
	InvDeadEnd     = "dead end"           // the operator could not bring the rollout to an end
	InvHang        = "hang"               // a command did not end in time
)

// Violation is an invariant that did not hold, and how.
type Violation struct {
	Invariant string
	Detail    string
}

func (v Violation) String() string { return v.Invariant + ": " + v.Detail }

// Expect is what the end of the run may look like, from the rollouts' outcomes.
type Expect struct {
	// Selected are the servers some rollout could replace, by name.
	Selected map[string]bool
	// Allowed lists the images a selected server may run at the end, beside the one it
	// ran at the start: the targets of rollouts that did not end rolled back.
	Allowed map[string][]int
}

// lockTag is a rollout's lock tag: molt:<id> with nothing after the id.
var lockTag = regexp.MustCompile(`^molt:\d{8}-\d{6}-[0-9a-f]{4}$`)

// CheckWorld compares the world at the end with the world at the start: every server
// is there once, active and healthy, on an image its rollout explains, in the load
// balancers, reserved IPs and volumes it had, and nothing else is left.
func CheckWorld(start, end World, exp Expect) []Violation {
	var vs []Violation
	add := func(inv, format string, a ...any) { vs = append(vs, Violation{inv, fmt.Sprintf(format, a...)}) }
	startNames, endNames := start.byName(), end.byName()
	for _, name := range sortedKeys(startNames) {
		checkServer(name, startNames[name][0], endNames[name], end, exp, add)
	}
	for _, name := range sortedKeys(endNames) {
		if _, ok := startNames[name]; !ok {
			for _, d := range endNames[name] {
				add(InvOrphan, "droplet %d %q (%s, tags %s) was not there at the start", d.ID, d.Name, d.Status, strings.Join(d.Tags, " "))
			}
		}
	}
	for _, d := range end.Droplets {
		for _, t := range d.Tags {
			if lockTag.MatchString(t) {
				add(InvLockLeft, "droplet %d %q still carries %s", d.ID, d.Name, t)
			}
		}
	}
	vs = append(vs, checkLBs(start, end)...)
	vs = append(vs, checkAttachments(start, end)...)
	return vs
}

// checkServer checks one server of the start: one droplet at the end, active and
// healthy, the same droplet unless selected, on an image its rollout explains.
func checkServer(name string, was Droplet, now []Droplet, end World, exp Expect, add func(string, string, ...any)) {
	var active []Droplet
	for _, d := range now {
		if d.Status == "active" {
			active = append(active, d)
		}
	}
	if len(now) > 1 {
		add(InvDuplicate, "%q has %d droplets: %s", name, len(now), describe(now))
	}
	if len(active) == 0 {
		if len(now) == 0 {
			add(InvLost, "%q (droplet %d) has no droplet at the end", name, was.ID)
		} else {
			add(InvLost, "%q has no active droplet at the end: %s", name, describe(now))
		}
		return
	}
	d := active[0]
	if !exp.Selected[name] {
		if d.ID != was.ID {
			add(InvCollateral, "%q was in no selection but droplet %d became %d", name, was.ID, d.ID)
		}
		return
	}
	if d.ImageID != was.ImageID && !slices.Contains(exp.Allowed[name], d.ImageID) {
		add(InvVersion, "%q runs %s; it ran %s and its rollouts allow %s", name, end.imageName(d.ImageID),
			end.imageName(was.ImageID), imageNames(end, exp.Allowed[name]))
	}
	if !end.Healthy[d.ID] {
		add(InvUnhealthy, "%q (droplet %d at %s) does not answer /healthz with 200 at the end", name, d.ID, d.IP)
	}
}

// checkLBs: each load balancer lists, at the end, one active droplet for each name it
// listed at the start, and nothing else. (A second droplet under a name is a
// duplicate, reported as such; the load balancer is exact when it lists one of them.)
func checkLBs(start, end World) []Violation {
	var vs []Violation
	startByID, endByID := start.byID(), end.byID()
	endLBs := map[string]LB{}
	for _, lb := range end.LBs {
		endLBs[lb.ID] = lb
	}
	for _, lb := range start.LBs {
		want := map[string]bool{}
		for _, id := range lb.Members {
			want[startByID[id].Name] = true
		}
		listed := map[string]int{}
		var extra []int
		for _, id := range endLBs[lb.ID].Members {
			d, ok := endByID[id]
			if !ok || d.Status != "active" || !want[d.Name] {
				extra = append(extra, id)
				continue
			}
			listed[d.Name]++
			if listed[d.Name] > 1 {
				extra = append(extra, id)
			}
		}
		var missing []string
		for _, n := range sortedKeys(want) {
			if listed[n] == 0 {
				missing = append(missing, fmt.Sprintf("%q", n))
			}
		}
		if len(missing)+len(extra) > 0 {
			vs = append(vs, Violation{InvLB, fmt.Sprintf("%s lacks %s and lists %s beyond one active droplet per server",
				lb.Name, orNothing(missing), names(endByID, extra))})
		}
	}
	return vs
}

func orNothing(s []string) string {
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}

// checkAttachments: each reserved IP and volume is on a droplet now serving under the
// name it was on at the start (one of them, when a name has a duplicate).
func checkAttachments(start, end World) []Violation {
	var vs []Violation
	startByID, endByID := start.byID(), end.byID()
	nameOf := func(byID map[int]Droplet, ids []int) []string {
		var out []string
		for _, id := range ids {
			if d, ok := byID[id]; ok {
				out = append(out, d.Name)
			} else {
				out = append(out, fmt.Sprintf("(gone %d)", id))
			}
		}
		slices.Sort(out)
		return out
	}
	for _, ip := range sortedKeys(start.ReservedIPs) {
		was, now := nameOf(startByID, nonzero(start.ReservedIPs[ip])), nameOf(endByID, nonzero(end.ReservedIPs[ip]))
		if !slices.Equal(was, now) {
			vs = append(vs, Violation{InvReservedIP, fmt.Sprintf("%s was on %s and is on %s", ip, orNothing(was), orNothing(now))})
		}
	}
	for _, vol := range sortedKeys(start.Volumes) {
		was, now := nameOf(startByID, start.Volumes[vol]), nameOf(endByID, end.Volumes[vol])
		if !slices.Equal(was, now) {
			vs = append(vs, Violation{InvVolume, fmt.Sprintf("volume %s was on %s and is on %s", vol, orNothing(was), orNothing(now))})
		}
	}
	return vs
}

func nonzero(id int) []int {
	if id == 0 {
		return nil
	}
	return []int{id}
}

func names(byID map[int]Droplet, ids []int) string {
	if len(ids) == 0 {
		return "nothing"
	}
	var out []string
	for _, id := range ids {
		if d, ok := byID[id]; ok {
			out = append(out, fmt.Sprintf("%d %q", id, d.Name))
		} else {
			out = append(out, fmt.Sprintf("%d (gone)", id))
		}
	}
	return strings.Join(out, ", ")
}

func describe(ds []Droplet) string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%d (%s, tags %s)", d.ID, d.Status, strings.Join(d.Tags, " ")))
	}
	return strings.Join(out, "; ")
}

func imageNames(w World, ids []int) string {
	if len(ids) == 0 {
		return "no other"
	}
	var out []string
	for _, id := range ids {
		out = append(out, w.imageName(id))
	}
	return strings.Join(out, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
