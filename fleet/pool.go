package fleet

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/digitalocean/godo"
)

// Droplet autoscale pools: DigitalOcean makes and retires a pool's members itself, from
// the pool's droplet template, and replaces them one at a time when the template
// changes. molt reads pools so that it never replaces a member by hand (the pool would
// fight it) and can show how far the members are behind their template.

// FixedPoolCooldown is the cooldown of a fixed-size pool in minutes, which DigitalOcean
// does not let anyone change, and the default of an autoscaling one.
const FixedPoolCooldown = 10

// Pool is a droplet autoscale pool as molt sees it.
type Pool struct {
	ID   string
	Name string
	// Status is the API's: active, deleting or error.
	Status string
	Region string
	Size   string
	// TemplateImage is the template's image as the API names it (an ID or a slug), and
	// Template the image it resolves to (only ImageID and the reference's text when the
	// image could not be read, as for a deleted one).
	TemplateImage string
	Template      Version
	// Tags are the template's tags, which every member carries.
	Tags      []string
	Config    PoolConfig
	Members   []PoolMember
	CreatedAt time.Time
}

// PoolConfig is a pool's size: fixed (Target), or between Min and Max with a cooldown.
type PoolConfig struct {
	Target   int `json:"target_number_instances,omitempty"`
	Min      int `json:"min_instances,omitempty"`
	Max      int `json:"max_instances,omitempty"`
	Cooldown int `json:"cooldown_minutes,omitempty"`
}

// PoolMember is a member droplet and the pool's word on it.
type PoolMember struct {
	DropletID int
	// Status is provisioning, active, deleting or off.
	Status string
	// Health is the pool's own health status (healthy, unhealthy).
	Health string
}

// Fixed reports whether the pool keeps a fixed number of members.
func (p Pool) Fixed() bool { return p.Config.Target > 0 }

// CooldownMinutes is the minimum time between two changes to the pool's members: 10
// minutes for a fixed-size pool, the configured cooldown (default 10) for another.
func (p Pool) CooldownMinutes() int {
	if p.Fixed() || p.Config.Cooldown <= 0 {
		return FixedPoolCooldown
	}
	return p.Config.Cooldown
}

// Desired is how many members the pool keeps: its target, or its members held between
// its minimum and maximum.
func (p Pool) Desired() int {
	if p.Fixed() {
		return p.Config.Target
	}
	return min(max(len(p.Members), p.Config.Min), max(p.Config.Max, p.Config.Min))
}

// SizeText says the pool's size as operators read it: "fixed 4" or "2-6".
func (p Pool) SizeText() string {
	if p.Fixed() {
		return "fixed " + strconv.Itoa(p.Config.Target)
	}
	return fmt.Sprintf("%d-%d", p.Config.Min, p.Config.Max)
}

// TemplateName is the template's image by name, or by the API's reference when it has
// none (a deleted image).
func (p Pool) TemplateName() string {
	if p.Template.Name != "" {
		return p.Template.Name
	}
	return p.TemplateImage
}

// HasMember reports whether the droplet is one of the pool's members.
func (p Pool) HasMember(id int) bool {
	return slices.ContainsFunc(p.Members, func(m PoolMember) bool { return m.DropletID == id })
}

// MarkMembers sets Pool and PoolID on every server that is a member of one of pools, in
// place, and clears them on the others.
func MarkMembers(servers []Server, pools []Pool) {
	of := membership(pools)
	for i := range servers {
		markOne(&servers[i], of)
	}
}

// membership maps every member droplet to its pool.
func membership(pools []Pool) map[int]*Pool {
	of := map[int]*Pool{}
	for i := range pools {
		for _, m := range pools[i].Members {
			of[m.DropletID] = &pools[i]
		}
	}
	return of
}

