package fleet

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The immutability audit: servers that break the promise that no server is changed
// after it is deployed, lives long enough to accumulate changes, or is repaired rather
// than replaced. Four findings, each counted per role and listed per server:
//   - over_max_age: older than its role's maximum lifetime;
//   - drifted: changed in place since it was created (drift.go);
//   - pet: outside the immutable model: made from a public distribution image and never
//     replaced, or with no role tag;
//   - unhealthy: its role's health check failed when probed.

// FindingKind is what a finding says of a server.
type FindingKind string

// The kinds of findings, in the order a server's are listed.
const (
	OverMaxAge FindingKind = "over_max_age"
	Drifted    FindingKind = "drifted"
	Pet        FindingKind = "pet"
	Unhealthy  FindingKind = "unhealthy"
)

// FindingKinds lists the kinds in order.
var FindingKinds = []FindingKind{OverMaxAge, Drifted, Pet, Unhealthy}

// AnyRole keys the maximum lifetime of every role without one of its own.
const AnyRole = "*"

// Finding is one server breaking the model in one way.
type Finding struct {
	// Server points into the spread's servers.
	Server *Server
	Role   string
	Kind   FindingKind
	// Since is when it began: the day the server passed its maximum age, its first
	// change, its creation (a pet), the probe that found it unhealthy.
	Since  time.Time
	Detail string
	// Changes are a drifted server's changes, oldest first.
	Changes []Change
}

// HealthState is what a probe of a server found.
type HealthState string

// The health states: unknown when the server's role has no health check, or it was not
// probed (not active, no public address).
const (
	HealthUnknown   HealthState = "unknown"
	HealthHealthy   HealthState = "healthy"
	HealthUnhealthy HealthState = "unhealthy"
)

// Health is one server's health as last probed.
type Health struct {
	State  HealthState
	Detail string
	At     time.Time
}

// AuditOptions are what the audit checks against.
type AuditOptions struct {
	// MaxAge is the maximum lifetime per role; AnyRole's applies to the others. None: no
	// server is over age.
	MaxAge map[string]time.Duration
	// Drift is the account's drift log; nil when it was not read.
	Drift *DriftLog
	// Health is the servers' health by droplet ID; nil when nothing was probed.
	Health map[int]Health
}

// MaxAgeOf is role's maximum lifetime (0: none).
func (o AuditOptions) MaxAgeOf(role string) time.Duration {
	if d, ok := o.MaxAge[role]; ok {
		return d
	}
	return o.MaxAge[AnyRole]
}

// RoleAudit is one role's counts.
type RoleAudit struct {
	Role              string
	Servers, Versions int
	// MaxAge is the role's maximum lifetime (0: none).
	MaxAge                               time.Duration
	OverMaxAge, Drifted, Pets, Unhealthy int
}

// Audit is the findings of a spread's servers.
type Audit struct {
	// At is when ages are measured (the spread's time).
	At time.Time
	// Roles are in the spread's role order.
	Roles []RoleAudit
	// Findings are ordered by role, server name, then kind.
	Findings []Finding
	// DriftFrom is how far back drift is known; zero when the feed was not read.
	DriftFrom time.Time
	// Probed says whether health was probed.
	Probed bool
	// Options are those the audit ran with.
	Options AuditOptions

	byServer map[int][]int           // droplet ID -> indices in Findings
	health   map[string]HealthCounts // release key -> its servers' health
}

// HealthCounts are servers per health state.
type HealthCounts struct {
	Healthy, Unhealthy, Unknown int
}

// Audit checks every server of the spread against opt.
func (s *Spread) Audit(opt AuditOptions) *Audit {
	a := &Audit{At: s.At, Options: opt, Probed: opt.Health != nil, byServer: map[int][]int{}, health: map[string]HealthCounts{}}
	if opt.Drift != nil {
		a.DriftFrom = opt.Drift.From
	}
	counts := map[string]*RoleAudit{}
	for _, rs := range s.Roles {
		a.Roles = append(a.Roles, RoleAudit{Role: rs.Role, Servers: rs.Count, Versions: len(rs.Releases), MaxAge: opt.MaxAgeOf(rs.Role)})
	}
	for i := range a.Roles {
		counts[a.Roles[i].Role] = &a.Roles[i]
	}
	for i := range s.servers {
		srv := &s.servers[i]
		role := s.role(srv)
		for _, f := range a.check(srv, role, s.Options.RolePrefix) {
			counts[role].count(f.Kind)
			a.Findings = append(a.Findings, f)
		}
		a.countHealth(s.Options.ReleaseKey(*srv), a.HealthOf(srv.ID).State)
	}
	a.sortFindings()
	return a
}

func (r *RoleAudit) count(k FindingKind) {
	switch k {
	case OverMaxAge:
		r.OverMaxAge++
	case Drifted:
		r.Drifted++
	case Pet:
		r.Pets++
	case Unhealthy:
		r.Unhealthy++
	}
}

// check lists srv's findings.
func (a *Audit) check(srv *Server, role, rolePrefix string) []Finding {
	var out []Finding
	add := func(k FindingKind, since time.Time, detail string) *Finding {
		out = append(out, Finding{Server: srv, Role: role, Kind: k, Since: since, Detail: detail})
		return &out[len(out)-1]
	}
	if limit := a.Options.MaxAgeOf(role); limit > 0 && !srv.CreatedAt.IsZero() && a.At.Sub(srv.CreatedAt) > limit {
		add(OverMaxAge, srv.CreatedAt.Add(limit), fmt.Sprintf("%d days old, max %s", srv.AgeDays(a.At), FormatAge(limit)))
	}
	if ch := a.Options.Drift.Changes(srv); len(ch) > 0 {
		add(Drifted, ch[0].At, "changed in place: "+DescribeChanges(ch)).Changes = ch
	}
	if why := PetReason(*srv, rolePrefix); why != "" {
		add(Pet, srv.CreatedAt, why)
	}
	if h, ok := a.Options.Health[srv.ID]; ok && h.State == HealthUnhealthy {
		add(Unhealthy, h.At, h.Detail)
	}
	return out
}

