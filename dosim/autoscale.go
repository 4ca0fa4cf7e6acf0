package dosim

import (
	"encoding/json"
	"hash/fnv"
	"net/http"
	"strconv"
	"time"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/droplets/autoscale", s.listPools)
		api("POST /v2/droplets/autoscale", s.createPool)
		api("PUT /v2/droplets/autoscale/{id}", s.updatePool)
		api("DELETE /v2/droplets/autoscale/{id}", s.deletePool(false))
		api("DELETE /v2/droplets/autoscale/{id}/dangerous", s.deletePool(true))
	})
}

// Pool is a droplet autoscale pool: droplets made from one template, kept at a fixed
// number (Target) or between Min and Max. When the template changes, the pool replaces
// its members one at a time, creating the new droplet before retiring an old one, and
// waits its cooldown between changes (autoscale_engine.go).
type Pool struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Config    PoolConfig   `json:"config"`
	Template  PoolTemplate `json:"template"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	// Status is active, or deleting (Dangerous: with its members) until DeleteAt.
	Status    string      `json:"status"`
	Dangerous bool        `json:"dangerous,omitempty"`
	DeleteAt  time.Time   `json:"delete_at,omitempty"`
	Members   []int       `json:"members"`
	History   []PoolEvent `json:"history"`
	// NextChange is when the cooldown after the last change ends.
	NextChange time.Time `json:"next_change"`
	// Work is the change under way, if any.
	Work *poolWork `json:"work,omitempty"`
}

// PoolConfig is a pool's scaling: Target for a fixed size, else Min to Max.
type PoolConfig struct {
	Target   int     `json:"target_number_instances,omitempty"`
	Min      int     `json:"min_instances,omitempty"`
	Max      int     `json:"max_instances,omitempty"`
	CPU      float64 `json:"target_cpu_utilization,omitempty"`
	Memory   float64 `json:"target_memory_utilization,omitempty"`
	Cooldown int     `json:"cooldown_minutes,omitempty"`
}

// PoolTemplate is what a pool makes its droplets from; Image is as the request gave it.
type PoolTemplate struct {
	Name             string   `json:"name,omitempty"`
	Region           string   `json:"region"`
	Size             string   `json:"size"`
	Image            string   `json:"image"`
	ImageID          int      `json:"image_id"`
	SSHKeys          []string `json:"ssh_keys"`
	Tags             []string `json:"tags"`
	VPCUUID          string   `json:"vpc_uuid"`
	WithDropletAgent bool     `json:"with_droplet_agent"`
	ProjectID        string   `json:"project_id"`
	IPv6             bool     `json:"ipv6"`
	UserData         string   `json:"user_data"`
	PublicNetworking bool     `json:"public_networking"`
}

// PoolEvent is one entry of a pool's history.
type PoolEvent struct {
	ID          string    `json:"history_event_id"`
	Current     int       `json:"current_instance_count"`
	Desired     int       `json:"desired_instance_count"`
	Reason      string    `json:"reason"` // CONFIGURATION_CHANGE, SCALE_UP, SCALE_DOWN
	Status      string    `json:"status"` // in_progress, success, error
	ErrorReason string    `json:"error_reason,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// fixedCooldown is the cooldown of a fixed-size pool, which DigitalOcean does not let
// anyone change; a dynamic pool's defaults to the same.
const fixedCooldown = 10

// cooldown is how long the pool waits between changes, in simulated minutes.
func (s *Sim) cooldown(p *Pool) time.Duration {
	m := fixedCooldown
	if p.Config.Target == 0 && p.Config.Cooldown > 0 {
		m = p.Config.Cooldown
	}
	return time.Duration(m) * s.cfg.PoolMinute
}

func renderPoolConfig(c PoolConfig) obj {
	if c.Target > 0 {
		return obj{"target_number_instances": c.Target}
	}
	cooldown := c.Cooldown
	if cooldown == 0 {
		cooldown = fixedCooldown
	}
	o := obj{"min_instances": c.Min, "max_instances": c.Max, "cooldown_minutes": cooldown}
	if c.CPU > 0 {
		o["target_cpu_utilization"] = c.CPU
	}
	if c.Memory > 0 {
		o["target_memory_utilization"] = c.Memory
	}
	return o
}