// markOne marks s with its pool in of, or none; it reports whether that changed s.
func markOne(s *Server, of map[int]*Pool) bool {
	name, id := "", ""
	if p, ok := of[s.ID]; ok {
		name, id = p.Name, p.ID
	}
	changed := s.Pool != name || s.PoolID != id
	s.Pool, s.PoolID = name, id
	return changed
}

// ReadPools reads every autoscale pool of the account with its members, and resolves
// each template's image (one request per distinct image). It is a read (PriorityRead);
// a 429 is waited out as the loader does.
func ReadPools(ctx context.Context, c *godo.Client) ([]Pool, error) {
	return readPools(ctx, c, map[string]Version{}, nil)
}

// memberCache is the pools' members as last read, by pool ID, and whether they may be
// kept: not after a droplet changed (a member made or destroyed is in the action feed),
// not when the pool changed (its updated_at), and not past MembersEvery (the pool's word
// on its members' health changes with no action).
type memberCache struct {
	lists map[string]memberList
	// reuse says the refresh found no droplet changed.
	reuse bool
}

// MembersEvery is the longest a refresh keeps a pool's members without reading them.
const MembersEvery = time.Minute

func (m *memberCache) get(id string, updated time.Time) ([]PoolMember, bool) {
	if m == nil || !m.reuse {
		return nil, false
	}
	l, ok := m.lists[id]
	if !ok || !l.updated.Equal(updated) || time.Since(l.at) >= MembersEvery {
		return nil, false
	}
	return slices.Clone(l.members), true
}

func (m *memberCache) put(id string, l memberList) {
	if m == nil {
		return
	}
	if m.lists == nil {
		m.lists = map[string]memberList{}
	}
	m.lists[id] = l
}

// memberList is a pool's members as read, and when: a refresh may keep them (see
// Inventory.refreshPools).
type memberList struct {
	members []PoolMember
	// updated is the pool's updated_at when they were read; at when they were.
	updated, at time.Time
}

// readPools is ReadPools with template images already resolved in images, which it adds
// to.
//
// keep, when not nil, says whether the members known from an earlier read of a pool
// (by its ID) still hold; members read here are recorded in it.
func readPools(ctx context.Context, c *godo.Client, images map[string]Version, keep *memberCache) ([]Pool, error) {
	ctx = WithPriority(ctx, PriorityRead)
	var raw []*godo.DropletAutoscalePool
	err := eachPage(ctx, func(opt *godo.ListOptions) (*godo.Response, error) {
		page, resp, err := c.DropletAutoscale.List(ctx, opt)
		raw = append(raw, page...)
		return resp, err
	})
	if err != nil {
		return nil, fmt.Errorf("list autoscale pools: %w", err)
	}
	pools := make([]Pool, 0, len(raw))
	for _, dp := range raw {
		p := poolFromAPI(dp)
		if m, ok := keep.get(p.ID, dp.UpdatedAt); ok {
			p.Members = m
		} else if p.Members, err = readMembers(ctx, c, p.ID); err != nil {
			return nil, fmt.Errorf("list the members of autoscale pool %s: %w", p.Name, err)
		} else {
			keep.put(p.ID, memberList{members: p.Members, updated: dp.UpdatedAt, at: time.Now()})
		}
		if p.Template, err = templateImage(ctx, c, p.TemplateImage, images); err != nil {
			return nil, fmt.Errorf("read the template image of autoscale pool %s: %w", p.Name, err)
		}
		pools = append(pools, p)
	}
	return pools, nil
}

func poolFromAPI(dp *godo.DropletAutoscalePool) Pool {
	p := Pool{ID: dp.ID, Name: dp.Name, Status: dp.Status, CreatedAt: dp.CreatedAt}
	if t := dp.DropletTemplate; t != nil {
		p.Region, p.Size, p.TemplateImage, p.Tags = t.Region, t.Size, t.Image, slices.Clone(t.Tags)
	}
	if c := dp.Config; c != nil {
		p.Config = PoolConfig{Target: int(c.TargetNumberInstances), Min: int(c.MinInstances), Max: int(c.MaxInstances),
			Cooldown: int(c.CooldownMinutes)}
	}
	return p
}

