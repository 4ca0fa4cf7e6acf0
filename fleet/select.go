package fleet

import (
	"fmt"
	"path"
	"regexp"
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
func (s Selection) Match(srv Server) bool {
	if s.Tag != "" && !srv.HasTag(s.Tag) {
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

// Select returns the selected servers, in order.
func (s Selection) Select(servers []Server) []Server {
	var out []Server
	for _, srv := range servers {
		if s.Match(srv) {
			out = append(out, srv)
		}
	}
	return out
}