func renderTemplate(t PoolTemplate) obj {
	o := obj{"region": t.Region, "size": t.Size, "image": t.Image, "ssh_keys": nonNilStrings(t.SSHKeys),
		"tags": nonNilStrings(t.Tags), "vpc_uuid": t.VPCUUID, "with_droplet_agent": t.WithDropletAgent,
		"project_id": t.ProjectID, "ipv6": t.IPv6, "user_data": t.UserData, "public_networking": t.PublicNetworking}
	if t.Name != "" {
		o["name"] = t.Name
	}
	return o
}

func (s *Sim) renderPool(p *Pool) obj {
	active := 0
	for _, id := range p.Members {
		if d, ok := s.w.Droplets[id]; ok && d.Status == "active" {
			active++
		}
	}
	o := obj{"id": p.ID, "name": p.Name, "config": renderPoolConfig(p.Config), "droplet_template": renderTemplate(p.Template),
		"created_at": ts(p.CreatedAt), "updated_at": ts(p.UpdatedAt), "status": p.Status, "active_resources_count": active}
	if p.Config.Target == 0 {
		o["current_utilization"] = poolUtilization(p)
	}
	return o
}

// poolUtilization is what a dynamic pool reports: its members sit at their targets, so
// the simulated pool neither grows nor shrinks on its own.
func poolUtilization(p *Pool) obj {
	u := obj{}
	if p.Config.CPU > 0 {
		u["cpu"] = p.Config.CPU
	}
	if p.Config.Memory > 0 {
		u["memory"] = p.Config.Memory
	}
	return u
}

func (w *world) sortedPools() []*Pool {
	return oldestFirst(w.Pools, func(r *Pool) (time.Time, string) { return r.CreatedAt, r.ID }, nil)
}

func (s *Sim) listPools(r *http.Request, _ *reqInfo) (int, any) {
	name := r.URL.Query().Get("name")
	var list []*Pool
	for _, p := range s.w.sortedPools() {
		if name == "" || p.Name == name {
			list = append(list, p)
		}
	}
	return s.listing(r, "autoscale_pools", len(list), func(i int) any { return s.renderPool(list[i]) })
}

