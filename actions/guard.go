package actions

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/molt-sh/molt/fleet"
)

// GuardKind names a check of the target image against the servers it would replace.
type GuardKind string

// The guards. Each is refused unless the strategy allows it (Guard.Flag says how).
const (
	// GuardOtherRole: the target's name (or its role tag) says another role than a
	// server's role tag ("web" servers onto edge-1.2.0).
	GuardOtherRole GuardKind = "other_role"
	// GuardDowngrade: the target's version is older than the version a server runs.
	GuardDowngrade GuardKind = "downgrade"
	// GuardSeveralRoles: the servers to replace have several roles, all onto one image.
	GuardSeveralRoles GuardKind = "several_roles"
)

// The flags that allow the guards, as `molt plan` and `molt apply` take them.
const (
	FlagAllowOtherRole = "--allow-other-role"
	FlagAllowDowngrade = "--allow-downgrade"
)

// Guard is a check of the target that servers of the plan trip.
type Guard struct {
	Kind GuardKind `json:"kind"`
	// Message says what is wrong, in one clause.
	Message string `json:"message"`
	// Servers are the names of the servers that trip it.
	Servers []string `json:"servers"`
	// Flag is the override that allows it; Allowed says the strategy does.
	Flag    string `json:"flag"`
	Allowed bool   `json:"allowed,omitempty"`
}

// GuardError refuses a plan whose target trips guards the strategy does not allow.
type GuardError struct {
	Guards []Guard
}

// Error says what each guard saw and which flags allow them, in one sentence.
func (e *GuardError) Error() string {
	var what, flags []string
	for _, g := range e.Guards {
		what = append(what, g.Message)
		if !slices.Contains(flags, g.Flag) {
			flags = append(flags, g.Flag)
		}
	}
	return fmt.Sprintf("refused: %s; nothing was changed: pass %s if that is what you mean",
		strings.Join(what, ", and "), strings.Join(flags, " and "))
}

