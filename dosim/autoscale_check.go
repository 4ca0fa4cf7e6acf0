package dosim

import (
	"encoding/json"
	"strconv"
)

// poolRegions are the regions a pool's template may name: the API description's list,
// which predates Atlanta.
var poolRegions = []string{"nyc1", "nyc2", "nyc3", "ams2", "ams3", "sfo1", "sfo2", "sfo3", "sgp1", "lon1", "fra1", "tor1", "blr1", "syd1"}

// checkPool holds a create or update to the API description's limits and resolves its
// template against the world.
func (s *Sim) checkPool(req *poolRequest) (PoolConfig, PoolTemplate, *failure) {
	if req.Name == "" {
		return PoolConfig{}, PoolTemplate{}, refuse("name is required.")
	}
	cfg, f := checkPoolConfig(req)
	if f != nil {
		return cfg, PoolTemplate{}, f
	}
	tmpl, f := s.checkTemplate(req)
	return cfg, tmpl, f
}

func checkPoolConfig(req *poolRequest) (PoolConfig, *failure) {
	c := req.Config
	var out PoolConfig
	switch {
	case c == nil:
		return out, refuse("config is required: target_number_instances, or min_instances and max_instances.")
	case c.Target != nil && (c.Min != nil || c.Max != nil || c.CPU != nil || c.Memory != nil || c.Cooldown != nil):
		return out, refuse("A fixed-size pool (target_number_instances) takes no min, max, targets or cooldown.")
	case c.Target != nil:
		if *c.Target < 1 || *c.Target > 1000 {
			return out, refuse("target_number_instances must be between 1 and 1000, not %d.", *c.Target)
		}
		return PoolConfig{Target: *c.Target}, nil
	case c.Min == nil || c.Max == nil:
		return out, refuse("A pool needs target_number_instances, or min_instances and max_instances.")
	}
	out = PoolConfig{Min: *c.Min, Max: *c.Max}
	switch {
	case out.Min < 1 || out.Min > 500:
		return out, refuse("min_instances must be between 1 and 500, not %d.", out.Min)
	case out.Max < 1 || out.Max > 1000 || out.Max < out.Min:
		return out, refuse("max_instances must be between min_instances and 1000, not %d.", out.Max)
	}
	if c.Cooldown != nil {
		if *c.Cooldown < 5 || *c.Cooldown > 20 {
			return out, refuse("cooldown_minutes must be between 5 and 20, not %d.", *c.Cooldown)
		}
		out.Cooldown = *c.Cooldown
	}
	for _, t := range []struct {
		v   *float64
		dst *float64
	}{{c.CPU, &out.CPU}, {c.Memory, &out.Memory}} {
		if t.v != nil {
			if *t.v < 0.05 || *t.v > 1 {
				return out, refuse("Target utilizations must be between 0.05 and 1, not %v.", *t.v)
			}
			*t.dst = *t.v
		}
	}
	return out, nil
}

// checkTemplate resolves the droplet template: a region of the description's list, a
// size there, an image there, at least one SSH key, and a VPC and project that exist.
func (s *Sim) checkTemplate(req *poolRequest) (PoolTemplate, *failure) {
	t := req.Template
	if t == nil {
		return PoolTemplate{}, refuse("droplet_template is required.")
	}
	out := PoolTemplate{Name: t.Name, Region: t.Region, Size: t.Size, SSHKeys: t.SSHKeys, Tags: dedupe(t.Tags),
		VPCUUID: t.VPCUUID, WithDropletAgent: t.WithDropletAgent == nil || *t.WithDropletAgent, ProjectID: t.ProjectID,
		IPv6: t.IPv6, UserData: t.UserData, PublicNetworking: t.PublicNetworking == nil || *t.PublicNetworking}
	if !hasString(poolRegions, t.Region) || regions[t.Region].Slug == "" {
		return out, refuse("droplet_template.region must be one of %v that exists, not %q.", poolRegions, t.Region)
	}
	size, ok := sizes[t.Size]
	if !ok || !size.inRegion(t.Region) {
		return out, refuse("Size %q is not available in region %s.", t.Size, t.Region)
	}
	im, f := s.templateImage(t.Image, t.Region, size)
	if f != nil {
		return out, f
	}
	out.Image, out.ImageID = imageText(t.Image), im.ID
	return out, s.checkTemplateRefs(&out)
}

// imageText is the template's image as the API reports it: a string, slug or ID.
func imageText(raw json.RawMessage) string {
	var v any
	_ = json.Unmarshal(raw, &v)
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.Itoa(int(x))
	}
	return ""
}

func (s *Sim) templateImage(raw json.RawMessage, region string, size Size) (*Image, *failure) {
	im, ok := s.w.findImage(raw)
	switch {
	case len(raw) == 0 || !ok || im.Status != "available":
		return nil, refuse("droplet_template.image is not an image of this account or a public one.")
	case !im.Public && !hasString(im.Regions, region):
		return nil, refuse("The image %d is not available in region %s.", im.ID, region)
	case im.MinDiskSize > size.Disk:
		return nil, refuse("Size %s has a smaller disk than the image requires (%d GB).", size.Slug, im.MinDiskSize)
	}
	return im, nil
}

func (s *Sim) checkTemplateRefs(t *PoolTemplate) *failure {
	if len(t.SSHKeys) == 0 {
		return refuse("droplet_template.ssh_keys must name at least one SSH key.")
	}
	for _, k := range t.SSHKeys {
		if _, ok := s.w.key(k); !ok {
			return refuse("You specified an invalid SSH key: %s.", k)
		}
	}
	for _, tag := range t.Tags {
		if !validTag.MatchString(tag) {
			return refuse("Tag %q is invalid.", tag)
		}
	}
	if v, ok := s.w.VPCs[t.VPCUUID]; t.VPCUUID != "" && (!ok || v.Region != t.Region) {
		return refuse("VPC %s does not exist in %s.", t.VPCUUID, t.Region)
	}
	if _, ok := s.w.Projects[t.ProjectID]; t.ProjectID != "" && !ok {
		return refuse("Project %s does not exist.", t.ProjectID)
	}
	if !t.PublicNetworking && t.IPv6 {
		return refuse("A template without public networking cannot have IPv6.")
	}
	return nil
}
