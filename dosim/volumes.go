package dosim

import (
	"net/http"
	"strconv"
	"time"
)

// maxVolumesPerDroplet is DigitalOcean's limit of volumes attached to one droplet.
const maxVolumesPerDroplet = 7

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/volumes", s.listVolumes)
		api("POST /v2/volumes", s.createVolumeResource)
		api("DELETE /v2/volumes", s.deleteVolumeByName)
		api("GET /v2/volumes/{id}", s.getVolume)
		api("DELETE /v2/volumes/{id}", s.deleteVolume)
		api("POST /v2/volumes/{id}/actions", s.postVolumeAction)
		api("GET /v2/volumes/{id}/actions", s.listVolumeActions)
		api("GET /v2/volumes/{id}/actions/{action}", s.getVolumeAction)
	})
	actionEffects["attach_volume"] = func(s *Sim, a *Action) {
		v, d, ok := s.volumeActionTargets(a)
		if !ok || (len(v.DropletIDs) > 0 && !hasInt(v.DropletIDs, d.ID)) {
			a.Status = "errored" // the droplet went away, or another attach won the race
			return
		}
		v.DropletIDs = []int{d.ID}
		if !hasString(d.VolumeIDs, v.ID) {
			d.VolumeIDs = append(d.VolumeIDs, v.ID)
		}
	}
	actionEffects["detach_volume"] = func(s *Sim, a *Action) {
		v, ok := s.w.Volumes[a.Params["volume"]]
		if !ok {
			return
		}
		id, _ := strconv.Atoi(a.Params["droplet_id"])
		v.DropletIDs = removeInt(v.DropletIDs, id)
		if d, ok := s.w.Droplets[id]; ok {
			d.VolumeIDs = removeString(d.VolumeIDs, v.ID)
		}
	}
	actionEffects["resize_volume"] = func(s *Sim, a *Action) {
		if v, ok := s.w.Volumes[a.Params["volume"]]; ok {
			v.SizeGB, _ = strconv.Atoi(a.Params["size_gigabytes"])
		}
	}
}

func (s *Sim) volumeActionTargets(a *Action) (*Volume, *Droplet, bool) {
	v, ok := s.w.Volumes[a.Params["volume"]]
	id, _ := strconv.Atoi(a.Params["droplet_id"])
	d, ok2 := s.w.Droplets[id]
	return v, d, ok && ok2
}

func renderVolume(v *Volume) obj {
	return obj{
		"id":               v.ID,
		"name":             v.Name,
		"description":      v.Description,
		"size_gigabytes":   v.SizeGB,
		"droplet_ids":      nonNilInts(v.DropletIDs),
		"created_at":       ts(v.CreatedAt),
		"tags":             nonNilStrings(v.Tags),
		"region":           regionJSON(v.Region),
		"filesystem_type":  v.fsType(),
		"filesystem_label": v.FSLabel,
	}
}

func (v *Volume) fsType() string {
	if v.FSType == "" {
		return "ext4"
	}
	return v.FSType
}

// sortedVolumes returns the volumes in the order DigitalOcean lists them: oldest first.
func (w *world) sortedVolumes() []*Volume {
	return oldestFirst(w.Volumes, func(r *Volume) (time.Time, string) { return r.CreatedAt, r.ID }, nil)
}

func (s *Sim) listVolumes(r *http.Request, _ *reqInfo) (int, any) {
	q := r.URL.Query()
	name, region := q.Get("name"), q.Get("region")
	list := []*Volume{}
	for _, v := range s.w.sortedVolumes() {
		if (name == "" || v.Name == name) && (region == "" || v.Region == region) {
			list = append(list, v)
		}
	}
	return s.listing(r, "volumes", len(list), func(i int) any { return renderVolume(list[i]) })
}

