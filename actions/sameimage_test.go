package actions

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/molt-sh/molt/fleet"
)

// A plan onto the image each server runs: every replacement targets its own server's
// image, servers on different images never share a create request, those with no image
// of their own to keep are skipped and say why, the rule that picked each is carried,
// and the image checks of a common target do not apply.
func TestSameImagePlan(t *testing.T) {
	distro := fleet.Version{ImageID: 7, Name: "ubuntu-22-04-x64", Type: "base", Regions: []string{"nyc3"}, Status: "available"}
	gone := fleet.Version{ImageID: 13, Name: "web-1.3.0", Regions: []string{}, Status: "deleted"}
	in := input(server(1, "web-a", "nyc3", v14), server(2, "web-b", "nyc3", v15), server(3, "web-c", "nyc3", v14),
		server(4, "web-d", "fra1", v16), server(5, "bastion", "nyc3", distro), server(6, "web-f", "nyc3", gone))
	in.Target, in.SameImage, in.Strategy.Surge = CurrentImage, true, 10
	in.Picked = map[int]string{1: "drifted: resize 2026-10-01", 2: "older than 60d"}
	p, err := NewPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	groups := map[int]int{} // group -> image
	for _, r := range p.Replacements() {
		if got := p.TargetOf(r); got.ImageID != r.Old.Image.ImageID {
			t.Errorf("%s on %s is replaced onto %s", r.Old.Name, r.Old.Image.Name, got.Name)
		}
		if im, ok := groups[r.Group]; ok && im != r.Old.Image.ImageID {
			t.Errorf("group %d mixes images %d and %d", r.Group, im, r.Old.Image.ImageID)
		}
		groups[r.Group] = r.Old.Image.ImageID
		if r.Picked != in.Picked[r.Old.ID] {
			t.Errorf("%s: picked %q, want %q", r.Old.Name, r.Picked, in.Picked[r.Old.ID])
		}
	}
	if n := len(p.Replacements()); n != 3 || len(groups) != 2 || !p.SameImage || p.Target.Name != CurrentImage.Name {
		t.Errorf("%d replacements in %d groups (same image %v, target %q)", n, len(groups), p.SameImage, p.Target.Name)
	}
	for _, w := range p.Warnings {
		if strings.Contains(w, CurrentImage.Name) {
			t.Errorf("a guard's warning about the common target: %s", w)
		}
	}
	if len(p.Guards) != 0 {
		t.Errorf("guards of a common target: %+v", p.Guards)
	}
	skipped := map[string]string{}
	for _, s := range p.Skipped {
		skipped[s.Server.Name] = s.Reason
	}
	want := map[string]string{
		"bastion": "runs the distribution image ubuntu-22-04-x64, not an image of its own to keep: replace it with --to IMAGE",
		"web-f":   "its image web-1.3.0 is deleted: replace it with --to IMAGE",
		"web-d":   "its image web-1.6.0 is no longer in fra1: copy it there, or replace it with --to IMAGE",
	}
	if fmt.Sprint(skipped) != fmt.Sprint(want) {
		t.Errorf("skipped %v,\nwant %v", skipped, want)
	}
	// The journal's header carries the plan: a resumed run reads each target back.
	data, _ := json.Marshal(p)
	var back Plan
	if err := json.Unmarshal(data, &back); err != nil || back.TargetOf(back.Replacements()[0]).ImageID != v14.ImageID {
		t.Errorf("the plan read back: %v, %+v", err, back.Replacements()[0].Target)
	}
}

// Replacing servers onto the image each runs keeps every guarantee of the engine: a
// crash, then a resume, leaves each server replaced (a new droplet) on the image it ran,
// none duplicated or untracked, load balancers listing only droplets that passed a
// health check. What differs from a common target is the image of each create request,
// so the crashes are around every create (its intent, its result and the record after)
// and at the last record; TestCrashAtEveryJournalBoundary crashes a common target's
// rollout at every record.
func TestSameImageCrashAroundEveryCreate(t *testing.T) {
	t.Parallel()
	c := newCrashCaseOnto(t, "destroy", "")
	path, _ := c.crashAt(t, 0, "")
	recs, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	c.check(t, path, false)
	c.replaced(t)
	var points []int
	for i, r := range recs {
		if r.Op == OpCreate {
			points = append(points, i+1, i+2)
		}
	}
	points = append(points, len(recs)-1)
	for _, k := range slices.Compact(points) {
		t.Run(fmt.Sprint("record ", k), func(t *testing.T) {
			c := newCrashCaseOnto(t, "destroy", "")
			path, crashed := c.crashAt(t, k, "")
			if !crashed {
				t.Fatalf("no crash at record %d of %d", k, len(recs))
			}
			c.resume(t, path)
			c.check(t, path, false)
			c.replaced(t)
		})
	}
}

// replaced fails t unless every server of the case is a new droplet.
func (c *crashCase) replaced(t *testing.T) {
	t.Helper()
	for id, d := range snapshot(t, c.env.Client).byID {
		if _, old := c.before.byID[id]; old && c.source[d.Name] != 0 {
			t.Errorf("%s (%d) was not replaced", d.Name, id)
		}
	}
}
