package actions

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/molt-sh/molt/fleet"
)

// MaxCreateBatch is DigitalOcean's limit on names in one create-multiple request.
const MaxCreateBatch = 10

// PlanInput is everything the planner needs. Gather fills the parts that need the API;
// NewPlan itself does no IO.
type PlanInput struct {
	// Selection names what was selected, as the operator typed it ("tag role:web").
	Selection string
	Servers   []fleet.Server
	Target    fleet.Version
	Strategy  Strategy
	Account   Account
	// Owner is the account the servers belong to (Gather reads it); the plan, and so
	// the journal, records it.
	Owner *fleet.Account
	LBs   []LB
	// ReservedIPs are the account's reserved IPs.
	ReservedIPs []ReservedIP
	Rate        RateBudget
	// ProvisionTime is the expected time from create to active, for the estimate.
	ProvisionTime time.Duration
	// SameImage replaces each server onto the image it runs (molt apply --to current);
	// Target is then CurrentImage (sameimage.go).
	SameImage bool
	// Picked says, by droplet ID, which rule picked a server (--drifted, --older-than,
	// ...), for the plan to say.
	Picked map[int]string
}

// Account is the part of the account the checks need.
type Account struct {
	DropletLimit int `json:"droplet_limit"`
	Droplets     int `json:"droplets"`
}

// LB is a load balancer: by droplet IDs, or by tag when Tag is set.
type LB struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Region     string `json:"region,omitempty"`
	Tag        string `json:"tag,omitempty"`
	DropletIDs []int  `json:"droplet_ids,omitempty"`
}

// ReservedIP is a reserved IPv4 address and the droplet it points at (0: none).
type ReservedIP struct {
	IP        string `json:"ip"`
	Region    string `json:"region"`
	DropletID int    `json:"droplet_id,omitempty"`
}

// RateBudget is the API allowance: hourly remaining as last reported, and per minute.
type RateBudget struct {
	Limit     int `json:"limit"`
	Remaining int `json:"remaining"`
	PerMinute int `json:"per_minute"`
}

// Plan is an ordered list of waves of replacements, with what was skipped and why.
type Plan struct {
	Selection string         `json:"selection"`
	Target    fleet.Version  `json:"target"`
	Strategy  Strategy       `json:"strategy"`
	Waves     []Wave         `json:"waves"`
	Skipped   []Skip         `json:"skipped,omitempty"`
	Warnings  []string       `json:"warnings,omitempty"`
	Estimate  Estimate       `json:"estimate"`
	Cost      *Cost          `json:"cost,omitempty"` // nil in journals before molt costed plans
	LBs       []LB           `json:"load_balancers,omitempty"`
	Sources   map[string]int `json:"sources,omitempty"` // image name -> servers to replace
	// Account is the account the plan was made on: a rollout of it is resumed or rolled
	// back only there. Journals before it have none.
	Account *fleet.Account `json:"account,omitempty"`
	// Guards are the checks of the target the servers trip (another role's image, a
	// downgrade, several roles at once); one not allowed refuses the plan.
	Guards []Guard `json:"guards,omitempty"`
	// SameImage says each server is replaced onto the image it runs: each replacement
	// has its own Target.
	SameImage bool `json:"same_image,omitempty"`
}

// Wave is a set of replacements in flight together.
type Wave struct {
	Index        int           `json:"index"`
	Canary       bool          `json:"canary,omitempty"`
	Replacements []Replacement `json:"replacements"`
}

