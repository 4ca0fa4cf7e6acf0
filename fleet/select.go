package fleet

import (
	"fmt"
	"path"
	"regexp"
	"slices"
)

// Selection narrows a fleet: by tag, region and name glob. The zero value selects all.
type Selection struct {
	// Tag keeps servers carrying the tag; Load can filter by it on the API side.
	Tag string `json:"tag,omitempty"`
	// Region keeps servers in the region (a slug such as nyc3).
	Region string `json:"region,omitempty"`
	// Name keeps servers whose name matches the glob (path.Match syntax: web-*).
	Name string `json:"name,omitempty"`
}

var validTag = regexp.MustCompile(`^[a-zA-Z0-9_\-:]{1,255}$`)

// Validate reports a malformed tag or glob.
func (s Selection) Validate() error {
	if s.Tag != "" && !validTag.MatchString(s.Tag) {
		return fmt.Errorf("tag %q is not a DigitalOcean tag: letters, digits, -, _ and : only", s.Tag)
	}
	if _, err := path.Match(s.Name, ""); err != nil {
		return fmt.Errorf("name pattern %q is malformed: %w", s.Name, err)
	}
	return nil
}

// Match reports whether srv is selected. A malformed glob matches nothing.
func (s Selection) Match(srv Server) bool { return s.match(&srv) }

func (s Selection) match(srv *Server) bool {
	if s.Tag != "" && !slices.Contains(srv.Tags, s.Tag) {
		return false
	}
	if s.Region != "" && srv.Region != s.Region {
		return false
	}
	if s.Name != "" {
		ok, err := path.Match(s.Name, srv.Name)
		return ok && err == nil
	}
	return true
}

// IsZero reports whether the selection selects every server.
func (s Selection) IsZero() bool { return s == Selection{} }

// Select returns the selected servers, in order. When every server is selected it returns
// servers itself (capped, so that an append copies) rather than a copy of the whole fleet;
// otherwise a new slice sized to the selection, or nil when none is selected.
func (s Selection) Select(servers []Server) []Server {
	if s.IsZero() {
		if len(servers) == 0 {
			return nil
		}
		return servers[:len(servers):len(servers)]
	}
	n := 0
	for i := range servers {
		if s.match(&servers[i]) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]Server, 0, n)
	for i := range servers {
		if s.match(&servers[i]) {
			out = append(out, servers[i])
		}
	}
	return out
}

// Indices returns the indices in servers of the selected servers, in order: a selection
// without copying any server.
func (s Selection) Indices(servers []Server) []int {
	var out []int
	for i := range servers {
		if s.match(&servers[i]) {
			out = append(out, i)
		}
	}
	return out
}