func (s *Sim) getVolume(r *http.Request, _ *reqInfo) (int, any) {
	v, ok := s.w.Volumes[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	return http.StatusOK, obj{"volume": renderVolume(v)}
}

// volumeActionRequest is the body of POST /v2/volumes/{id}/actions.
type volumeActionRequest struct {
	Type      string   `json:"type"`
	DropletID int      `json:"droplet_id"`
	Region    string   `json:"region"`
	SizeGB    int      `json:"size_gigabytes"`
	Tags      []string `json:"tags"`
}

func (s *Sim) postVolumeAction(r *http.Request, _ *reqInfo) (int, any) {
	v, ok := s.w.Volumes[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	var req volumeActionRequest
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	if st, body := s.checkVolumeAction(v, &req); st != 0 {
		return st, body
	}
	params := map[string]string{"volume": v.ID}
	if req.Type == "resize" {
		params["size_gigabytes"] = strconv.Itoa(req.SizeGB)
	} else {
		params["droplet_id"] = strconv.Itoa(req.DropletID)
	}
	for _, t := range req.Tags {
		if !hasString(v.Tags, t) {
			v.Tags = append(v.Tags, t)
		}
		s.w.addTag(t)
	}
	a := s.startAction(req.Type+"_volume", "volume", 0, v.Region, params, s.cfg.ActionDelay)
	return http.StatusAccepted, obj{"action": renderAction(a)}
}

// volumeBusy reports whether a volume has an action in progress.
func (s *Sim) volumeBusy(v *Volume) bool {
	for _, a := range s.w.actionsOn("volume:" + v.ID) {
		if a.Status == "in-progress" {
			return true
		}
	}
	return false
}

// checkVolumeAction answers why an action cannot start, or 0 when it can.
func (s *Sim) checkVolumeAction(v *Volume, req *volumeActionRequest) (int, any) {
	switch {
	case req.Type != "attach" && req.Type != "detach" && req.Type != "resize":
		return unprocessable("Action type %q is not supported; use attach, detach or resize.", req.Type)
	case req.Region != "" && req.Region != v.Region:
		return unprocessable("Volume %s is in %s, not %s.", v.Name, v.Region, req.Region)
	case s.volumeBusy(v):
		return unprocessable("Volume %s has a pending event; wait for it to complete.", v.Name)
	}
	for _, t := range req.Tags {
		if !validTag.MatchString(t) {
			return unprocessable("Tag %q is invalid.", t)
		}
	}
	if req.Type == "resize" {
		return checkResize(v, req.SizeGB)
	}
	d, ok := s.w.Droplets[req.DropletID]
	if !ok {
		return errf(http.StatusNotFound, "not_found", "Droplet %d could not be found.", req.DropletID)
	}
	if req.Type == "detach" {
		if !hasInt(v.DropletIDs, d.ID) {
			return unprocessable("Volume %s is not attached to Droplet %d.", v.Name, d.ID)
		}
		return 0, nil
	}
	return checkAttach(v, d)
}

// maxVolumeGB is the largest volume DigitalOcean makes.
const maxVolumeGB = 16384

func checkResize(v *Volume, size int) (int, any) {
	switch {
	case size <= v.SizeGB:
		return unprocessable("Volume %s is %d GiB and can only grow; %d GiB is not larger.", v.Name, v.SizeGB, size)
	case size > maxVolumeGB:
		return unprocessable("A volume can be at most %d GiB, not %d.", maxVolumeGB, size)
	}
	return 0, nil
}

func checkAttach(v *Volume, d *Droplet) (int, any) {
	switch {
	case d.Region != v.Region:
		return unprocessable("Droplet %d is in %s; volume %s is in %s.", d.ID, d.Region, v.Name, v.Region)
	case hasInt(v.DropletIDs, d.ID):
		return unprocessable("Volume %s is already attached to Droplet %d.", v.Name, d.ID)
	case len(v.DropletIDs) > 0:
		return unprocessable("Volume %s is attached to Droplet %d; detach it first.", v.Name, v.DropletIDs[0])
	case len(d.VolumeIDs) >= maxVolumesPerDroplet:
		return unprocessable("Droplet %d already has %d volumes attached, the most it can have.", d.ID, len(d.VolumeIDs))
	}
	return 0, nil
}

func (s *Sim) listVolumeActions(r *http.Request, _ *reqInfo) (int, any) {
	v, ok := s.w.Volumes[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	return s.newestFirst(r, s.w.actionsOn("volume:"+v.ID))
}

func (s *Sim) getVolumeAction(r *http.Request, _ *reqInfo) (int, any) {
	id, ok := pathInt(r, "action")
	a, found := s.w.Actions[id]
	if !ok || !found || a.ResourceType != "volume" || a.Params["volume"] != r.PathValue("id") {
		return notFound()
	}
	return http.StatusOK, obj{"action": renderAction(a)}
}
