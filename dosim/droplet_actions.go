package dosim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("POST /v2/droplets/{id}/actions", s.postDropletAction)
		api("POST /v2/droplets/actions", s.postDropletActionByTag)
	})
}

// dropletActionRequest is the body of POST /v2/droplets/{id}/actions, every type's
// attributes together.
type dropletActionRequest struct {
	Type         string              `json:"type"`
	Name         string              `json:"name"`
	Image        json.RawMessage     `json:"image"`
	Size         string              `json:"size"`
	Disk         bool                `json:"disk"`
	Kernel       int                 `json:"kernel"`
	BackupPolicy *backupPolicyFields `json:"backup_policy"`
}

// failure is an API error on its way to the client.
type failure struct {
	status int
	body   any
}

func refuse(format string, a ...any) *failure {
	st, b := unprocessable(format, a...)
	return &failure{st, b}
}

func (f *failure) answer() (int, any) { return f.status, f.body }

// actionCheck validates one action type's request against its droplet and returns what
// the action needs when it completes.
type actionCheck func(s *Sim, d *Droplet, req *dropletActionRequest) (map[string]string, *failure)

// dropletActionChecks are the droplet actions the simulator serves, by type: every type
// DigitalOcean documents, and enable_private_networking, which it still accepts.
var dropletActionChecks = map[string]actionCheck{
	"power_off": noParams, "power_on": noParams, "shutdown": noParams, "reboot": noParams,
	"power_cycle": noParams, "enable_ipv6": noParams, "password_reset": noParams,
	"enable_private_networking": noParams,
	"rename":                    checkRename,
	"snapshot":                  checkSnapshot,
	"rebuild":                   checkRebuild,
	"resize":                    checkResizeDroplet,
	"change_kernel":             checkChangeKernel,
	"restore":                   checkRestore,
	"enable_backups":            checkEnableBackups,
	"disable_backups":           checkDisableBackups,
	"change_backup_policy":      checkChangeBackupPolicy,
}

// byTagActions are the types POST /v2/droplets/actions?tag_name= accepts.
var byTagActions = map[string]bool{
	"power_off": true, "power_on": true, "shutdown": true, "power_cycle": true, "enable_ipv6": true,
	"enable_backups": true, "disable_backups": true, "snapshot": true, "enable_private_networking": true,
}

func noParams(*Sim, *Droplet, *dropletActionRequest) (map[string]string, *failure) { return nil, nil }

func checkRename(_ *Sim, _ *Droplet, req *dropletActionRequest) (map[string]string, *failure) {
	if !validName.MatchString(req.Name) {
		return nil, refuse("Name is invalid: only letters, numbers, periods and dashes are allowed.")
	}
	return map[string]string{"name": req.Name}, nil
}

func checkSnapshot(s *Sim, d *Droplet, req *dropletActionRequest) (map[string]string, *failure) {
	name := req.Name
	if name == "" {
		name = fmt.Sprintf("%s-%d", d.Name, s.now().Unix())
	}
	return map[string]string{"name": name}, nil
}

func checkRebuild(s *Sim, d *Droplet, req *dropletActionRequest) (map[string]string, *failure) {
	im, ok := s.w.findImage(req.Image)
	switch {
	case !ok || im.Status != "available":
		return nil, refuse("You specified an invalid image for the rebuild.")
	case !im.Public && !hasString(im.Regions, d.Region):
		return nil, refuse("The image %d is not available in region %s.", im.ID, d.Region)
	case im.MinDiskSize > d.disk():
		return nil, refuse("The image needs a %d GB disk; this Droplet has %d GB.", im.MinDiskSize, d.disk())
	}
	return map[string]string{"image": strconv.Itoa(im.ID)}, nil
}

// checkResizeDroplet holds a resize to DigitalOcean's rules: the droplet is off, the size
// exists in its region, and the disk never shrinks. With disk the disk grows to the new
// size's; without, only CPU and memory change, so the droplet can be resized back down.
func checkResizeDroplet(_ *Sim, d *Droplet, req *dropletActionRequest) (map[string]string, *failure) {
	size, ok := sizes[req.Size]
	switch {
	case req.Size == "" || !ok:
		return nil, refuse("You specified an invalid size for Droplet resize.")
	case d.Status != "off":
		return nil, refuse("Droplet is currently on. Please power it off to run this event.")
	case req.Size == d.Size:
		return nil, refuse("This Droplet is already of size %s.", d.Size)
	case !size.inRegion(d.Region):
		return nil, refuse("Size %s is not available in region %s.", size.Slug, d.Region)
	case size.Disk < d.disk():
		return nil, refuse("Size %s has a %d GB disk, smaller than this Droplet's %d GB; a disk cannot shrink.", size.Slug, size.Disk, d.disk())
	}
	disk := d.disk()
	if req.Disk {
		disk = size.Disk
	}
	return map[string]string{"size": size.Slug, "disk": strconv.Itoa(disk)}, nil
}

