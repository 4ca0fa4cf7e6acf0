package dosim

import (
	"net/http"
	"sort"
	"strconv"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/images", s.listImages)
		api("GET /v2/images/{id}", s.getImage)
		api("PUT /v2/images/{id}", s.updateImage)
		api("DELETE /v2/images/{id}", s.deleteImage)
	})
}

// isDistribution reports whether an image is one of DigitalOcean's public OS images;
// the simulator has no 1-Click application images, so every public image is one.
func isDistribution(im *Image) bool { return im.Public && im.Type == "base" }

// imageFilter is what GET /v2/images narrows the listing by.
type imageFilter struct {
	private bool
	kind    string // "", distribution or application
	tag     string
}

func parseImageFilter(r *http.Request) (imageFilter, bool) {
	q := r.URL.Query()
	f := imageFilter{kind: q.Get("type"), tag: q.Get("tag_name")}
	if v := q.Get("private"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, false
		}
		f.private = b
	}
	switch f.kind {
	case "", "distribution", "application":
		return f, true
	}
	return f, false
}

func (f imageFilter) keep(im *Image) bool {
	switch {
	case f.private && im.Public:
		return false
	case f.kind == "distribution" && !isDistribution(im):
		return false
	case f.kind == "application" && (!im.Public || isDistribution(im)):
		return false
	case f.tag != "" && !hasString(im.Tags, f.tag):
		return false
	}
	return true
}

// sortedImages returns the images that keep accepts, in ID order.
func (w *world) sortedImages(keep func(*Image) bool) []*Image {
	out := make([]*Image, 0, len(w.Images))
	for _, im := range w.Images {
		if keep(im) {
			out = append(out, im)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (s *Sim) listImages(r *http.Request, _ *reqInfo) (int, any) {
	f, ok := parseImageFilter(r)
	if !ok {
		return badRequest("private must be true or false, and type distribution or application")
	}
	list := s.w.sortedImages(f.keep)
	return s.listing(r, "images", len(list), func(i int) any { return renderImage(list[i]) })
}

// imageByRef finds an image by numeric ID or by slug, as GET /v2/images/{id} accepts.
func (w *world) imageByRef(ref string) (*Image, bool) {
	if id, err := strconv.Atoi(ref); err == nil {
		im, ok := w.Images[id]
		return im, ok
	}
	if ref == "" {
		return nil, false
	}
	for _, im := range w.Images {
		if im.Slug == ref {
			return im, true
		}
	}
	return nil, false
}

func (s *Sim) getImage(r *http.Request, _ *reqInfo) (int, any) {
	im, ok := s.w.imageByRef(r.PathValue("id"))
	if !ok {
		return notFound()
	}
	return http.StatusOK, obj{"image": renderImage(im)}
}

// imageUpdate is the body of PUT /v2/images/{id}.
type imageUpdate struct {
	Name         *string `json:"name"`
	Distribution *string `json:"distribution"`
	Description  *string `json:"description"`
}

// distributions are the values the API description allows for an image's distribution.
var distributions = []string{"Arch Linux", "CentOS", "CoreOS", "Debian", "Fedora", "Fedora Atomic",
	"FreeBSD", "Gentoo", "openSUSE", "RancherOS", "Rocky Linux", "Ubuntu", "Unknown"}

func (s *Sim) updateImage(r *http.Request, _ *reqInfo) (int, any) {
	im, ok := s.ownImage(r)
	if !ok {
		return notFound()
	}
	var req imageUpdate
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	if req.Name != nil && *req.Name == "" {
		return unprocessable("Name can not be blank.")
	}
	if req.Distribution != nil && !hasString(distributions, *req.Distribution) {
		return unprocessable("Distribution %q is not supported.", *req.Distribution)
	}
	if req.Name != nil {
		im.Name = *req.Name
	}
	if req.Distribution != nil {
		im.Distro = *req.Distribution
	}
	if req.Description != nil {
		im.Description = *req.Description
	}
	return http.StatusOK, obj{"image": renderImage(im)}
}

// ownImage finds a private image by numeric ID: public images belong to DigitalOcean, and
// the account can neither change nor delete them.
func (s *Sim) ownImage(r *http.Request) (*Image, bool) {
	id, ok := pathInt(r, "id")
	if !ok {
		return nil, false
	}
	im, ok := s.w.Images[id]
	if !ok || im.Public {
		return nil, false
	}
	return im, true
}

func (s *Sim) deleteImage(r *http.Request, _ *reqInfo) (int, any) {
	im, ok := s.ownImage(r)
	if !ok {
		return notFound()
	}
	s.removeImage(im)
	return http.StatusNoContent, nil
}

// removeImage deletes an image. Droplets built from it keep running and still render it
// from what they remember; droplets it was a snapshot of forget it.
func (s *Sim) removeImage(im *Image) {
	delete(s.w.Images, im.ID)
	for _, d := range s.w.Droplets {
		d.Snapshots = removeInt(d.Snapshots, im.ID)
	}
}