// Replacement is one old server and what its replacement takes over.
type Replacement struct {
	// Slot numbers the replacement across the plan, from 0 in order.
	Slot int `json:"slot"`
	// Group numbers the create call the new droplet is made by (from 1): replacements of
	// one group share everything but their names and are created by one request.
	Group int          `json:"group"`
	Old   fleet.Server `json:"old"`
	// LBs are the IDs of load balancers that list the old droplet by ID.
	LBs []string `json:"lbs,omitempty"`
	// TagLBs are the tags of tag-based load balancers the old droplet is in.
	TagLBs []string `json:"tag_lbs,omitempty"`
	// ReservedIP is the reserved IP pointing at the old droplet, moved to the new one.
	ReservedIP string `json:"reserved_ip,omitempty"`
	// Volumes move from old to new (only with MoveVolumes).
	Volumes []string `json:"volumes,omitempty"`
	// Target is the image the new droplet is made from when it is not the plan's (with
	// SameImage, the old one's own); Plan.TargetOf reads it.
	Target *fleet.Version `json:"target,omitempty"`
	// Picked is the rule that picked the server, when one did.
	Picked string `json:"picked,omitempty"`
}

// Skip is a selected server the plan leaves alone, and why.
type Skip struct {
	Server fleet.Server `json:"server"`
	Reason string       `json:"reason"`
}

// Replacements returns every replacement of the plan, in slot order.
func (p Plan) Replacements() []Replacement {
	var out []Replacement
	for _, w := range p.Waves {
		out = append(out, w.Replacements...)
	}
	return out
}

// NewPlan turns a selection into waves. It fails, naming what to fix, when the plan
// cannot work: the image is missing from a region, the droplet limit leaves no room for
// the surge, a size is too small for the image, or a server is locked by another rollout.
// Guards the target trips do not fail it: the plan lists them (Plan.Guards), so that
// the operator sees which servers trip which, and Plan.Refusal (and Start) refuse it
// unless the strategy allows them.
func NewPlan(in PlanInput) (Plan, error) {
	if err := in.Strategy.Validate(); err != nil {
		return Plan{}, err
	}
	p := Plan{Selection: in.Selection, Target: in.Target, Strategy: in.Strategy, Account: in.Owner, SameImage: in.SameImage}
	todo := sortedTodo(in, &p)
	if err := check(in, todo); err != nil {
		return Plan{}, err
	}
	p.Waves = buildWaves(in, todo)
	p.LBs = involvedLBs(in.LBs, p.Waves)
	p.Sources = sources(todo)
	p.Estimate = estimate(in, p)
	p.Cost = planCost(in, p)
	p.Warnings = warnings(in, p)
	if !in.SameImage { // each server onto its own image: no other role, no downgrade, no mix
		p.Guards = guards(in, todo)
		p.Warnings = append(p.Warnings, unjudged(in, todo)...)
	}
	return p, nil
}

// sortedTodo splits the selection into servers to replace and skips, ordered by region,
// image, name and ID so that neighbours in a wave usually share a create call (a create
// is for one region, and records the one image its droplets' old servers ran).
func sortedTodo(in PlanInput, p *Plan) []fleet.Server {
	var todo []fleet.Server
	for _, s := range in.Servers {
		if reason := skipReason(in, s); reason != "" {
			p.Skipped = append(p.Skipped, Skip{Server: s, Reason: reason})
			continue
		}
		todo = append(todo, s)
	}
	slices.SortStableFunc(todo, func(a, b fleet.Server) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.Image.ImageID, b.Image.ImageID), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.ID, b.ID))
	})
	return todo
}

func skipReason(in PlanInput, s fleet.Server) string {
	switch {
	case s.Pool != "":
		return poolMemberReason(s)
	case !in.SameImage && s.Image.ImageID == in.Target.ImageID:
		return "already on " + versionName(in.Target)
	case s.Status == "off":
		if id := LockOf(s.Tags); id != "" {
			return "powered off, kept by rollout " + id
		}
		return "powered off"
	case s.Status != "active" && LockOf(s.Tags) == "":
		return "status " + s.Status
	case len(s.VolumeIDs) > 0 && !in.Strategy.MoveVolumes:
		return "has attached volumes (use --move-volumes to move them)"
	case in.SameImage:
		return sameImageSkip(s)
	}
	return ""
}

func versionName(v fleet.Version) string {
	if v.Name != "" {
		return v.Name
	}
	return "the target image"
}

