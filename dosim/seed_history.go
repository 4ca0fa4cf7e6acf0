package dosim

import (
	"sort"
	"strconv"
	"time"
)

// A seeded world has a past: every droplet's create action at its created_at, and in
// the demo a few droplets changed by hand after they were created, the drift the audit
// looks for. Actions are numbered in the order they happened, before any made live.

// historyEvent is one completed action in a seeded world's past.
type historyEvent struct {
	at     time.Time
	typ    string
	d      *Droplet
	params map[string]string
	took   time.Duration
}

// provisionTook is how long a seeded droplet's create took: a typical boot.
const provisionTook = 55 * time.Second

// createEvents are the create actions of every droplet.
func createEvents(w *world) []historyEvent {
	out := make([]historyEvent, 0, len(w.Droplets))
	for _, d := range w.sortedDroplets(nil) {
		out = append(out, historyEvent{at: d.CreatedAt, typ: "create", d: d, took: provisionTook})
	}
	return out
}

// writeHistory records events as completed actions, oldest first, so that action IDs
// follow time. A droplet's create is its CreateAction.
func (w *world) writeHistory(events []historyEvent) {
	sort.SliceStable(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })
	for _, e := range events {
		w.NextAction++
		done := e.at.Add(e.took)
		a := &Action{ID: w.NextAction, Status: "completed", Type: e.typ, StartedAt: e.at, CompletedAt: &done, DoneAt: done,
			ResourceID: e.d.ID, ResourceType: "droplet", Region: e.d.Region, Params: e.params}
		w.addAction(a)
		if e.typ == "create" {
			e.d.CreateAction = a.ID
		}
	}
}

// handChange is a change an operator made to a running demo droplet instead of
// replacing it, some days after it was created.
type handChange struct {
	droplet string
	days    int
	events  func(w *world, d *Droplet, at time.Time) []historyEvent
}

// demoHandChanges are the demo's drift: a resize (off, resize with the disk, on), a
// password reset, a rebuild onto the image it already ran, and a kernel change. Each
// leaves the droplet as the fleet shows it: the resize ends at the role's size.
var demoHandChanges = []handChange{
	{"worker-nyc3-02", 20, resizedUp},
	{"edge-fra1-01", 40, func(_ *world, d *Droplet, at time.Time) []historyEvent {
		return []historyEvent{{at: at, typ: "password_reset", d: d, took: 12 * time.Second}}
	}},
	{"web-nyc3-03", 30, func(_ *world, d *Droplet, at time.Time) []historyEvent {
		return []historyEvent{{at: at, typ: "rebuild", d: d, params: map[string]string{"image": strconv.Itoa(d.ImageID)}, took: 3 * time.Minute}}
	}},
	{"web-fra1-02", 12, func(_ *world, d *Droplet, at time.Time) []historyEvent {
		d.Kernel = &kernels[0]
		return []historyEvent{{at: at, typ: "change_kernel", d: d, params: map[string]string{"kernel": strconv.Itoa(kernels[0].ID)}, took: 40 * time.Second}}
	}},
}

// resizedUp is a droplet created one plan smaller that was powered off, resized with
// its disk to the role's plan, and powered on again.
func resizedUp(_ *world, d *Droplet, at time.Time) []historyEvent {
	return []historyEvent{
		{at: at, typ: "power_off", d: d, took: 8 * time.Second},
		{at: at.Add(2 * time.Minute), typ: "resize", d: d, took: 4 * time.Minute,
			params: map[string]string{"size": d.Size, "disk": strconv.Itoa(sizes[d.Size].Disk), "from": "s-2vcpu-4gb"}},
		{at: at.Add(7 * time.Minute), typ: "power_on", d: d, took: 20 * time.Second},
	}
}

// handChangeEvents applies the demo's hand changes to the droplets that have the names,
// at a time of day that never reaches the world's present.
func handChangeEvents(w *world, base time.Time) []historyEvent {
	byName := map[string]*Droplet{}
	for _, d := range w.Droplets {
		byName[d.Name] = d
	}
	var out []historyEvent
	for _, c := range demoHandChanges {
		d, ok := byName[c.droplet]
		if !ok {
			continue
		}
		at := d.CreatedAt.AddDate(0, 0, c.days).Add(3*time.Hour + 17*time.Minute)
		if at.After(base.Add(-time.Hour)) {
			continue
		}
		out = append(out, c.events(w, d, at)...)
	}
	return out
}
