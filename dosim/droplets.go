package dosim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

func (s *Sim) dropletRoutes(api func(string, handler)) {
	api("GET /v2/droplets", s.listDroplets)
	api("POST /v2/droplets", s.createDroplets)
	api("DELETE /v2/droplets", s.deleteDropletsByTag)
	api("GET /v2/droplets/{id}", s.getDroplet)
	api("DELETE /v2/droplets/{id}", s.deleteDroplet)
	api("GET /v2/actions", s.listActions)
	api("GET /v2/actions/{id}", s.getAction)
}

func (s *Sim) listDroplets(r *http.Request, _ *reqInfo) (int, any) {
	q := r.URL.Query()
	tag, name := q.Get("tag_name"), q.Get("name")
	typ := q.Get("type")
	switch {
	case tag != "" && name != "":
		return unprocessable("tag_name and name cannot be combined")
	case tag != "" && typ != "":
		return unprocessable("tag_name and type cannot be combined")
	case typ != "" && typ != "droplets" && typ != "gpus":
		return badRequest("type must be droplets or gpus, not %q", typ)
	}
	return s.dropletPage(r, s.w.sortedDroplets(s.dropletFilter(tag, name, typ)))
}

// dropletFilter is what GET /v2/droplets keeps: by tag, both kinds; otherwise the GPU
// droplets with type=gpus and the others without; by name, case-insensitively. Nil keeps
// all, the fast path of a world without GPU droplets.
func (s *Sim) dropletFilter(tag, name, typ string) func(*Droplet) bool {
	gpus := typ == "gpus"
	if tag == "" && name == "" && !gpus && s.w.gpuDroplets == 0 {
		return nil
	}
	return func(d *Droplet) bool {
		switch {
		case tag != "":
			return hasString(d.Tags, tag)
		case sizes[d.Size].isGPU() != gpus:
			return false
		}
		return name == "" || strings.EqualFold(d.Name, name)
	}
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
	Name              string              `json:"name"`
	Names             []string            `json:"names"`
	Region            string              `json:"region"`
	Size              string              `json:"size"`
	Image             json.RawMessage     `json:"image"`
	SSHKeys           []json.RawMessage   `json:"ssh_keys"`
	Backups           bool                `json:"backups"`
	IPv6              bool                `json:"ipv6"`
	Monitoring        bool                `json:"monitoring"`
	Tags              []string            `json:"tags"`
	UserData          string              `json:"user_data"`
	PrivateNetworking bool                `json:"private_networking"`
	Volumes           []json.RawMessage   `json:"volumes"`
	VPCUUID           string              `json:"vpc_uuid"`
	BackupPolicy      *backupPolicyFields `json:"backup_policy"`
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
		droplets = append(droplets, rd.render(d))
		actions = append(actions, obj{"id": d.CreateAction, "rel": "create", "href": s.base(r) + "/v2/actions/" + strconv.Itoa(d.CreateAction)})
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
	spec, f := s.resolveCreate(req)
	if f == nil {
		f = s.checkCreateExtras(req, &spec, n)
	}
	if f != nil {
		st, b := f.answer()
		return spec, st, b
	}
	return spec, 0, nil
}

// resolveCreate resolves the size, image and region of a create and checks they fit
// together: the size exists in the region, the image is there and fits the disk.
func (s *Sim) resolveCreate(req *createRequest) (createSpec, *failure) {
	var spec createSpec
	size, ok := sizes[req.Size]
	if req.Size == "" || !ok {
		return spec, refuse("You specified an invalid size for Droplet creation.")
	}
	if len(req.Image) == 0 {
		return spec, refuse("Image is required.")
	}
	im, ok := s.w.findImage(req.Image)
	if !ok || im.Status != "available" {
		return spec, refuse("You specified an invalid image for Droplet creation.")
	}
	spec.image = im
	spec.region = createRegion(req.Region, im, size)
	switch {
	case spec.region == "":
		return spec, refuse("You specified an invalid region for Droplet creation.")
	case !size.inRegion(spec.region):
		return spec, refuse("Size %s is not available in region %s.", size.Slug, spec.region)
	case !im.Public && !hasString(im.Regions, spec.region):
		return spec, refuse("The image %d is not available in region %s.", im.ID, spec.region)
	case im.MinDiskSize > size.Disk:
		return spec, refuse("This size is not available because it has a smaller disk than the image requires (%d GB).", im.MinDiskSize)
	}
	return spec, nil
}

