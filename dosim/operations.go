package dosim

import (
	_ "embed"
	"net/http"
	"sort"
	"strings"
)

// operationsText lists every operation of DigitalOcean's API description, one
// "METHOD /path operationId" a line (TestOperationsTable keeps it current). The simulator
// uses it to tell a path DigitalOcean knows from one it does not: only unknown paths may
// answer 404, since a client reading 404 on a delete as "already gone" would be lied to.
//
//go:embed operations.txt
var operationsText string

// opRoute is one path of the description with the operations on it, by method.
type opRoute struct {
	template string
	segments []string // "" where the template has a parameter
	ops      map[string]string
}

// opTable holds the description's paths for matching.
type opTable struct{ routes []*opRoute }

var operations = parseOperations(operationsText)

func parseOperations(text string) *opTable {
	byPath := map[string]*opRoute{}
	t := &opTable{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		r, ok := byPath[f[1]]
		if !ok {
			r = &opRoute{template: f[1], segments: splitTemplate(f[1]), ops: map[string]string{}}
			byPath[f[1]] = r
			t.routes = append(t.routes, r)
		}
		r.ops[f[0]] = f[2]
	}
	return t
}

func splitTemplate(p string) []string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = ""
		}
	}
	return segs
}

// match finds the description's path for a request path: the most specific one, where a
// literal segment beats a parameter earliest (/v2/droplets/autoscale before
// /v2/droplets/{droplet_id}).
func (t *opTable) match(path string) *opRoute {
	segs := splitPath(path)
	var best *opRoute
	for _, r := range t.routes {
		if len(r.segments) != len(segs) || !r.matches(segs) {
			continue
		}
		if best == nil || r.moreSpecific(best) {
			best = r
		}
	}
	return best
}

func splitPath(p string) []string { return strings.Split(strings.Trim(p, "/"), "/") }

// shadowedBy lists the description's paths that a served mux pattern would take although
// they are other operations: same length, a literal where the pattern has a parameter.
func (t *opTable) shadowedBy(pattern string) []*opRoute {
	_, p, _ := strings.Cut(pattern, " ")
	mine := splitTemplate(p)
	var out []*opRoute
	for _, r := range t.routes {
		if len(r.segments) == len(mine) && r.literalOver(mine) {
			out = append(out, r)
		}
	}
	return out
}

// literalOver reports whether r names, where mine has a parameter, a literal segment, and
// agrees with mine everywhere else.
func (r *opRoute) literalOver(mine []string) bool {
	over := false
	for i, s := range r.segments {
		switch {
		case mine[i] == "" && s != "":
			over = true
		case mine[i] != "" && s != mine[i]:
			return false
		}
	}
	return over
}

func (r *opRoute) matches(segs []string) bool {
	if len(segs) != len(r.segments) {
		return false
	}
	for i, s := range r.segments {
		if segs[i] == "" || (s != "" && s != segs[i]) {
			return false
		}
	}
	return true
}

func (r *opRoute) moreSpecific(than *opRoute) bool {
	for i := range r.segments {
		a, b := r.segments[i] != "", than.segments[i] != ""
		if a != b {
			return a
		}
	}
	return false
}

// methods lists the methods the description has on this path, for an Allow header.
func (r *opRoute) methods() []string {
	out := make([]string, 0, len(r.ops))
	for m := range r.ops {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// unserved answers a request no served route took: 501 naming the operation when
// DigitalOcean has it and the simulator does not, 405 when DigitalOcean has the path but
// not the method, and DigitalOcean's 404 only for a path it does not know at all.
func (s *Sim) unserved(w http.ResponseWriter, r *http.Request) {
	route := operations.match(r.URL.Path)
	if route == nil {
		s.api("notfound", func(*http.Request, *reqInfo) (int, any) { return notFound() }).ServeHTTP(w, r)
		return
	}
	key := r.Method + " " + route.template
	if id, ok := route.ops[r.Method]; ok {
		s.api(key, func(*http.Request, *reqInfo) (int, any) {
			return errf(http.StatusNotImplemented, "not_implemented",
				"The simulator does not implement %s (%s); see docs/dosim.md for the operations it serves.", id, key)
		}).ServeHTTP(w, r)
		return
	}
	allow := strings.Join(route.methods(), ", ")
	w.Header().Set("Allow", allow)
	s.api(key, func(*http.Request, *reqInfo) (int, any) {
		return errf(http.StatusMethodNotAllowed, "method_not_allowed",
			"%s is not an operation of DigitalOcean's API on %s; it allows %s.", r.Method, route.template, allow)
	}).ServeHTTP(w, r)
}
