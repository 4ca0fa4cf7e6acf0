package fleet

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultRolePrefix is the tag prefix that names a server's role: "role:web".
const DefaultRolePrefix = "role:"

// NoRole is the role of servers without a role tag. They have no newest release and are
// never stragglers: nothing says which of them should run what.
const NoRole = "(none)"

// Options says how servers are read into releases and roles.
type Options struct {
	// RolePrefix is the tag prefix naming a server's role (default DefaultRolePrefix).
	RolePrefix string
	// VersionTag, when set, takes the version from the tag "<VersionTag>:<value>" (with
	// "version", a server tagged version:1-4-2 runs 1-4-2) instead of from the image.
	// Servers without the tag fall back to their image. Tags cannot hold dots, so
	// values such as 1-4-2 read as semantic versions too (see ParseTagSemver).
	VersionTag string
	// Now is when ages are measured (default time.Now()).
	Now time.Time
}

func (o Options) withDefaults() Options {
	if o.RolePrefix == "" {
		o.RolePrefix = DefaultRolePrefix
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return o
}

// Role is the server's role: the value of its role tag, or NoRole.
func (o Options) Role(s Server) string {
	if v, ok := s.TagValue(o.withDefaults().RolePrefix); ok {
		return v
	}
	return NoRole
}

// ReleaseKey is the identity of the release the server runs: "image:<id>", or
// "tag:<value>" when the version comes from a tag.
func (o Options) ReleaseKey(s Server) string {
	if k, _ := o.tagVersion(s.Tags); k != "" {
		return k
	}
	return "image:" + strconv.Itoa(s.Image.ImageID)
}

func (o Options) tagVersion(tags []string) (key, value string) {
	if o.VersionTag == "" {
		return "", ""
	}
	if v, ok := tagValue(tags, o.VersionTag+":"); ok {
		return "tag:" + v, v
	}
	return "", ""
}

// Release is a version live in the fleet: an image, or a value of the version tag, with
// the servers on it counted.
type Release struct {
	// Key is the identity (see Options.ReleaseKey).
	Key string
	// Label is what operators call it: the image name, or the tag's value.
	Label string
	// Image is the image; with a version tag, the image most of its servers run.
	Image Version
	// Semver is the semantic version in the label, if any.
	Semver *Semver
	// CreatedAt is when Image was created.
	CreatedAt time.Time
	// Count is the servers on it, Share their fraction of all servers in the spread.
	Count int
	Share float64
	// Roles and Regions count its servers per role and per region.
	Roles   map[string]int
	Regions map[string]int
	// Role is the role most of its servers have.
	Role string
	// Cost is the run rate of its servers.
	Cost Cost
	// NewestFor lists the roles whose newest release this is.
	NewestFor []string

	images map[int]*imageTally
	index  int // the release's place in Spread.Releases
}

type imageTally struct {
	v Version
	n int
}

// Age is how old its image is at now; zero when the image's date is unknown.
func (r *Release) Age(now time.Time) time.Duration {
	if r.CreatedAt.IsZero() {
		return 0
	}
	return now.Sub(r.CreatedAt)
}

// RoleSpread is one role's part of the spread.
type RoleSpread struct {
	Role  string
	Count int
	// Releases are the role's releases, newest first.
	Releases []*Release
	// Newest is the role's newest live release (nil for NoRole).
	Newest *Release
	// Stragglers counts the role's servers not on Newest.
	Stragglers int
	// Cost is the run rate of the role's servers.
	Cost Cost
}

// Straggler is a server not on its role's newest release.
type Straggler struct {
	// Server points into the spread's servers (Spread.Servers).
	Server *Server
	Role   string
	// On is the release it runs, Newest the one its role's newest servers run.
	On, Newest *Release
}

// Spread is how many versions are live and where: the releases with their servers per
// role and region, each role's newest release, the stragglers, and the oldest image.
type Spread struct {
	// At is when ages are measured.
	At time.Time
	// Options are those the spread was computed with.
	Options Options
	// Total is the number of servers.
	Total int
	// Releases are ordered by role, then newest first.
	Releases []*Release
	// Roles are ordered by name, NoRole last.
	Roles []*RoleSpread
	// Regions are the regions with servers, sorted.
	Regions []string
	// Stragglers are ordered by role, then server name.
	Stragglers []Straggler
	// Oldest is the release with the oldest image, and OldestAge that image's age.
	Oldest    *Release
	OldestAge time.Duration
	// Cost is the run rate of all its servers.
	Cost Cost
	// Pools are the autoscale pools shown with the spread, set by the caller (see
	// SelectPools).
	Pools []PoolSpread

	servers []Server
	rels    []*Release // rels[i] is the release of servers[i]
	lagging []bool     // lagging[i] says whether servers[i] is a straggler
	byKey   map[string]*Release
	byImage map[int]*Release    // image releases by image ID
	byTag   map[string]*Release // version-tag releases by the tag's value
	// versionPrefix is Options.VersionTag + ":", built once.
	versionPrefix string
}

// NewSpread computes the spread of servers. It keeps servers, without copying it: the
// groups and stragglers point into it.
func NewSpread(servers []Server, opt Options) *Spread {
	opt = opt.withDefaults()
	s := &Spread{At: opt.Now, Options: opt, Total: len(servers), servers: servers,
		rels: make([]*Release, len(servers)), byKey: map[string]*Release{},
		byImage: map[int]*Release{}, byTag: map[string]*Release{}, versionPrefix: opt.VersionTag + ":"}
	regions := map[string]bool{}
	for i := range servers {
		s.rels[i] = s.tally(&servers[i])
		regions[servers[i].Region] = true
	}
	for r := range regions {
		s.Regions = append(s.Regions, r)
	}
	slices.Sort(s.Regions)
	s.finishReleases()
	s.buildRoles()
	s.costRoles()
	s.findStragglers()
	s.findOldest()
	return s
}

// tally counts srv in its release, creating the release on first sight.
func (s *Spread) tally(srv *Server) *Release {
	r := s.releaseFor(srv)
	r.Count++
	r.Roles[s.role(srv)]++
	r.Regions[srv.Region]++
	r.Cost.Add(srv)
	s.Cost.Add(srv)
	t := r.images[srv.Image.ImageID]
	if t == nil {
		t = &imageTally{v: srv.Image}
		r.images[srv.Image.ImageID] = t
	}
	t.n++
	return r
}

// releaseFor finds srv's release by image ID or tag value, so that the key string is
// built once per release rather than once per server.
func (s *Spread) releaseFor(srv *Server) *Release {
	if v := s.tagValue(srv); v != "" {
		if r := s.byTag[v]; r != nil {
			return r
		}
		r := s.newRelease("tag:"+v, srv)
		s.byTag[v] = r
		return r
	}
	if r := s.byImage[srv.Image.ImageID]; r != nil {
		return r
	}
	r := s.newRelease("image:"+strconv.Itoa(srv.Image.ImageID), srv)
	s.byImage[srv.Image.ImageID] = r
	return r
}

func (s *Spread) newRelease(key string, srv *Server) *Release {
	r := newRelease(key, *srv, s.Options)
	s.byKey[key] = r
	s.Releases = append(s.Releases, r)
	return r
}

// role is srv's role under the spread's options.
func (s *Spread) role(srv *Server) string {
	if v, ok := tagValue(srv.Tags, s.Options.RolePrefix); ok {
		return v
	}
	return NoRole
}

// tagValue is the value of srv's version tag, or "" (also when there is no version tag):
// tagVersion without building the key.
func (s *Spread) tagValue(srv *Server) string {
	if s.Options.VersionTag == "" {
		return ""
	}
	v, _ := tagValue(srv.Tags, s.versionPrefix)
	return v
}

func newRelease(key string, srv Server, opt Options) *Release {
	r := &Release{Key: key, Roles: map[string]int{}, Regions: map[string]int{}, images: map[int]*imageTally{}}
	if _, v := opt.tagVersion(srv.Tags); v != "" {
		r.Label, r.Semver = v, ParseTagSemver(v)
		return r
	}
	r.Label, r.Semver = imageLabel(srv.Image), srv.Image.Semver
	return r
}

func imageLabel(v Version) string {
	switch {
	case v.Name != "":
		return v.Name
	case v.ImageID == 0:
		return "(unknown image)"
	}
	return "(image " + strconv.Itoa(v.ImageID) + ")"
}

// finishReleases picks each release's image, share and main role, then orders them.
func (s *Spread) finishReleases() {
	for _, r := range s.Releases {
		r.Image = r.mainImage()
		r.CreatedAt = r.Image.CreatedAt
		if s.Total > 0 {
			r.Share = float64(r.Count) / float64(s.Total)
		}
		r.Role = mostCommon(r.Roles)
	}
	sortReleases(s.Releases)
	for i, r := range s.Releases {
		r.index = i
	}
}

// mainImage is the image most of the release's servers run (the newest on a tie).
func (r *Release) mainImage() Version {
	var best *imageTally
	for _, t := range r.images {
		if best == nil || t.n > best.n || (t.n == best.n && t.v.ImageID > best.v.ImageID) {
			best = t
		}
	}
	return best.v
}

// mostCommon is the key with the largest count, the first in order on a tie, NoRole last.
func mostCommon(counts map[string]int) string {
	best, n := "", -1
	for k, c := range counts {
		if c > n || (c == n && roleLess(k, best)) {
			best, n = k, c
		}
	}
	return best
}

func (s *Spread) buildRoles() {
	byRole := map[string]*RoleSpread{}
	for _, r := range s.Releases {
		for role, n := range r.Roles {
			rs := byRole[role]
			if rs == nil {
				rs = &RoleSpread{Role: role}
				byRole[role] = rs
				s.Roles = append(s.Roles, rs)
			}
			rs.Count += n
			rs.Releases = append(rs.Releases, r)
		}
	}
	slices.SortFunc(s.Roles, func(a, b *RoleSpread) int { return roleCompare(a.Role, b.Role) })
	for _, rs := range s.Roles {
		sortNewestFirst(rs.Releases)
		if rs.Role != NoRole {
			rs.Newest = rs.Releases[0]
			rs.Newest.NewestFor = append(rs.Newest.NewestFor, rs.Role)
		}
	}
}

func (s *Spread) findStragglers() {
	roles := make(map[string]*RoleSpread, len(s.Roles))
	n := 0
	for _, rs := range s.Roles {
		roles[rs.Role] = rs
		if rs.Newest != nil {
			n += rs.Count - rs.Newest.Roles[rs.Role]
		}
	}
	s.lagging = make([]bool, len(s.servers))
	s.Stragglers = make([]Straggler, 0, n)
	for i := range s.servers {
		srv := &s.servers[i]
		rs := roles[s.role(srv)]
		if rs.Newest == nil || s.rels[i] == rs.Newest {
			continue
		}
		rs.Stragglers++
		s.lagging[i] = true
		s.Stragglers = append(s.Stragglers, Straggler{Server: srv, Role: rs.Role, On: s.rels[i], Newest: rs.Newest})
	}
	s.Stragglers = sortStragglers(s.Stragglers)
}

// sortStragglers orders stragglers by role, then server name, keeping the fleet's order
// among equals: the order a stable sort gives, by an unstable sort of their positions
// (a stable sort moves the structs themselves about n log² n times).
func sortStragglers(st []Straggler) []Straggler {
	perm := make([]int32, len(st))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int {
		x, y := &st[a], &st[b]
		if c := roleCompare(x.Role, y.Role); c != 0 {
			return c
		}
		if c := strings.Compare(x.Server.Name, y.Server.Name); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	out := make([]Straggler, len(st))
	for i, p := range perm {
		out[i] = st[p]
	}
	return out
}

func (s *Spread) findOldest() {
	for _, r := range s.Releases {
		if !r.CreatedAt.IsZero() && (s.Oldest == nil || r.CreatedAt.Before(s.Oldest.CreatedAt)) {
			s.Oldest = r
		}
	}
	if s.Oldest != nil {
		s.OldestAge = s.Oldest.Age(s.At)
	}
}

// Release returns the release with the key, or nil.
func (s *Spread) Release(key string) *Release { return s.byKey[key] }

// ReleaseOf returns the release srv runs, or nil when srv is not in the spread's fleet.
func (s *Spread) ReleaseOf(srv Server) *Release { return s.byKey[s.Options.ReleaseKey(srv)] }

// Behind is how many newer releases of its main role are live: 0 for the role's newest,
// -1 for releases of servers without a role.
func (s *Spread) Behind(r *Release) int {
	for _, rs := range s.Roles {
		if rs.Role == r.Role && rs.Role != NoRole {
			return slices.Index(rs.Releases, r)
		}
	}
	return -1
}

// Servers returns the servers the spread was computed from.
func (s *Spread) Servers() []Server { return s.servers }

// Matrix counts servers per region (rows, as in Regions) and release (columns, as in
// Releases).
func (s *Spread) Matrix() [][]int {
	m := make([][]int, len(s.Regions))
	for i, region := range s.Regions {
		m[i] = make([]int, len(s.Releases))
		for j, r := range s.Releases {
			m[i][j] = r.Regions[region]
		}
	}
	return m
}
