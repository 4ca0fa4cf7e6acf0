package fleet

import (
	"slices"
	"strconv"
)

// PoolSpread is an autoscale pool shown with a spread: the pool and its members by image.
type PoolSpread struct {
	Pool   Pool
	Census PoolCensus
}

// SelectPools picks the pools to show with a selection: those with a member among
// selected (every pool when the selection is zero), each counted over all the servers
// read, so that a pool is shown whole.
func SelectPools(pools []Pool, all, selected []Server, sel Selection) []PoolSpread {
	var out []PoolSpread
	for _, p := range pools {
		if !sel.IsZero() && !slices.ContainsFunc(selected, func(s Server) bool { return p.HasMember(s.ID) }) {
			continue
		}
		out = append(out, PoolSpread{Pool: p, Census: p.Census(all)})
	}
	return out
}

// ReportPool is an autoscale pool in a Report.
type ReportPool struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Region string `json:"region"`
	// Status is the API's: active, deleting or error.
	Status string `json:"status"`
	// Size is the members' droplet size.
	Size string `json:"size"`
	// Config is the pool's size as DigitalOcean names it: target_number_instances for a
	// fixed size, else min_instances, max_instances and cooldown_minutes.
	Config PoolConfig `json:"config"`
	// CooldownMinutes is the time between two changes to the members (10 for a fixed
	// size, which DigitalOcean does not let anyone change).
	CooldownMinutes int        `json:"cooldown_minutes"`
	Template        ReleaseRef `json:"template_image"`
	Members         int        `json:"members"`
	Desired         int        `json:"desired"`
	// BehindTemplate counts members on another image than the template's.
	BehindTemplate  int               `json:"behind_template"`
	MembersPerImage []ReportPoolImage `json:"members_per_image"`
}

// ReportPoolImage is an image and the pool's members on it.
type ReportPoolImage struct {
	ReleaseRef
	Count    int  `json:"count"`
	Template bool `json:"template"`
}

func reportPools(pools []PoolSpread) []ReportPool {
	out := make([]ReportPool, 0, len(pools))
	for _, ps := range pools {
		p := ps.Pool
		rp := ReportPool{ID: p.ID, Name: p.Name, Region: p.Region, Status: p.Status, Size: p.Size, Config: p.Config,
			CooldownMinutes: p.CooldownMinutes(), Template: imageRef(p.Template, p.TemplateImage), Members: len(p.Members),
			Desired: p.Desired(), BehindTemplate: ps.Census.Behind, MembersPerImage: []ReportPoolImage{}}
		for _, im := range ps.Census.Images {
			rp.MembersPerImage = append(rp.MembersPerImage, ReportPoolImage{ReleaseRef: imageRef(im.Image, ""), Count: im.Count,
				Template: im.Template})
		}
		out = append(out, rp)
	}
	return out
}

// imageRef names an image as a release: its key and name, and its version when the
// name carries one; ref stands in for a name the image does not have.
func imageRef(v Version, ref string) ReleaseRef {
	r := ReleaseRef{Key: "image:" + strconv.Itoa(v.ImageID), ImageID: v.ImageID, ImageName: v.Name}
	if r.ImageName == "" {
		r.ImageName = ref
	}
	if v.Semver != nil {
		r.Version = v.Semver.String()
	}
	return r
}
