package dosim

import (
	"net/http"
	"regexp"
)

// validVolumeName is DigitalOcean's rule: lowercase letters, numbers and dashes, up to
// 64, beginning with a letter.
var validVolumeName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)

// volumeRequest is the body of POST /v2/volumes.
type volumeRequest struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	SizeGB      int      `json:"size_gigabytes"`
	Region      string   `json:"region"`
	SnapshotID  string   `json:"snapshot_id"`
	FSType      string   `json:"filesystem_type"`
	FSLabel     string   `json:"filesystem_label"`
	Tags        []string `json:"tags"`
}

// badVolume is a create DigitalOcean answers 400 to, as its description lists.
func badVolume(format string, a ...any) *failure {
	st, b := badRequest(format, a...)
	return &failure{st, b}
}

func (w *world) checkVolumeRequest(req *volumeRequest) *failure {
	switch {
	case !validVolumeName.MatchString(req.Name):
		return badVolume("name must be lowercase letters, numbers and dashes, up to 64, beginning with a letter.")
	case req.SnapshotID != "":
		return badVolume("snapshot %s could not be found.", req.SnapshotID)
	case req.SizeGB < 1 || req.SizeGB > maxVolumeGB:
		return badVolume("size_gigabytes must be between 1 and %d, not %d.", maxVolumeGB, req.SizeGB)
	case req.FSType != "" && req.FSType != "ext4" && req.FSType != "xfs":
		return badVolume("filesystem_type must be ext4 or xfs, not %q.", req.FSType)
	case len(req.FSLabel) > 16 || (req.FSType == "xfs" && len(req.FSLabel) > 12):
		return badVolume("filesystem_label is too long: 16 characters for ext4, 12 for xfs.")
	case len(w.Volumes) >= volumeLimit:
		return refuse("You have reached the volume limit of %d for this account.", volumeLimit)
	}
	if _, ok := regions[req.Region]; !ok {
		return badVolume("You specified an invalid region for the volume: %q.", req.Region)
	}
	for _, t := range req.Tags {
		if !validTag.MatchString(t) {
			return badVolume("Tag %q is invalid.", t)
		}
	}
	for _, v := range w.Volumes {
		if v.Name == req.Name && v.Region == req.Region {
			st, b := errf(http.StatusConflict, "conflict", "A volume named %s already exists in %s.", v.Name, v.Region)
			return &failure{st, b}
		}
	}
	return nil
}

// createVolumeResource serves POST /v2/volumes: a volume in a region, attached to nothing.
func (s *Sim) createVolumeResource(r *http.Request, _ *reqInfo) (int, any) {
	var req volumeRequest
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	if f := s.w.checkVolumeRequest(&req); f != nil {
		return f.answer()
	}
	v := &Volume{ID: randomUUID(), Name: req.Name, Description: req.Description, Region: req.Region, SizeGB: req.SizeGB,
		DropletIDs: []int{}, CreatedAt: s.now(), Tags: dedupe(req.Tags), FSType: req.FSType, FSLabel: req.FSLabel}
	for _, t := range v.Tags {
		s.w.addTag(t)
	}
	s.w.Volumes[v.ID] = v
	return http.StatusCreated, obj{"volume": renderVolume(v)}
}

func (s *Sim) deleteVolume(r *http.Request, _ *reqInfo) (int, any) {
	v, ok := s.w.Volumes[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	return s.removeVolume(v)
}

// deleteVolumeByName serves DELETE /v2/volumes?name=&region=, which needs both.
func (s *Sim) deleteVolumeByName(r *http.Request, _ *reqInfo) (int, any) {
	q := r.URL.Query()
	name, region := q.Get("name"), q.Get("region")
	if name == "" || region == "" {
		return badRequest("Deleting a volume by name needs both name and region.")
	}
	for _, v := range s.w.Volumes {
		if v.Name == name && v.Region == region {
			return s.removeVolume(v)
		}
	}
	return notFound()
}

// removeVolume deletes a volume that is attached to nothing and has no action running.
func (s *Sim) removeVolume(v *Volume) (int, any) {
	if len(v.DropletIDs) > 0 {
		return errf(http.StatusConflict, "conflict", "Volume %s is attached to Droplet %d; detach it before deleting it.", v.Name, v.DropletIDs[0])
	}
	if s.volumeBusy(v) {
		return unprocessable("Volume %s has a pending event; wait for it to complete.", v.Name)
	}
	delete(s.w.Volumes, v.ID)
	delete(s.w.ProjectOf, "do:volume:"+v.ID)
	return http.StatusNoContent, nil
}