func checkChangeKernel(_ *Sim, d *Droplet, req *dropletActionRequest) (map[string]string, *failure) {
	if d.Kernel == nil {
		return nil, refuse("This Droplet uses an internally managed kernel; change_kernel applies only to Droplets with externally managed kernels.")
	}
	if _, ok := kernelByID(req.Kernel); !ok {
		return nil, refuse("You specified an invalid kernel: %d.", req.Kernel)
	}
	return map[string]string{"kernel": strconv.Itoa(req.Kernel)}, nil
}

func checkRestore(s *Sim, d *Droplet, req *dropletActionRequest) (map[string]string, *failure) {
	var id int
	if err := json.Unmarshal(req.Image, &id); err != nil || !hasInt(d.BackupIDs, id) {
		return nil, refuse("The image to restore from must be a backup of this Droplet (one of its backup_ids).")
	}
	if _, ok := s.w.Images[id]; !ok {
		return nil, refuse("Backup %d no longer exists.", id)
	}
	return map[string]string{"image": strconv.Itoa(id)}, nil
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
	a, f := s.dropletAction(d, &req)
	if f != nil {
		return f.answer()
	}
	return http.StatusCreated, obj{"action": renderAction(a)}
}

func (s *Sim) dropletAction(d *Droplet, req *dropletActionRequest) (*Action, *failure) {
	check, ok := dropletActionChecks[req.Type]
	if !ok {
		return nil, refuse("Action type %q is not supported.", req.Type)
	}
	if s.w.locked(d.ID) || d.Status == "new" {
		return nil, refuse("Droplet already has a pending event.")
	}
	params, f := check(s, d, req)
	if f != nil {
		return nil, f
	}
	return s.startAction(req.Type, "droplet", d.ID, d.Region, params, s.cfg.ActionDelay), nil
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
	if !byTagActions[req.Type] {
		return unprocessable("Action type %q cannot be applied by tag.", req.Type)
	}
	out := []any{}
	for _, d := range s.w.tagDroplets(tag) {
		if a, _ := s.dropletAction(d, &req); a != nil {
			out = append(out, renderAction(a))
		}
	}
	return http.StatusCreated, obj{"actions": out}
}

func (s *Sim) listDropletActions(r *http.Request, _ *reqInfo) (int, any) {
	d, ok := s.droplet(r)
	if !ok {
		return notFound()
	}
	return s.newestFirst(r, s.w.actionsOn(dropletKey(d.ID)))
}

func (s *Sim) getDropletAction(r *http.Request, _ *reqInfo) (int, any) {
	d, ok := s.droplet(r)
	id, ok2 := pathInt(r, "action")
	a, ok3 := s.w.Actions[id]
	if !ok || !ok2 || !ok3 || a.ResourceType != "droplet" || a.ResourceID != d.ID {
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
	onDroplet := func(fx func(s *Sim, d *Droplet, a *Action)) func(*Sim, *Action) {
		return func(s *Sim, a *Action) {
			if d, ok := s.w.Droplets[a.ResourceID]; ok {
				fx(s, d, a)
			}
		}
	}
	actionEffects["rename"] = onDroplet(func(_ *Sim, d *Droplet, a *Action) { d.Name = a.Params["name"] })
	actionEffects["rebuild"] = onDroplet(func(_ *Sim, d *Droplet, a *Action) { d.ImageID, _ = strconv.Atoi(a.Params["image"]) })
	actionEffects["enable_ipv6"] = onDroplet(func(_ *Sim, d *Droplet, _ *Action) { d.IPv6 = true })
	actionEffects["resize"] = onDroplet(func(s *Sim, d *Droplet, a *Action) {
		s.w.dropDroplet(d.ID) // out and back in, so that the GPU count follows the size
		d.Size = a.Params["size"]
		d.Disk, _ = strconv.Atoi(a.Params["disk"])
		s.w.putDroplet(d)
	})
	actionEffects["change_kernel"] = onDroplet(func(_ *Sim, d *Droplet, a *Action) {
		id, _ := strconv.Atoi(a.Params["kernel"])
		if k, ok := kernelByID(id); ok {
			d.Kernel = &k
		}
	})
	actionEffects["snapshot"] = onDroplet(func(s *Sim, d *Droplet, a *Action) {
		im := s.w.imageOf(d, a.Params["name"], "snapshot", s.now())
		d.Snapshots = append(d.Snapshots, im.ID)
	})
}

// imageOf records a snapshot or backup of a droplet taken at a time.
func (w *world) imageOf(d *Droplet, name, typ string, at time.Time) *Image {
	im := &Image{
		ID: w.newID(), Name: name, Type: typ, Regions: []string{d.Region}, CreatedAt: at,
		MinDiskSize: d.disk(), SizeGB: 2.36, Tags: []string{}, Status: "available", SourceDroplet: d.ID, Distro: "Ubuntu",
	}
	if src, ok := w.Images[d.ImageID]; ok {
		im.Distro = src.Distro
	}
	w.Images[im.ID] = im
	return im
}
