package fleet

import (
	"maps"
	"slices"
	"sort"
	"time"
)

// Trend is the spread history over a window: the samples that held in it, and for each
// version of each role when it appeared, when it reached half and all of the role's
// servers, and its version lag.
//
// Version lag: at every moment, a role's servers that are not on the newest version
// live in the role at that moment (ordered as `molt status` orders versions) are behind.
// A version's lag, in server-days, is the time integral over the window of its servers
// behind: 12 servers behind for two days are 24 server-days. Samples hold until the next
// one (the last until the window's end), so the figures are exact to the samples'
// resolution: a minute for the last two days, an hour for 30 days, a day beyond.
type Trend struct {
	// Since and Until are the window.
	Since, Until time.Time
	// From is the oldest sample the history holds (zero when it holds none): versions
	// first seen then may have been live before.
	From time.Time
	// Samples are the spread that held at Since (a sample that may be older), then every
	// sample within the window, oldest first.
	Samples []Sample
	// Versions are each role's versions live at some time in the window, by role, newest
	// first.
	Versions []VersionTrend
	// Roles are the roles live in the window with their lag, in role order.
	Roles []RoleTrend
}

// VersionTrend is one version of one role over the history.
type VersionTrend struct {
	Role  string
	Key   string
	Label string
	// FirstSeen is the first sample the version is in (over the whole history);
	// Reached50 and Reached100 the first samples where it ran at least half of its
	// role's servers, and all of them. Zero when it has not (yet).
	FirstSeen, Reached50, Reached100 time.Time
	// LagServerDays is its servers' time behind the role's newest within the window.
	LagServerDays float64
}

// RoleTrend is one role's version lag within the window, all its versions together.
type RoleTrend struct {
	Role          string
	LagServerDays float64
}

// At is the spread that held at t: the last sample at or before t (empty before the
// first).
func (t Trend) At(at time.Time) Sample {
	i := sort.Search(len(t.Samples), func(i int) bool { return t.Samples[i].At.After(at) })
	if i == 0 {
		return Sample{At: at}
	}
	return t.Samples[i-1]
}

// ComputeTrend computes the trend of samples (oldest first) over [since, until].
func ComputeTrend(samples []Sample, versions map[string]VersionInfo, since, until time.Time) Trend {
	t := Trend{Since: since, Until: until}
	if len(samples) > 0 {
		t.From = samples[0].At
	}
	first := sort.Search(len(samples), func(i int) bool { return samples[i].At.After(since) })
	if first > 0 {
		first-- // the sample holding at since
	}
	end := sort.Search(len(samples), func(i int) bool { return samples[i].At.After(until) })
	if first < end {
		t.Samples = samples[first:end:end]
	}
	o := newVersionOrder(versions)
	miles := milestones(samples[:end])
	lag := t.lag(o)
	roles := map[string]float64{}
	for _, s := range t.Samples {
		for role, counts := range s.Roles {
			for key := range counts {
				rk := roleKey{role, key}
				if _, ok := lag[rk]; !ok {
					lag[rk] = 0
				}
			}
		}
	}
	for rk, days := range lag {
		m := miles[rk]
		t.Versions = append(t.Versions, VersionTrend{Role: rk.role, Key: rk.key, Label: o.label(rk.key),
			FirstSeen: m.first, Reached50: m.half, Reached100: m.all, LagServerDays: days})
		roles[rk.role] += days
	}
	t.sortVersions(o)
	for _, role := range slices.SortedFunc(maps.Keys(roles), roleCompare) {
		t.Roles = append(t.Roles, RoleTrend{Role: role, LagServerDays: roles[role]})
	}
	return t
}

type roleKey struct{ role, key string }

type milestone struct{ first, half, all time.Time }

// milestones finds, for every version of every role, the first sample it is in, and the
// first where it has half and all of the role's servers.
func milestones(samples []Sample) map[roleKey]milestone {
	out := map[roleKey]milestone{}
	for _, s := range samples {
		for role, counts := range s.Roles {
			total := s.RoleTotal(role)
			for key, n := range counts {
				rk := roleKey{role, key}
				m := out[rk]
				if m.first.IsZero() {
					m.first = s.At
				}
				if m.half.IsZero() && 2*n >= total {
					m.half = s.At
				}
				if m.all.IsZero() && n == total {
					m.all = s.At
				}
				out[rk] = m
			}
		}
	}
	return out
}

// lag integrates each version's servers behind their role's newest over the window.
func (t Trend) lag(o *versionOrder) map[roleKey]float64 {
	out := map[roleKey]float64{}
	for i, s := range t.Samples {
		from := maxTime(s.At, t.Since)
		to := t.Until
		if i+1 < len(t.Samples) {
			to = t.Samples[i+1].At
		}
		days := to.Sub(from).Hours() / 24
		if days <= 0 {
			continue
		}
		for role, counts := range s.Roles {
			if role == NoRole {
				continue
			}
			newest := o.newest(slices.Collect(maps.Keys(counts)))
			for key, n := range counts {
				if key != newest {
					out[roleKey{role, key}] += float64(n) * days
				}
			}
		}
	}
	return out
}

func (t *Trend) sortVersions(o *versionOrder) {
	byRole := map[string][]string{}
	for _, v := range t.Versions {
		byRole[v.Role] = append(byRole[v.Role], v.Key)
	}
	rank := map[roleKey]int{}
	for role, keys := range byRole {
		for i, k := range o.newestFirst(keys) {
			rank[roleKey{role, k}] = i
		}
	}
	slices.SortFunc(t.Versions, func(a, b VersionTrend) int {
		if c := roleCompare(a.Role, b.Role); c != 0 {
			return c
		}
		return rank[roleKey{a.Role, a.Key}] - rank[roleKey{b.Role, b.Key}]
	})
}

// versionOrder orders versions as a spread orders releases: by semantic version when
// every one compared carries one, else by image creation time.
type versionOrder struct {
	rels map[string]*Release
	info map[string]VersionInfo
}

func newVersionOrder(info map[string]VersionInfo) *versionOrder {
	return &versionOrder{rels: map[string]*Release{}, info: info}
}

func (o *versionOrder) release(key string) *Release {
	if r, ok := o.rels[key]; ok {
		return r
	}
	v := o.info[key]
	r := &Release{Key: key, Label: o.label(key), Semver: ParseSemver(v.Name), CreatedAt: v.CreatedAt}
	o.rels[key] = r
	return r
}

func (o *versionOrder) label(key string) string {
	if v := o.info[key]; v.Name != "" {
		return v.Name
	}
	return key
}

// newestFirst sorts keys newest first.
func (o *versionOrder) newestFirst(keys []string) []string {
	rs := make([]*Release, len(keys))
	for i, k := range keys {
		rs[i] = o.release(k)
	}
	sortNewestFirst(rs)
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Key
	}
	return out
}

// newest is the newest of keys ("" when there are none).
func (o *versionOrder) newest(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return o.newestFirst(keys)[0]
}