// Refusal returns a *GuardError when the plan trips guards its strategy does not allow,
// else nil. Start refuses such a plan too.
func (p Plan) Refusal() error {
	var refused []Guard
	for _, g := range p.Guards {
		if !g.Allowed {
			refused = append(refused, g)
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return &GuardError{Guards: refused}
}

// guards checks the target against the servers to replace. A server or an image whose
// role or version cannot be read is not judged (unjudged says so in the warnings).
func guards(in PlanInput, todo []fleet.Server) []Guard {
	var out []Guard
	for _, g := range []Guard{otherRole(in, todo), downgrade(in, todo), severalRoles(in, todo)} {
		if len(g.Servers) > 0 {
			out = append(out, g)
		}
	}
	return out
}

func otherRole(in PlanInput, todo []fleet.Server) Guard {
	g := Guard{Kind: GuardOtherRole, Flag: FlagAllowOtherRole, Allowed: in.Strategy.AllowOtherRole}
	target, ok := ImageRole(in.Target)
	if !ok {
		return g
	}
	roles := map[string]int{}
	for _, s := range todo {
		if r := serverRole(s); r != fleet.NoRole && !strings.EqualFold(r, target) {
			g.Servers = append(g.Servers, s.Name)
			roles[r]++
		}
	}
	g.Message = fmt.Sprintf("%s of %s would move to %s, an image of role %s",
		serverCount(len(g.Servers)), roleCounts(roles, "role"), versionName(in.Target), target)
	return g
}

func downgrade(in PlanInput, todo []fleet.Server) Guard {
	g := Guard{Kind: GuardDowngrade, Flag: FlagAllowDowngrade, Allowed: in.Strategy.AllowDowngrade}
	tv := semverOf(in.Target)
	if tv == nil {
		return g
	}
	var newest fleet.Version
	var top *fleet.Semver
	for _, s := range todo {
		sv := semverOf(s.Image)
		if !comparable(s.Image, in.Target) || tv.Compare(*sv) >= 0 {
			continue
		}
		g.Servers = append(g.Servers, s.Name)
		if top == nil || sv.Compare(*top) > 0 {
			newest, top = s.Image, sv
		}
	}
	if top != nil {
		g.Message = fmt.Sprintf("%s a newer version than %s (%s, by semantic version precedence), up to %s",
			serversRun(len(g.Servers)), versionName(in.Target), tv, versionName(newest))
	}
	return g
}

// semverOf is the image's semantic version, read from its name when the Version was
// made without one; nil when the name has none.
func semverOf(v fleet.Version) *fleet.Semver {
	if v.Semver != nil {
		return v.Semver
	}
	return fleet.ParseSemver(v.Name)
}

// comparable reports whether a server's image can be compared with the target by
// version: it has one, and the two images are not named for different roles (another
// role's numbering says nothing about this one's; the role guard speaks for that).
func comparable(from, to fleet.Version) bool {
	if semverOf(from) == nil {
		return false
	}
	a, okA := ImageRole(from)
	b, okB := ImageRole(to)
	return !okA || !okB || strings.EqualFold(a, b)
}

func severalRoles(in PlanInput, todo []fleet.Server) Guard {
	g := Guard{Kind: GuardSeveralRoles, Flag: FlagAllowOtherRole, Allowed: in.Strategy.AllowOtherRole}
	roles := map[string]int{}
	for _, s := range todo {
		roles[serverRole(s)]++
	}
	if len(roles) < 2 {
		return g
	}
	for _, s := range todo {
		g.Servers = append(g.Servers, s.Name)
	}
	g.Message = fmt.Sprintf("the servers to replace have %d roles (%s), all onto %s", len(roles),
		roleCounts(roles, ""), versionName(in.Target))
	return g
}

// unjudged are the warnings for what the guards could not judge: a target or servers
// whose version cannot be read, a target named for no role.
func unjudged(in PlanInput, todo []fleet.Server) []string {
	if len(todo) == 0 {
		return nil
	}
	var w []string
	target := versionName(in.Target)
	if _, ok := ImageRole(in.Target); !ok && slices.ContainsFunc(todo, func(s fleet.Server) bool { return serverRole(s) != fleet.NoRole }) {
		w = append(w, fmt.Sprintf("%s is named for no role (a role tag, or a name such as web-1.6.0, would say), so molt cannot tell whether it is meant for these servers' role", target))
	}
	if semverOf(in.Target) == nil {
		return append(w, fmt.Sprintf("%s carries no version molt can read (such as 1.6.0), so molt cannot tell whether it is older than what the servers run", target))
	}
	var blind []fleet.Server
	for _, s := range todo {
		if semverOf(s.Image) == nil {
			blind = append(blind, s)
		}
	}
	if len(blind) > 0 {
		w = append(w, fmt.Sprintf("%s an image with no version molt can read (%s on %s), so molt cannot tell whether %s is older for them",
			serversRun(len(blind)), blind[0].Name, versionName(blind[0].Image), target))
	}
	return w
}

// imageRoleName reads a role from a name of the form ROLE-VERSION: what stands before
// the last semantic version, without separators.
var imageRoleName = regexp.MustCompile(`v?\d+\.\d+\.\d+`)

// ImageRole is the role an image is made for: its role tag, else what its name says
// before the version (edge-1.2.0 is edge's). A name with no version (ubuntu-24-04-x64,
// web-latest), nothing before its version (1.2.0), or a distribution image says no
// role: ok is false, and the role guard does not judge it.
func ImageRole(v fleet.Version) (role string, ok bool) {
	for _, t := range v.Tags {
		if r, found := strings.CutPrefix(t, fleet.DefaultRolePrefix); found && r != "" {
			return r, true
		}
	}
	if v.Type == "base" {
		return "", false
	}
	locs := imageRoleName.FindAllStringIndex(v.Name, -1)
	if len(locs) == 0 {
		return "", false
	}
	role = strings.TrimRight(v.Name[:locs[len(locs)-1][0]], "-_. ")
	return role, role != ""
}

// serverRole is the server's role tag's value, or fleet.NoRole.
func serverRole(s fleet.Server) string { return fleet.Options{}.Role(s) }

// serverCount counts servers in words ("1 server", "21 servers").
func serverCount(n int) string {
	if n == 1 {
		return "1 server"
	}
	return fmt.Sprintf("%d servers", n)
}

// serversRun is serverCount with the verb ("1 server runs", "3 servers run").
func serversRun(n int) string {
	if n == 1 {
		return "1 server runs"
	}
	return serverCount(n) + " run"
}

// roleCounts lists roles with their counts, most first ("web 21, worker 16"); with
// noun, a single role reads "role web".
func roleCounts(roles map[string]int, noun string) string {
	names := slices.Collect(maps.Keys(roles))
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(roles[b], roles[a]), cmp.Compare(a, b)) })
	if len(names) == 1 && noun != "" {
		return noun + " " + names[0]
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, roles[n])
	}
	if noun != "" {
		return noun + "s " + strings.Join(parts, ", ")
	}
	return strings.Join(parts, ", ")
}
