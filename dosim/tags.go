package dosim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("POST /v2/tags", s.createTag)
		api("GET /v2/tags", s.listTags)
		api("GET /v2/tags/{tag}", s.getTag)
		api("DELETE /v2/tags/{tag}", s.deleteTag)
		api("POST /v2/tags/{tag}/resources", s.tagResources)
		api("DELETE /v2/tags/{tag}/resources", s.untagResources)
	})
}

// taggable is one resource the tags API can label.
type taggable struct {
	kind    string // droplets, images or volumes: the collection in its URI
	id      string
	tags    *[]string
	created time.Time
	droplet *Droplet // set for droplets, which a tag's last_tagged embeds
}

func (t taggable) key(tag string) string { return tag + " " + t.kind + "/" + t.id }

// taggedKinds are the collections a tag's resources object reports, in DigitalOcean's order.
var taggedKinds = []string{"droplets", "images", "volumes", "volume_snapshots", "databases"}

// taggables lists every resource that can carry a tag.
func (w *world) taggables() []taggable {
	out := make([]taggable, 0, len(w.Droplets)+len(w.Images)+len(w.Volumes))
	for _, d := range w.Droplets {
		out = append(out, taggable{kind: "droplets", id: strconv.Itoa(d.ID), tags: &d.Tags, created: d.CreatedAt, droplet: d})
	}
	for _, im := range w.Images {
		if !im.Public {
			out = append(out, taggable{kind: "images", id: strconv.Itoa(im.ID), tags: &im.Tags, created: im.CreatedAt})
		}
	}
	for _, v := range w.Volumes {
		out = append(out, taggable{kind: "volumes", id: v.ID, tags: &v.Tags, created: v.CreatedAt})
	}
	return out
}

// findTaggable resolves one entry of a tag/untag request.
func (w *world) findTaggable(typ, id string) (taggable, int, any) {
	var t taggable
	switch typ {
	case "droplet":
		n, err := strconv.Atoi(id)
		if d, ok := w.Droplets[n]; err == nil && ok {
			return taggable{kind: "droplets", id: id, tags: &d.Tags, created: d.CreatedAt, droplet: d}, 0, nil
		}
	case "image":
		n, err := strconv.Atoi(id)
		if im, ok := w.Images[n]; err == nil && ok && !im.Public {
			return taggable{kind: "images", id: id, tags: &im.Tags, created: im.CreatedAt}, 0, nil
		}
	case "volume":
		if v, ok := w.Volumes[id]; ok {
			return taggable{kind: "volumes", id: id, tags: &v.Tags, created: v.CreatedAt}, 0, nil
		}
	case "volume_snapshot":
	default:
		st, b := unprocessable("Resource type %q cannot be tagged; use droplet, image, volume or volume_snapshot.", typ)
		return t, st, b
	}
	st, b := errf(http.StatusNotFound, "not_found", "The %s %q could not be found.", strings.ReplaceAll(typ, "_", " "), id)
	return t, st, b
}

// tagUse is how many resources of one kind carry a tag, and which was tagged last.
type tagUse struct {
	count int
	last  *taggable
	at    time.Time
}

func (u *tagUse) add(t taggable, at time.Time) {
	u.count++
	if u.last == nil || at.After(u.at) || (at.Equal(u.at) && t.id > u.last.id) {
		u.last, u.at = &t, at
	}
}

// tagUses counts a tag's resources by kind, with "" for all kinds together. A resource
// the tags API never tagged was tagged when it was created.
func (w *world) tagUses(tag string) map[string]*tagUse {
	uses := map[string]*tagUse{"": {}}
	for _, k := range taggedKinds {
		uses[k] = &tagUse{}
	}
	for _, t := range w.taggables() {
		if !hasString(*t.tags, tag) {
			continue
		}
		at, ok := w.TaggedAt[t.key(tag)]
		if !ok {
			at = t.created
		}
		uses[t.kind].add(t, at)
		uses[""].add(t, at)
	}
	return uses
}

func (s *Sim) renderTag(r *http.Request, name string) obj {
	uses := s.w.tagUses(name)
	uri := func(t *taggable) string { return s.base(r) + "/v2/" + t.kind + "/" + t.id }
	res := obj{"count": uses[""].count}
	if last := uses[""].last; last != nil {
		res["last_tagged_uri"] = uri(last)
	}
	for _, k := range taggedKinds {
		u := uses[k]
		o := obj{"count": u.count}
		if u.last != nil {
			o["last_tagged_uri"] = uri(u.last)
			if u.last.droplet != nil {
				o["last_tagged"] = s.w.renderDroplet(u.last.droplet)
			}
		}
		res[k] = o
	}
	return obj{"name": name, "resources": res}
}

