package actions

import (
	"slices"
	"strconv"

	"github.com/molt-sh/molt/fleet"
)

// Replacing servers onto the image they already run (molt apply --to current): a
// rehydration of long-lived servers, or a repair of drifted or unhealthy ones by
// replacement. Each replacement carries its own target, the old droplet's image; the
// plan's Target is CurrentImage, which names no image. Everything else — create before
// destroy, the journal, resume, rollback, handover, the lock — is as for any plan.

// CurrentImage is the target of a plan that replaces each server onto the image it runs.
var CurrentImage = fleet.Version{Name: "the image each runs"}

// IsCurrentImage reports whether v is CurrentImage: a plan's target that says each
// server keeps its image (what a cockpit stages for "replace on the same image").
func IsCurrentImage(v fleet.Version) bool { return v.ImageID == 0 && v.Name == CurrentImage.Name }

// TargetOf is the image r's new droplet is made from: its own target, else the plan's.
func (p Plan) TargetOf(r Replacement) fleet.Version {
	if r.Target != nil {
		return *r.Target
	}
	return p.Target
}

// sameImageSkip is why an active server cannot be replaced onto the image it runs, or "".
func sameImageSkip(s fleet.Server) string {
	im := s.Image
	switch {
	case fleet.IsDistribution(im):
		return "runs the distribution image " + versionName(im) + ", not an image of its own to keep: replace it with --to IMAGE"
	case im.ImageID == 0:
		return "its image is unknown: replace it with --to IMAGE"
	case im.Status != "" && im.Status != "available":
		return "its image " + versionName(im) + " is " + im.Status + ": replace it with --to IMAGE"
	case len(im.Regions) > 0 && !slices.Contains(im.Regions, s.Region):
		return "its image " + versionName(im) + " is no longer in " + s.Region + ": copy it there, or replace it with --to IMAGE"
	}
	return ""
}

// groupKey is what must match for two replacements to share a create request: the
// create spec, and the image when each server keeps its own.
func groupKey(in PlanInput, s fleet.Server) string {
	if in.SameImage {
		return specKey(s) + "|" + strconv.Itoa(s.Image.ImageID)
	}
	return specKey(s)
}
