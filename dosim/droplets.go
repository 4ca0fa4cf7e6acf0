package dosim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
)

func (s *Sim) dropletRoutes(api func(string, handler)) {
	api("GET /v2/droplets", s.listDroplets)
	api("POST /v2/droplets", s.createDroplets)
	api("DELETE /v2/droplets", s.deleteDropletsByTag)
	api("GET /v2/droplets/{id}", s.getDroplet)
	api("DELETE /v2/droplets/{id}", s.deleteDroplet)
	api("POST /v2/droplets/{id}/actions", s.postDropletAction)
	api("GET /v2/droplets/{id}/actions", s.listDropletActions)
	api("GET /v2/droplets/{id}/actions/{action}", s.getDropletAction)
	api("POST /v2/droplets/actions", s.postDropletActionByTag)
	api("GET /v2/actions", s.listActions)
	api("GET /v2/actions/{id}", s.getAction)
}

func (s *Sim) listDroplets(r *http.Request, _ *reqInfo) (int, any) {
	q := r.URL.Query()
	tag, name := q.Get("tag_name"), q.Get("name")
	if tag != "" && name != "" {
		return unprocessable("tag_name and name cannot be combined")
	}
	var keep func(*Droplet) bool
	if tag != "" || name != "" {
		keep = func(d *Droplet) bool { return (tag == "" || hasString(d.Tags, tag)) && (name == "" || d.Name == name) }
	}
	list := s.w.sortedDroplets(keep)
	rd := s.w.dropletRenderer()
	return s.listing(r, "droplets", len(list), func(i int) any { return rd.render(list[i]) })
}

func (s *Sim) droplet(r *http.Request) (*Droplet, bool) {
	id, ok := pathInt(r, "id")
	if !ok {
		return nil, false
	}
	d, ok := s.w.Droplets[id]
	return d, ok
}

func (s *Sim) getDroplet(r *http.Request, _ *reqInfo) (int, any) {
	d, ok := s.droplet(r)
	if !ok {
		return notFound()
	}
	return http.StatusOK, obj{"droplet": s.w.renderDroplet(d)}
}

// createRequest is what DigitalOcean accepts on POST /v2/droplets, loosely typed where
// clients differ: image as slug or ID, volumes as IDs or objects, nulls for empty lists.
type createRequest struct {
	Name              string            `json:"name"`
	Names             []string          `json:"names"`
	Region            string            `json:"region"`
	Size              string            `json:"size"`
	Image             json.RawMessage   `json:"image"`
	SSHKeys           []json.RawMessage `json:"ssh_keys"`
	Backups           bool              `json:"backups"`
	IPv6              bool              `json:"ipv6"`
	Monitoring        bool              `json:"monitoring"`
	Tags              []string          `json:"tags"`
	UserData          string            `json:"user_data"`
	PrivateNetworking bool              `json:"private_networking"`
	Volumes           []json.RawMessage `json:"volumes"`
	VPCUUID           string            `json:"vpc_uuid"`
}