func readMembers(ctx context.Context, c *godo.Client, poolID string) ([]PoolMember, error) {
	var out []PoolMember
	err := eachPage(ctx, func(opt *godo.ListOptions) (*godo.Response, error) {
		page, resp, err := c.DropletAutoscale.ListMembers(ctx, poolID, opt)
		for _, m := range page {
			out = append(out, PoolMember{DropletID: int(m.DropletID), Status: m.Status, Health: m.HealthStatus})
		}
		return resp, err
	})
	return out, err
}

// templateImage resolves a template's image reference (an ID or a slug), once per
// reference. An image that is gone resolves to what the reference says.
func templateImage(ctx context.Context, c *godo.Client, ref string, seen map[string]Version) (Version, error) {
	if v, ok := seen[ref]; ok {
		return v, nil
	}
	var im *godo.Image
	var resp *godo.Response
	_, err := retryRateLimited(ctx, func() (*godo.Response, error) {
		var err error
		if id, aerr := strconv.Atoi(ref); aerr == nil {
			im, resp, err = c.Images.GetByID(ctx, id)
		} else {
			im, resp, err = c.Images.GetBySlug(ctx, ref)
		}
		return resp, err
	})
	var v Version
	switch {
	case err == nil:
		v = VersionFromImage(im)
	case resp != nil && resp.Response != nil && resp.StatusCode == 404:
		v.ImageID, _ = strconv.Atoi(ref)
		v.Status = "deleted"
	default:
		return Version{}, err
	}
	seen[ref] = v
	return v, nil
}

// eachPage calls read for every page of a listing, following its links.
func eachPage(ctx context.Context, read func(*godo.ListOptions) (*godo.Response, error)) error {
	opt := &godo.ListOptions{Page: 1, PerPage: MaxPerPage}
	for {
		var resp *godo.Response
		_, err := retryRateLimited(ctx, func() (*godo.Response, error) {
			var err error
			resp, err = read(opt)
			return resp, err
		})
		if err != nil {
			return err
		}
		if resp == nil || resp.Links == nil || resp.Links.IsLastPage() {
			return nil
		}
		opt.Page++
	}
}

// PoolCensus is a pool's members by the image they run, against its template.
type PoolCensus struct {
	// Images are the members' images, the template's first, then most members first.
	Images []PoolImage
	// Behind counts members on another image than the template's: the pool replaces
	// them when its cooldown allows (or, until then, they are behind the template).
	Behind int
	// Unread counts members that were not among the servers given (a selection that
	// left them out, or a droplet made since the read).
	Unread int
}

// PoolImage is an image and the members on it.
type PoolImage struct {
	Image    Version
	Count    int
	Template bool
}

// Census counts the pool's members among servers by image.
func (p Pool) Census(servers []Server) PoolCensus {
	want := make(map[int]bool, len(p.Members))
	for _, m := range p.Members {
		want[m.DropletID] = true
	}
	var c PoolCensus
	at := map[int]int{} // image ID -> index in c.Images
	if p.Template.ImageID != 0 {
		c.Images, at[p.Template.ImageID] = []PoolImage{{Image: p.Template, Template: true}}, 0
	}
	seen := 0
	for i := range servers {
		s := &servers[i]
		if !want[s.ID] {
			continue
		}
		seen++
		k, ok := at[s.Image.ImageID]
		if !ok {
			k, at[s.Image.ImageID] = len(c.Images), len(c.Images)
			c.Images = append(c.Images, PoolImage{Image: s.Image})
		}
		c.Images[k].Count++
		if !c.Images[k].Template {
			c.Behind++
		}
	}
	c.Unread = len(p.Members) - seen
	if len(c.Images) > 1 {
		slices.SortStableFunc(c.Images[1:], func(a, b PoolImage) int { return b.Count - a.Count })
	}
	return c
}