// buildWaves cuts the servers into a canary wave and waves of Surge, numbering slots
// and create groups.
func buildWaves(in PlanInput, todo []fleet.Server) []Wave {
	var waves []Wave
	slot, group := 0, 0
	add := func(servers []fleet.Server, canary bool) {
		w := Wave{Index: len(waves), Canary: canary}
		for _, g := range createGroups(in, servers) {
			group++
			for _, s := range g {
				w.Replacements = append(w.Replacements, newReplacement(in, s, slot, group))
				slot++
			}
		}
		waves = append(waves, w)
	}
	rest := todo
	if n := min(in.Strategy.Canary, len(rest)); n > 0 {
		add(rest[:n], true)
		rest = rest[n:]
	}
	for len(rest) > 0 {
		n := min(in.Strategy.Surge, len(rest))
		add(rest[:n], false)
		rest = rest[n:]
	}
	return waves
}

// createGroups splits a wave into runs that one create-multiple request can make: the
// same create spec, distinct names, at most MaxCreateBatch.
func createGroups(in PlanInput, servers []fleet.Server) [][]fleet.Server {
	var groups [][]fleet.Server
	for _, s := range servers {
		placed := false
		for i, g := range groups {
			if len(g) < MaxCreateBatch && groupKey(in, g[0]) == groupKey(in, s) && !hasName(g, s.Name) {
				groups[i] = append(g, s)
				placed = true
				break
			}
		}
		if !placed {
			groups = append(groups, []fleet.Server{s})
		}
	}
	return groups
}

func hasName(g []fleet.Server, name string) bool {
	return slices.ContainsFunc(g, func(s fleet.Server) bool { return s.Name == name })
}

// specKey is what must match for two servers' replacements to share a create request:
// what the new droplets copy, and the image the old ones run, which their create
// records on them (ImageTag).
func specKey(s fleet.Server) string {
	tags := slices.Clone(UserTags(s.Tags))
	slices.Sort(tags)
	feats := []string{}
	for _, f := range []string{"ipv6", "monitoring", "backups"} {
		if s.HasFeature(f) {
			feats = append(feats, f)
		}
	}
	return strings.Join([]string{s.Region, s.Size, s.VPCUUID, strings.Join(tags, ","), strings.Join(feats, ","), strconv.Itoa(s.Image.ImageID)}, "|")
}

func newReplacement(in PlanInput, s fleet.Server, slot, group int) Replacement {
	r := Replacement{Slot: slot, Group: group, Old: s, Picked: in.Picked[s.ID]}
	if in.SameImage {
		own := s.Image
		r.Target = &own
	}
	if in.Strategy.LB == HandoverAuto {
		for _, lb := range in.LBs {
			switch {
			case lb.Tag != "" && s.HasTag(lb.Tag):
				if !slices.Contains(r.TagLBs, lb.Tag) {
					r.TagLBs = append(r.TagLBs, lb.Tag)
				}
			case lb.Tag == "" && slices.Contains(lb.DropletIDs, s.ID):
				r.LBs = append(r.LBs, lb.ID)
			}
		}
	}
	if in.Strategy.ReservedIP == HandoverAuto {
		for _, ip := range in.ReservedIPs {
			if ip.DropletID == s.ID {
				r.ReservedIP = ip.IP
			}
		}
	}
	if in.Strategy.MoveVolumes {
		r.Volumes = slices.Clone(s.VolumeIDs)
	}
	return r
}

// involvedLBs are the load balancers the plan hands over on.
func involvedLBs(all []LB, waves []Wave) []LB {
	used := map[string]bool{}
	tags := map[string]bool{}
	for _, w := range waves {
		for _, r := range w.Replacements {
			for _, id := range r.LBs {
				used[id] = true
			}
			for _, t := range r.TagLBs {
				tags[t] = true
			}
		}
	}
	var out []LB
	for _, lb := range all {
		if used[lb.ID] || (lb.Tag != "" && tags[lb.Tag]) {
			out = append(out, lb)
		}
	}
	return out
}

func sources(todo []fleet.Server) map[string]int {
	out := map[string]int{}
	for _, s := range todo {
		out[versionName(s.Image)]++
	}
	return out
}