var validName = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9.\-]{0,253}[a-zA-Z0-9])?$`)

var validTag = regexp.MustCompile(`^[a-zA-Z0-9_\-:]{1,255}$`)

// findImage resolves an image given as a number, a numeric string or a slug.
func (w *world) findImage(raw json.RawMessage) (*Image, bool) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	switch x := v.(type) {
	case float64:
		im, ok := w.Images[int(x)]
		return im, ok
	case string:
		if id, err := strconv.Atoi(x); err == nil {
			im, ok := w.Images[id]
			return im, ok
		}
		for _, im := range w.Images {
			if im.Slug == x {
				return im, true
			}
		}
	}
	return nil, false
}

func (s *Sim) createDroplets(r *http.Request, ri *reqInfo) (int, any) {
	var req createRequest
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	names := req.Names
	multi := len(names) > 0
	if !multi {
		if req.Name == "" {
			return unprocessable("Name is required.")
		}
		names = []string{req.Name}
	} else if req.Name != "" {
		return unprocessable("Specify either name or names, not both.")
	}
	if len(names) > 10 {
		return unprocessable("You can only create 10 Droplets at a time, you tried to create %d.", len(names))
	}
	for _, n := range names {
		if !validName.MatchString(n) {
			return unprocessable("Name %q is invalid: only letters, numbers, periods and dashes are allowed.", n)
		}
	}
	spec, status, body := s.validateCreate(&req, len(names))
	if status != 0 {
		return status, body
	}
	var droplets []any
	var actions []obj
	rd := s.w.dropletRenderer()
	for _, n := range names {
		d := s.newDroplet(n, &req, spec)
		a := s.startAction("create", "droplet", d.ID, d.Region, nil, 0)
		d.CreateAction = a.ID
		droplets = append(droplets, rd.render(d))
		actions = append(actions, obj{"id": a.ID, "rel": "create", "href": s.base(r) + "/v2/actions/" + strconv.Itoa(a.ID)})
	}
	links := obj{"actions": actions}
	if multi {
		return http.StatusAccepted, obj{"droplets": droplets, "links": links}
	}
	return http.StatusAccepted, obj{"droplet": droplets[0], "links": links}
}

// createSpec is what validation resolved from a create request.
type createSpec struct {
	image   *Image
	region  string
	volumes []*Volume
}

func (s *Sim) validateCreate(req *createRequest, n int) (createSpec, int, any) {
	var spec createSpec
	fail := func(status int, body any) (createSpec, int, any) { return spec, status, body }
	size, ok := sizes[req.Size]
	if req.Size == "" || !ok {
		return fail(unprocessable("You specified an invalid size for Droplet creation."))
	}
	if len(req.Image) == 0 {
		return fail(unprocessable("Image is required."))
	}
	im, ok := s.w.findImage(req.Image)
	if !ok || im.Status != "available" {
		return fail(unprocessable("You specified an invalid image for Droplet creation."))
	}
	spec.image, spec.region = im, req.Region
	if spec.region == "" && len(im.Regions) > 0 {
		spec.region = im.Regions[0]
	}
	if _, ok := regions[spec.region]; !ok {
		return fail(unprocessable("You specified an invalid region for Droplet creation."))
	}
	if !im.Public && !hasString(im.Regions, spec.region) {
		return fail(unprocessable("The image %d is not available in region %s.", im.ID, spec.region))
	}
	if im.MinDiskSize > size.Disk {
		return fail(unprocessable("This size is not available because it has a smaller disk than the image requires (%d GB).", im.MinDiskSize))
	}
	for _, t := range req.Tags {
		if !validTag.MatchString(t) {
			return fail(unprocessable("Tag %q is invalid.", t))
		}
	}
	if len(s.w.Droplets)+n > s.w.DropletLimit {
		// DigitalOcean's own wording, which clients match on.
		return fail(unprocessable("creating this/these droplet(s) will exceed your droplet limit"))
	}
	for _, raw := range req.Volumes {
		v, status, body := s.createVolume(raw, spec.region, n)
		if status != 0 {
			return fail(status, body)
		}
		spec.volumes = append(spec.volumes, v)
	}
	return spec, 0, nil
}

// createVolume resolves a volume named in a create request: an ID string or {"id"}/{"name"}.
func (s *Sim) createVolume(raw json.RawMessage, region string, n int) (*Volume, int, any) {
	var id, name string
	var ref struct{ ID, Name string }
	if err := json.Unmarshal(raw, &id); err != nil {
		if err := json.Unmarshal(raw, &ref); err != nil {
			return badReq("volumes must be IDs or objects")
		}
		id, name = ref.ID, ref.Name
	}
	for _, v := range s.w.Volumes {
		if (id != "" && v.ID == id) || (id == "" && name != "" && v.Name == name) {
			switch {
			case n > 1:
				return badReq("a volume can be attached to one Droplet only")
			case v.Region != region:
				return badReq("volume %s is in %s, not %s", v.Name, v.Region, region)
			case len(v.DropletIDs) > 0:
				return badReq("volume %s is already attached to a Droplet", v.Name)
			}
			return v, 0, nil
		}
	}
	return badReq("volume %s%s not found", id, name)
}

func badReq(format string, a ...any) (*Volume, int, any) {
	st, b := unprocessable(format, a...)
	return nil, st, b
}

func (s *Sim) newDroplet(name string, req *createRequest, spec createSpec) *Droplet {
	now := s.now()
	pub, priv := s.w.allocIPs()
	vpc := req.VPCUUID
	if vpc == "" {
		vpc = defaultVPC(spec.region)
	}
	d := &Droplet{
		ID: s.w.newID(), Name: name, Region: spec.region, Size: req.Size, ImageID: spec.image.ID,
		Status: "new", CreatedAt: now, ReadyAt: now.Add(s.cfg.Provision), Tags: dedupe(req.Tags),
		PublicIP: pub, PrivateIP: priv, IPv6: req.IPv6, Monitoring: req.Monitoring, Backups: req.Backups,
		VPCUUID: vpc, UserData: req.UserData,
	}
	for _, t := range d.Tags {
		s.w.addTag(t)
	}
	for _, v := range spec.volumes {
		v.DropletIDs = []int{d.ID}
		d.VolumeIDs = append(d.VolumeIDs, v.ID)
	}
	s.w.putDroplet(d)
	s.w.Created++
	s.scheduleActivation(d)
	return d
}

func defaultVPC(region string) string {
	h := 0
	for _, c := range region {
		h = h*31 + int(c)
	}
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", h, h%0xffff, h%0xfff, h%0xfff, h)
}

func dedupe(list []string) []string {
	out := []string{}
	for _, x := range list {
		if !hasString(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func (s *Sim) deleteDroplet(r *http.Request, _ *reqInfo) (int, any) {
	d, ok := s.droplet(r)
	if !ok {
		return notFound()
	}
	s.removeDroplet(d)
	return http.StatusNoContent, nil
}

func (s *Sim) deleteDropletsByTag(r *http.Request, _ *reqInfo) (int, any) {
	tag := r.URL.Query().Get("tag_name")
	if tag == "" {
		return badRequest("tag_name is required to delete Droplets by tag")
	}
	for _, d := range s.w.tagDroplets(tag) {
		s.removeDroplet(d)
	}
	return http.StatusNoContent, nil
}

// removeDroplet deletes a droplet and everything pointing at it.
func (s *Sim) removeDroplet(d *Droplet) {
	s.abortActions(d)
	s.w.dropDroplet(d.ID)
	s.w.Deleted++
	s.unschedule(d.ID)
	s.health.close(d.ID)
	for _, lb := range s.w.LoadBalancers {
		lb.DropletIDs = removeInt(lb.DropletIDs, d.ID)
	}
	for _, ip := range s.w.ReservedIPs {
		if ip.DropletID == d.ID {
			ip.DropletID = 0
		}
	}
	for _, v := range s.w.Volumes {
		v.DropletIDs = removeInt(v.DropletIDs, d.ID)
	}
}

// abortActions ends the actions in progress on a droplet about to be deleted as errored:
// its create, if it is still new, and whatever locks it (scanning only then, since a
// fleet's history holds many actions).
func (s *Sim) abortActions(d *Droplet) {
	if a, ok := s.w.Actions[d.CreateAction]; ok {
		s.completeAction(a, "errored")
	}
	if !s.w.locked(d.ID) {
		return
	}
	for _, a := range s.w.Actions {
		if a.ResourceID == d.ID && a.locks() {
			s.unschedule(a.ID)
			s.completeAction(a, "errored")
		}
	}
}

// dropletActionRequest covers the droplet action types the simulator serves.
type dropletActionRequest struct {
	Type  string          `json:"type"`
	Name  string          `json:"name"`
	Image json.RawMessage `json:"image"`
}

var dropletActionTypes = map[string]bool{
	"power_off": true, "power_on": true, "shutdown": true, "reboot": true, "power_cycle": true,
	"rename": true, "rebuild": true, "snapshot": true, "enable_ipv6": true,
	"enable_backups": true, "disable_backups": true, "enable_private_networking": true,
}

func (s *Sim) postDropletAction(r *http.Request, _ *reqInfo) (int, any) {
	d, ok := s.droplet(r)
	if !ok {
		return notFound()
	}
	var req dropletActionRequest
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	a, status, body := s.dropletAction(d, &req)
	if a == nil {
		return status, body
	}
	return http.StatusCreated, obj{"action": renderAction(a)}
}

func (s *Sim) dropletAction(d *Droplet, req *dropletActionRequest) (*Action, int, any) {
	if !dropletActionTypes[req.Type] {
		st, b := unprocessable("Action type %q is not supported.", req.Type)
		return nil, st, b
	}
	if s.w.locked(d.ID) || d.Status == "new" {
		st, b := unprocessable("Droplet already has a pending event.")
		return nil, st, b
	}
	params := map[string]string{}
	switch req.Type {
	case "rename":
		if !validName.MatchString(req.Name) {
			st, b := unprocessable("Name is invalid.")
			return nil, st, b
		}
		params["name"] = req.Name
	case "snapshot":
		params["name"] = req.Name
		if req.Name == "" {
			params["name"] = fmt.Sprintf("%s-%d", d.Name, s.now().Unix())
		}
	case "rebuild":
		im, ok := s.w.findImage(req.Image)
		if !ok {
			st, b := unprocessable("You specified an invalid image for the rebuild.")
			return nil, st, b
		}
		params["image"] = strconv.Itoa(im.ID)
	}
	return s.startAction(req.Type, "droplet", d.ID, d.Region, params, s.cfg.ActionDelay), 0, nil
}

func (s *Sim) postDropletActionByTag(r *http.Request, _ *reqInfo) (int, any) {
	tag := r.URL.Query().Get("tag_name")
	if tag == "" {
		return unprocessable("tag_name is required")
	}
	var req dropletActionRequest
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	switch req.Type {
	case "power_off", "power_on", "shutdown", "power_cycle", "enable_ipv6", "enable_backups", "disable_backups", "snapshot", "enable_private_networking":
	default:
		return unprocessable("Action type %q cannot be applied by tag.", req.Type)
	}
	out := []any{}
	for _, d := range s.w.tagDroplets(tag) {
		if a, _, _ := s.dropletAction(d, &req); a != nil {
			out = append(out, renderAction(a))
		}
	}
	return http.StatusCreated, obj{"actions": out}
}

func (s *Sim) actionsOf(keep func(*Action) bool) []*Action {
	out := []*Action{}
	for _, a := range s.w.Actions {
		if keep(a) {
			out = append(out, a)
		}
	}
	sortActions(out)
	return out
}

func (s *Sim) listDropletActions(r *http.Request, _ *reqInfo) (int, any) {
	d, ok := s.droplet(r)
	if !ok {
		return notFound()
	}
	list := s.actionsOf(func(a *Action) bool { return a.ResourceType == "droplet" && a.ResourceID == d.ID })
	return s.listing(r, "actions", len(list), func(i int) any { return renderAction(list[i]) })
}

func (s *Sim) getDropletAction(r *http.Request, _ *reqInfo) (int, any) {
	d, ok := s.droplet(r)
	id, ok2 := pathInt(r, "action")
	a, ok3 := s.w.Actions[id]
	if !ok || !ok2 || !ok3 || a.ResourceID != d.ID {
		return notFound()
	}
	return http.StatusOK, obj{"action": renderAction(a)}
}

func (s *Sim) listActions(r *http.Request, _ *reqInfo) (int, any) {
	list := s.actionsOf(func(*Action) bool { return true })
	return s.listing(r, "actions", len(list), func(i int) any { return renderAction(list[i]) })
}

func (s *Sim) getAction(r *http.Request, _ *reqInfo) (int, any) {
	id, ok := pathInt(r, "id")
	a, found := s.w.Actions[id]
	if !ok || !found {
		return notFound()
	}
	return http.StatusOK, obj{"action": renderAction(a)}
}

func init() {
	off := func(s *Sim, a *Action) {
		if d, ok := s.w.Droplets[a.ResourceID]; ok && d.Status == "active" {
			d.Status = "off"
			s.health.close(d.ID)
		}
	}
	actionEffects["power_off"] = off
	actionEffects["shutdown"] = off
	actionEffects["power_on"] = func(s *Sim, a *Action) {
		if d, ok := s.w.Droplets[a.ResourceID]; ok && d.Status == "off" {
			d.Status = "active"
			s.openHealth(d)
		}
	}
	actionEffects["rename"] = func(s *Sim, a *Action) {
		if d, ok := s.w.Droplets[a.ResourceID]; ok {
			d.Name = a.Params["name"]
		}
	}
	actionEffects["rebuild"] = func(s *Sim, a *Action) {
		if d, ok := s.w.Droplets[a.ResourceID]; ok {
			d.ImageID, _ = strconv.Atoi(a.Params["image"])
		}
	}
	actionEffects["enable_ipv6"] = func(s *Sim, a *Action) {
		if d, ok := s.w.Droplets[a.ResourceID]; ok {
			d.IPv6 = true
		}
	}
	actionEffects["snapshot"] = func(s *Sim, a *Action) {
		d, ok := s.w.Droplets[a.ResourceID]
		if !ok {
			return
		}
		src := s.w.Images[d.ImageID]
		im := &Image{
			ID: s.w.newID(), Name: a.Params["name"], Type: "snapshot", Regions: []string{d.Region},
			CreatedAt: s.now(), MinDiskSize: sizes[d.Size].Disk, SizeGB: 2.36, Tags: []string{}, Status: "available",
			SourceDroplet: d.ID, Distro: "Ubuntu",
		}
		if src != nil {
			im.Distro = src.Distro
		}
		s.w.Images[im.ID] = im
		d.Snapshots = append(d.Snapshots, im.ID)
	}
}