// createRegion reads the region of a create: a slug; a prefix such as "nyc", for any
// datacenter of it; or nothing, for anywhere the image and size are.
func createRegion(want string, im *Image, size Size) string {
	if _, ok := regions[want]; ok {
		return want
	}
	for _, r := range regionList {
		fits := size.inRegion(r.Slug) && (im.Public || hasString(im.Regions, r.Slug))
		if fits && (want == "" || (len(want) >= 3 && r.Slug[:len(r.Slug)-1] == want)) {
			return r.Slug
		}
	}
	return ""
}

// checkCreateExtras checks the rest of a create: tags, keys, VPC, backups, the droplet
// limit and volumes.
func (s *Sim) checkCreateExtras(req *createRequest, spec *createSpec, n int) *failure {
	for _, t := range req.Tags {
		if !validTag.MatchString(t) {
			return refuse("Tag %q is invalid.", t)
		}
	}
	for _, raw := range req.SSHKeys {
		if _, ok := s.w.keyRef(raw); !ok {
			return refuse("You specified an invalid SSH key: %s.", raw)
		}
	}
	if req.VPCUUID != "" {
		if v, ok := s.w.VPCs[req.VPCUUID]; !ok || v.Region != spec.region {
			return refuse("VPC %s does not exist in %s.", req.VPCUUID, spec.region)
		}
	}
	if req.BackupPolicy != nil && !req.Backups {
		return refuse("backup_policy needs backups: true.")
	}
	if len(s.w.Droplets)+n > s.w.DropletLimit {
		// DigitalOcean's own wording, which clients match on.
		return refuse("creating this/these droplet(s) will exceed your droplet limit")
	}
	for _, raw := range req.Volumes {
		v, status, body := s.createVolume(raw, spec.region, n)
		if status != 0 {
			return &failure{status, body}
		}
		spec.volumes = append(spec.volumes, v)
	}
	return nil
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
		vpc = s.w.defaultVPCFor(spec.region, now).ID
	}
	d := &Droplet{
		ID: s.w.newID(), Name: name, Region: spec.region, Size: req.Size, ImageID: spec.image.ID,
		Status: "new", CreatedAt: now, ReadyAt: now.Add(s.cfg.Provision), Tags: dedupe(req.Tags),
		PublicIP: pub, PrivateIP: priv, IPv6: req.IPv6, Monitoring: req.Monitoring, Backups: req.Backups,
		VPCUUID: vpc, UserData: req.UserData,
	}
	if d.Backups {
		d.BackupPolicy, _ = req.BackupPolicy.resolve(d)
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
	d.CreateAction = s.startAction("create", "droplet", d.ID, d.Region, nil, 0).ID
	s.scheduleActivation(d)
	return d
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
	s.recordAction("destroy", "droplet", d.ID, d.Region, s.now())
	for _, id := range d.BackupIDs {
		delete(s.w.Images, id) // backups go with their droplet; snapshots stay
	}
	for _, fw := range s.w.Firewalls {
		fw.DropletIDs = removeInt(fw.DropletIDs, d.ID)
	}
	delete(s.w.ProjectOf, "do:droplet:"+strconv.Itoa(d.ID))
	if d.Pool != "" {
		s.poolLost(d)
	}
	s.w.dropDroplet(d.ID)
	s.w.Deleted++
	s.unschedule(dropletKey(d.ID))
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
	for _, a := range s.w.actionsOn(dropletKey(d.ID)) {
		if a.locks() {
			s.unschedule(actionTimer(a.ID))
			s.completeAction(a, "errored")
		}
	}
}