func (s *Sim) createTag(r *http.Request, _ *reqInfo) (int, any) {
	var req struct {
		Name string `json:"name"`
	}
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	if !validTag.MatchString(req.Name) {
		return invalidTag(req.Name)
	}
	s.w.addTag(req.Name)
	return http.StatusCreated, obj{"tag": s.renderTag(r, req.Name)}
}

func (s *Sim) listTags(r *http.Request, _ *reqInfo) (int, any) {
	names := sortedKeys(s.w.Tags)
	return s.listing(r, "tags", len(names), func(i int) any { return s.renderTag(r, names[i]) })
}

func (s *Sim) getTag(r *http.Request, _ *reqInfo) (int, any) {
	name := r.PathValue("tag")
	if !s.w.Tags[name] {
		return notFound()
	}
	return http.StatusOK, obj{"tag": s.renderTag(r, name)}
}

// deleteTag removes a tag and untags every resource carrying it, as DigitalOcean does.
func (s *Sim) deleteTag(r *http.Request, _ *reqInfo) (int, any) {
	name := r.PathValue("tag")
	if !s.w.Tags[name] {
		return notFound()
	}
	for _, t := range s.w.taggables() {
		s.untag(t, name)
	}
	delete(s.w.Tags, name)
	return http.StatusNoContent, nil
}

// invalidTag is DigitalOcean's answer to a tag name with characters it does not allow:
// 400, in the error-with-root-causes envelope the API description gives for it.
func invalidTag(name string) (int, any) {
	cause := fmt.Sprintf(`Error validating resource tag: "tag-name %q contains invalid characters"`, name)
	if name == "" || len(name) > 255 {
		cause = fmt.Sprintf(`Error validating resource tag: "tag-name %q must be 1 to 255 characters"`, name)
	}
	return http.StatusBadRequest, &errorBody{ID: "bad_request", Message: cause, Error: cause,
		RootCauses: []string{"rpc error: code = InvalidArgument desc = " + cause}}
}

// tagRequest is the body of POST and DELETE /v2/tags/{tag}/resources.
type tagRequest struct {
	Resources []struct {
		ID   string `json:"resource_id"`
		Type string `json:"resource_type"`
	} `json:"resources"`
}

// resolveTagRequest validates the path's tag and every resource before any is changed.
func (s *Sim) resolveTagRequest(r *http.Request) (string, []taggable, int, any) {
	name := r.PathValue("tag")
	if !validTag.MatchString(name) {
		st, b := unprocessable("Tag name %q is invalid.", name)
		return "", nil, st, b
	}
	var req tagRequest
	if err := decode(r, &req); err != nil {
		st, b := badRequest("The request body is not valid JSON: %v", err)
		return "", nil, st, b
	}
	if len(req.Resources) == 0 {
		st, b := unprocessable("resources must list at least one resource.")
		return "", nil, st, b
	}
	out := make([]taggable, 0, len(req.Resources))
	for _, res := range req.Resources {
		t, st, b := s.w.findTaggable(res.Type, res.ID)
		if st != 0 {
			return "", nil, st, b
		}
		out = append(out, t)
	}
	return name, out, 0, nil
}

// tagResources tags resources, bringing the tag into being if it was not yet.
func (s *Sim) tagResources(r *http.Request, _ *reqInfo) (int, any) {
	name, list, st, body := s.resolveTagRequest(r)
	if st != 0 {
		return st, body
	}
	s.w.addTag(name)
	now := s.now()
	for _, t := range list {
		if !hasString(*t.tags, name) {
			*t.tags = append(*t.tags, name)
			s.w.TaggedAt[t.key(name)] = now
		}
	}
	return http.StatusNoContent, nil
}

func (s *Sim) untagResources(r *http.Request, _ *reqInfo) (int, any) {
	name, list, st, body := s.resolveTagRequest(r)
	if st != 0 {
		return st, body
	}
	if !s.w.Tags[name] {
		return notFound()
	}
	for _, t := range list {
		s.untag(t, name)
	}
	return http.StatusNoContent, nil
}

func (s *Sim) untag(t taggable, name string) {
	if hasString(*t.tags, name) {
		*t.tags = removeString(*t.tags, name)
	}
	delete(s.w.TaggedAt, t.key(name))
}
