package dosim

import (
	"net/http"
	"strconv"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("POST /v2/images/{id}/actions", s.postImageAction)
		api("GET /v2/images/{id}/actions", s.listImageActions)
		api("GET /v2/images/{id}/actions/{action}", s.getImageAction)
	})
	actionEffects["transfer"] = func(s *Sim, a *Action) {
		if im, ok := s.w.Images[a.ResourceID]; ok && !hasString(im.Regions, a.Params["region"]) {
			im.Regions = append(im.Regions, a.Params["region"])
		}
	}
	actionEffects["convert"] = func(s *Sim, a *Action) {
		im, ok := s.w.Images[a.ResourceID]
		if !ok {
			return
		}
		im.Type = "snapshot" // a backup kept for good: it no longer goes with its droplet
		if d, ok := s.w.Droplets[im.SourceDroplet]; ok {
			d.BackupIDs = removeInt(d.BackupIDs, im.ID)
			d.Snapshots = append(d.Snapshots, im.ID)
		}
	}
}

// postImageAction serves the two image actions: transfer a private image to another
// region, and convert a backup into a snapshot.
func (s *Sim) postImageAction(r *http.Request, _ *reqInfo) (int, any) {
	im, ok := s.ownImage(r)
	if !ok {
		return notFound()
	}
	var req struct {
		Type   string `json:"type"`
		Region string `json:"region"`
	}
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	for _, a := range s.w.actionsOn("image:" + strconv.Itoa(im.ID)) {
		if a.Status == "in-progress" {
			return unprocessable("Image %d has a pending event; wait for it to complete.", im.ID)
		}
	}
	var params map[string]string
	switch {
	case req.Type == "transfer" && regions[req.Region].Slug == "":
		return unprocessable("You specified an invalid region to transfer the image to: %q.", req.Region)
	case req.Type == "transfer" && hasString(im.Regions, req.Region):
		return unprocessable("Image %d is already in %s.", im.ID, req.Region)
	case req.Type == "transfer":
		params = map[string]string{"region": req.Region}
	case req.Type == "convert" && im.Type != "backup":
		return unprocessable("Only a backup can be converted to a snapshot; image %d is a %s.", im.ID, im.Type)
	case req.Type != "convert":
		return unprocessable("Action type %q is not supported; use convert or transfer.", req.Type)
	}
	region := ""
	if len(im.Regions) > 0 {
		region = im.Regions[0]
	}
	a := s.startAction(req.Type, "image", im.ID, region, params, s.cfg.ActionDelay)
	return http.StatusCreated, obj{"action": renderAction(a)} // as the description's example and godo have it
}

func (s *Sim) listImageActions(r *http.Request, _ *reqInfo) (int, any) {
	im, ok := s.ownImage(r)
	if !ok {
		return notFound()
	}
	return s.newestFirst(r, s.w.actionsOn("image:"+strconv.Itoa(im.ID)))
}

func (s *Sim) getImageAction(r *http.Request, _ *reqInfo) (int, any) {
	im, ok := s.ownImage(r)
	id, ok2 := pathInt(r, "action")
	a, ok3 := s.w.Actions[id]
	if !ok || !ok2 || !ok3 || a.ResourceType != "image" || a.ResourceID != im.ID {
		return notFound()
	}
	return http.StatusOK, obj{"action": renderAction(a)}
}