// DescribeChanges says what changed and when, newest first, the three newest at most
// ("resize 2026-08-23, rebuild 2026-07-01 and 2 more").
func DescribeChanges(ch []Change) string {
	var parts []string
	for i := len(ch) - 1; i >= 0 && len(parts) < 3; i-- {
		parts = append(parts, ch[i].Type+" "+ch[i].At.UTC().Format(time.DateOnly))
	}
	out := strings.Join(parts, ", ")
	if n := len(ch) - len(parts); n > 0 {
		out += fmt.Sprintf(" and %d more", n)
	}
	return out
}

func (a *Audit) sortFindings() {
	slices.SortStableFunc(a.Findings, func(x, y Finding) int {
		return cmp.Or(roleCompare(x.Role, y.Role), strings.Compare(x.Server.Name, y.Server.Name),
			cmp.Compare(x.Server.ID, y.Server.ID), cmp.Compare(slices.Index(FindingKinds, x.Kind), slices.Index(FindingKinds, y.Kind)))
	})
	for i, f := range a.Findings {
		a.byServer[f.Server.ID] = append(a.byServer[f.Server.ID], i)
	}
}

func (a *Audit) countHealth(key string, st HealthState) {
	c := a.health[key]
	switch st {
	case HealthHealthy:
		c.Healthy++
	case HealthUnhealthy:
		c.Unhealthy++
	default:
		c.Unknown++
	}
	a.health[key] = c
}

// ReleaseHealth counts the health of the servers of the release with the key (see
// Options.ReleaseKey), as probed: all unknown when nothing was.
func (a *Audit) ReleaseHealth(key string) HealthCounts { return a.health[key] }

// IDs lists the droplet IDs of the servers with a finding of kind k, in the findings'
// order (by role, then name): what a key that selects them all picks.
func (a *Audit) IDs(k FindingKind) []int {
	var out []int
	for _, f := range a.Findings {
		if f.Kind == k {
			out = append(out, f.Server.ID)
		}
	}
	return out
}

// Of lists the findings of the server with the droplet ID, in kind order.
func (a *Audit) Of(id int) []Finding {
	var out []Finding
	for _, i := range a.byServer[id] {
		out = append(out, a.Findings[i])
	}
	return out
}

// Has reports whether the server with the droplet ID has a finding of kind k.
func (a *Audit) Has(id int, k FindingKind) bool {
	return slices.ContainsFunc(a.byServer[id], func(i int) bool { return a.Findings[i].Kind == k })
}

// HealthOf is the server's health as probed (HealthUnknown when it was not).
func (a *Audit) HealthOf(id int) Health {
	if h, ok := a.Options.Health[id]; ok {
		return h
	}
	return Health{State: HealthUnknown}
}

// Role is the counts of one role (zero when the spread has no such role).
func (a *Audit) Role(role string) RoleAudit {
	for _, r := range a.Roles {
		if r.Role == role {
			return r
		}
	}
	return RoleAudit{Role: role}
}

// Count is the findings of kind k.
func (a *Audit) Count(k FindingKind) int {
	n := 0
	for _, f := range a.Findings {
		if f.Kind == k {
			n++
		}
	}
	return n
}

// PetReason says why srv is a pet, or "" when it is not: it runs a public distribution
// image (type "base") and was never replaced by molt (a droplet molt creates carries its
// create's tag, molt:<rollout>:g<n>, from birth), or it has no role tag (unless a
// rollout is replacing it: see leaving). A member of an autoscale pool is never a pet.
func PetReason(srv Server, rolePrefix string) string {
	if srv.Pool != "" {
		return "" // its pool makes and replaces it from the pool's template
	}
	if _, ok := tagValue(srv.Tags, rolePrefix); !ok {
		if lockedByRollout(srv.Tags) {
			return "" // being replaced (drained out of a load balancer on its role tag)
		}
		return "no role tag"
	}
	if IsDistribution(srv.Image) && !MadeByMolt(srv.Tags) {
		return "built from the distribution image " + strings.TrimSpace(srv.Image.Distribution+" "+imageLabel(srv.Image)) + " and never replaced"
	}
	return ""
}

// IsDistribution reports whether v is a public distribution image rather than a
// snapshot, backup or custom image of the account's own.
func IsDistribution(v Version) bool { return v.Type == "base" || v.Type == "distribution" }

// MadeByMolt reports whether tags carry the provenance of a droplet molt created: the
// tag of its create request (molt:<rollout>:g<n>) or of a rollback's re-creation
// (molt:<rollout>:b<slot>), which stays on it after the rollout.
func MadeByMolt(tags []string) bool {
	for _, t := range tags {
		rest, ok := strings.CutPrefix(t, "molt:")
		if !ok {
			continue
		}
		if i := strings.LastIndexByte(rest, ':'); i > 0 && len(rest) > i+2 && (rest[i+1] == 'g' || rest[i+1] == 'b') && digits(rest[i+2:]) {
			return true
		}
	}
	return false
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
