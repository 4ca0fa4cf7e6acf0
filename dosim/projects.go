package dosim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/projects", s.listProjects)
		api("POST /v2/projects", s.createProject)
		api("GET /v2/projects/{id}", s.getProject)
		api("PUT /v2/projects/{id}", s.updateProject(true))
		api("PATCH /v2/projects/{id}", s.updateProject(false))
		api("DELETE /v2/projects/{id}", s.deleteProject)
		api("GET /v2/projects/{id}/resources", s.listProjectResources)
		api("POST /v2/projects/{id}/resources", s.assignProjectResources)
		// The default project under its own name, as separate operations.
		api("GET /v2/projects/default", s.getProject)
		api("PUT /v2/projects/default", s.updateProject(true))
		api("PATCH /v2/projects/default", s.updateProject(false))
		api("GET /v2/projects/default/resources", s.listProjectResources)
		api("POST /v2/projects/default/resources", s.assignProjectResources)
	})
}

// Project groups resources. Every world has a default project; a resource belongs to
// it until it is assigned to another (world.ProjectOf records the assignments).
type Project struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Purpose     string    `json:"purpose"`
	Environment string    `json:"environment,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

var projectEnvironments = []string{"Development", "Staging", "Production"}

// defaultProject returns the world's default project, making it on first use.
func (w *world) defaultProject() *Project {
	id := w.Account.ProjectID
	if p, ok := w.Projects[id]; ok {
		return p
	}
	p := &Project{ID: id, Name: "molt", Description: "Every resource not assigned to another project.",
		Purpose: "Operational / Developer tooling", Environment: "Production", CreatedAt: w.born(), UpdatedAt: w.born()}
	w.Projects[id] = p
	return p
}

// born is when the account began: a year before its oldest droplet, or its first VPC.
func (w *world) born() time.Time {
	t := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, v := range w.VPCs {
		if v.Default && v.CreatedAt.After(t) {
			t = v.CreatedAt
		}
	}
	return t
}

// projectID is the ID of a project given in a path: "default" names the default one.
func (s *Sim) project(r *http.Request) (*Project, bool) {
	id := r.PathValue("id")
	if id == "" || id == "default" { // the /v2/projects/default routes have no {id}
		return s.w.defaultProject(), true
	}
	p, ok := s.w.Projects[id]
	return p, ok
}

func (w *world) renderProject(p *Project) obj {
	return obj{"id": p.ID, "owner_uuid": w.Account.UUID, "owner_id": 2, "name": p.Name, "description": p.Description,
		"purpose": p.Purpose, "environment": p.Environment, "is_default": p.ID == w.Account.ProjectID,
		"created_at": ts(p.CreatedAt), "updated_at": ts(p.UpdatedAt)}
}

func (w *world) sortedProjects() []*Project {
	w.defaultProject()
	return oldestFirst(w.Projects, func(r *Project) (time.Time, string) { return r.CreatedAt, r.ID }, nil)
}

func (s *Sim) listProjects(r *http.Request, _ *reqInfo) (int, any) {
	list := s.w.sortedProjects()
	return s.listing(r, "projects", len(list), func(i int) any { return s.w.renderProject(list[i]) })
}

func (s *Sim) getProject(r *http.Request, _ *reqInfo) (int, any) {
	p, ok := s.project(r)
	if !ok {
		return notFound()
	}
	return http.StatusOK, obj{"project": s.w.renderProject(p)}
}

// projectRequest is the body of POST, PUT and PATCH /v2/projects.
type projectRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Purpose     *string `json:"purpose"`
	Environment *string `json:"environment"`
	IsDefault   *bool   `json:"is_default"`
}

// check validates the fields given; full requires every field PUT requires.
func (req *projectRequest) check(w *world, self *Project, full bool) *failure {
	switch {
	case full && (req.Name == nil || req.Description == nil || req.Purpose == nil || req.Environment == nil || req.IsDefault == nil):
		return refuse("name, description, purpose, environment and is_default are all required.")
	case req.Name != nil && (*req.Name == "" || len(*req.Name) > 175):
		return refuse("name must be 1 to 175 characters.")
	case req.Purpose != nil && (*req.Purpose == "" || len(*req.Purpose) > 255):
		return refuse("purpose must be 1 to 255 characters.")
	case req.Description != nil && len(*req.Description) > 255:
		return refuse("description may be at most 255 characters.")
	case req.Environment != nil && *req.Environment != "" && !hasString(projectEnvironments, *req.Environment):
		return refuse("environment must be Development, Staging or Production, not %q.", *req.Environment)
	case req.IsDefault != nil && !*req.IsDefault && self != nil && self.ID == w.Account.ProjectID:
		return refuse("The default project cannot be unset; make another project the default instead.")
	}
	if req.Name != nil {
		for _, p := range w.sortedProjects() {
			if p != self && strings.EqualFold(p.Name, *req.Name) {
				return refuse("A project named %s already exists.", p.Name)
			}
		}
	}
	return nil
}

func (req *projectRequest) apply(w *world, p *Project, now time.Time) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.Name, req.Name)
	set(&p.Description, req.Description)
	set(&p.Purpose, req.Purpose)
	set(&p.Environment, req.Environment)
	if req.IsDefault != nil && *req.IsDefault {
		w.Account.ProjectID = p.ID
	}
	p.UpdatedAt = now
}

func (s *Sim) createProject(r *http.Request, _ *reqInfo) (int, any) {
	var req projectRequest
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	if req.Name == nil || req.Purpose == nil {
		return unprocessable("name and purpose are required.")
	}
	if f := req.check(s.w, nil, false); f != nil {
		return f.answer()
	}
	now := s.now()
	p := &Project{ID: randomUUID(), CreatedAt: now}
	s.w.defaultProject() // before the new one could become the default
	req.apply(s.w, p, now)
	s.w.Projects[p.ID] = p
	return http.StatusCreated, obj{"project": s.w.renderProject(p)}
}

func (s *Sim) updateProject(full bool) handler {
	return func(r *http.Request, _ *reqInfo) (int, any) {
		p, ok := s.project(r)
		if !ok {
			return notFound()
		}
		var req projectRequest
		if err := decode(r, &req); err != nil {
			return badRequest("The request body is not valid JSON: %v", err)
		}
		if f := req.check(s.w, p, full); f != nil {
			return f.answer()
		}
		req.apply(s.w, p, s.now())
		return http.StatusOK, obj{"project": s.w.renderProject(p)}
	}
}

func (s *Sim) deleteProject(r *http.Request, _ *reqInfo) (int, any) {
	p, ok := s.project(r)
	if !ok {
		return notFound()
	}
	if p.ID == s.w.Account.ProjectID || len(s.w.projectResources(p.ID)) > 0 {
		return errBody(http.StatusPreconditionFailed, "precondition_failed",
			"cannot delete a project with resources. move or remove the resources first")
	}
	delete(s.w.Projects, p.ID)
	return http.StatusNoContent, nil
}

// projectResource is one resource of a project.
type projectResource struct {
	urn, self string
	at        time.Time
}

// resourceURNs lists every resource a project can hold, with its API address and when
// it came to be.
func (w *world) resourceURNs() []projectResource {
	var out []projectResource
	for _, d := range w.sortedDroplets(nil) {
		id := strconv.Itoa(d.ID)
		out = append(out, projectResource{"do:droplet:" + id, "/v2/droplets/" + id, d.CreatedAt})
	}
	for _, lb := range w.sortedLBs() {
		out = append(out, projectResource{"do:loadbalancer:" + lb.ID, "/v2/load_balancers/" + lb.ID, lb.CreatedAt})
	}
	for _, v := range w.sortedVolumes() {
		out = append(out, projectResource{"do:volume:" + v.ID, "/v2/volumes/" + v.ID, v.CreatedAt})
	}
	for _, ip := range w.sortedReservedIPs() {
		out = append(out, projectResource{"do:floatingip:" + ip.IP, "/v2/floating_ips/" + ip.IP, ip.CreatedAt})
	}
	return out
}

// projectOf is the project a resource belongs to.
func (w *world) projectOf(urn string) string {
	if id, ok := w.ProjectOf[urn]; ok {
		if _, live := w.Projects[id]; live {
			return id
		}
	}
	return w.Account.ProjectID
}

func (w *world) projectResources(projectID string) []projectResource {
	var out []projectResource
	for _, res := range w.resourceURNs() {
		if w.projectOf(res.urn) == projectID {
			out = append(out, res)
		}
	}
	return out
}

func (s *Sim) renderResource(r *http.Request, res projectResource, status string) obj {
	at := res.at
	if t, ok := s.w.AssignedAt[res.urn]; ok {
		at = t
	}
	return obj{"urn": res.urn, "assigned_at": ts(at), "links": obj{"self": s.base(r) + res.self}, "status": status}
}

func (s *Sim) listProjectResources(r *http.Request, _ *reqInfo) (int, any) {
	p, ok := s.project(r)
	if !ok {
		return notFound()
	}
	list := s.w.projectResources(p.ID)
	return s.listing(r, "resources", len(list), func(i int) any { return s.renderResource(r, list[i], "ok") })
}

// assignProjectResources moves resources to a project; every URN must name one that exists.
func (s *Sim) assignProjectResources(r *http.Request, _ *reqInfo) (int, any) {
	p, ok := s.project(r)
	if !ok {
		return notFound()
	}
	var req struct {
		Resources []string `json:"resources"`
	}
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	if len(req.Resources) == 0 {
		return badRequest("resources must list at least one resource URN.")
	}
	known := map[string]projectResource{}
	for _, res := range s.w.resourceURNs() {
		known[res.urn] = res
	}
	out := []any{}
	now := s.now()
	for _, urn := range req.Resources {
		res, ok := known[urn]
		if !ok {
			return errf(http.StatusNotFound, "not_found", "The resource %s could not be found.", urn)
		}
		status := "already_assigned"
		if s.w.projectOf(urn) != p.ID {
			s.w.ProjectOf[urn], s.w.AssignedAt[urn], status = p.ID, now, "assigned"
		}
		out = append(out, s.renderResource(r, res, status))
	}
	return http.StatusOK, obj{"resources": out}
}