func (s *Sim) getPool(r *http.Request, _ *reqInfo) (int, any) {
	p, ok := s.w.Pools[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	return http.StatusOK, obj{"autoscale_pool": s.renderPool(p)}
}

// poolRequest is the body of POST and PUT /v2/droplets/autoscale.
type poolRequest struct {
	Name   string `json:"name"`
	Config *struct {
		Target   *int     `json:"target_number_instances"`
		Min      *int     `json:"min_instances"`
		Max      *int     `json:"max_instances"`
		CPU      *float64 `json:"target_cpu_utilization"`
		Memory   *float64 `json:"target_memory_utilization"`
		Cooldown *int     `json:"cooldown_minutes"`
	} `json:"config"`
	Template *struct {
		Name             string          `json:"name"`
		Region           string          `json:"region"`
		Size             string          `json:"size"`
		Image            json.RawMessage `json:"image"`
		SSHKeys          []string        `json:"ssh_keys"`
		Tags             []string        `json:"tags"`
		VPCUUID          string          `json:"vpc_uuid"`
		WithDropletAgent *bool           `json:"with_droplet_agent"`
		ProjectID        string          `json:"project_id"`
		IPv6             bool            `json:"ipv6"`
		UserData         string          `json:"user_data"`
		PublicNetworking *bool           `json:"public_networking"`
	} `json:"droplet_template"`
}

func (s *Sim) createPool(r *http.Request, _ *reqInfo) (int, any) {
	var req poolRequest
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	cfg, tmpl, f := s.checkPool(&req)
	if f != nil {
		return f.answer()
	}
	now := s.now()
	p := &Pool{ID: randomUUID(), Name: req.Name, Config: cfg, Template: tmpl, CreatedAt: now, UpdatedAt: now,
		Status: "active", Members: []int{}}
	s.w.Pools[p.ID] = p
	s.tickPool(p)
	return http.StatusAccepted, obj{"autoscale_pool": s.renderPool(p)}
}

// updatePool takes the whole pool again. A new template makes every member out of date,
// and the pool starts replacing them; a new size scales it.
func (s *Sim) updatePool(r *http.Request, _ *reqInfo) (int, any) {
	p, ok := s.w.Pools[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	if p.Status != "active" {
		return unprocessable("Autoscale pool %s is being deleted.", p.Name)
	}
	var req poolRequest
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	if req.Name != p.Name {
		return unprocessable("The name of an autoscale pool cannot be updated (it is %q).", p.Name)
	}
	cfg, tmpl, f := s.checkPool(&req)
	if f != nil {
		return f.answer()
	}
	if tmpl.Region != p.Template.Region {
		return unprocessable("An autoscale pool cannot move from %s to %s.", p.Template.Region, tmpl.Region)
	}
	p.Config, p.Template, p.UpdatedAt = cfg, tmpl, s.now()
	s.tickPool(p)
	return http.StatusOK, obj{"autoscale_pool": s.renderPool(p)}
}

// templateKey identifies a template's content: a member made from another one is out of
// date, and a template put back makes its members current again.
func templateKey(t PoolTemplate) string {
	h := fnv.New64a()
	h.Write(mustJSON(t))
	return strconv.FormatUint(h.Sum64(), 36)
}

// deletePool deletes a pool after a moment in "deleting": its members stay as plain
// droplets, or, with the dangerous variant (and its X-Dangerous header), go with it.
func (s *Sim) deletePool(dangerous bool) handler {
	return func(r *http.Request, _ *reqInfo) (int, any) {
		p, ok := s.w.Pools[r.PathValue("id")]
		if !ok {
			return notFound()
		}
		if dangerous && r.Header.Get("X-Dangerous") != "true" {
			return badRequest("Deleting an autoscale pool with its Droplets needs the header X-Dangerous: true.")
		}
		if p.Status == "deleting" {
			return http.StatusAccepted, nil
		}
		p.Status, p.Dangerous, p.DeleteAt, p.Work = "deleting", dangerous, s.now().Add(s.cfg.ActionDelay), nil
		s.tickPool(p)
		return http.StatusAccepted, nil
	}
}

func (s *Sim) listPoolMembers(r *http.Request, _ *reqInfo) (int, any) {
	p, ok := s.w.Pools[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	var list []*Droplet
	for _, id := range p.Members {
		if d, ok := s.w.Droplets[id]; ok {
			list = append(list, d)
		}
	}
	return s.listing(r, "droplets", len(list), func(i int) any { return s.renderMember(p, list[i]) })
}

func (s *Sim) renderMember(p *Pool, d *Droplet) obj {
	status := map[string]string{"new": "provisioning", "active": "active", "off": "off"}[d.Status]
	if p.Work != nil && hasInt(p.Work.Retiring, d.ID) {
		status = "deleting"
	}
	updated := d.CreatedAt
	if a, ok := s.w.Actions[d.CreateAction]; ok && a.CompletedAt != nil {
		updated = *a.CompletedAt
	}
	o := obj{"droplet_id": d.ID, "created_at": ts(d.CreatedAt), "updated_at": ts(updated), "health_status": "healthy",
		"status": status, "current_utilization": poolUtilization(p)}
	if im, ok := s.w.Images[d.ImageID]; (ok && im.Unhealthy) || d.Status != "active" {
		o["health_status"], o["unhealthy_reason"] = "unhealthy", "Droplet failed health check"
	}
	return o
}

func (s *Sim) listPoolHistory(r *http.Request, _ *reqInfo) (int, any) {
	p, ok := s.w.Pools[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	n := len(p.History)
	return s.listing(r, "history", n, func(i int) any {
		e := p.History[n-1-i] // newest first
		o := obj{"history_event_id": e.ID, "current_instance_count": e.Current, "desired_instance_count": e.Desired,
			"reason": e.Reason, "status": e.Status, "created_at": ts(e.CreatedAt), "updated_at": ts(e.UpdatedAt)}
		if e.ErrorReason != "" {
			o["error_reason"] = e.ErrorReason
		}
		return o
	})
}

// historyID is a time-ordered UUID (version 7), as DigitalOcean's history events have.
func historyID(at time.Time, seq int) string {
	ms := at.UnixMilli()
	return strconv.FormatInt(ms>>16&0xffffffff|1<<32, 16)[1:] + "-" + strconv.FormatInt(ms&0xffff|1<<16, 16)[1:] +
		"-7" + strconv.FormatInt(int64(seq)&0xfff|1<<12, 16)[1:] + "-8" + randomHex(2)[1:] + "-" + randomHex(6)
}
