package fleet

import (
	"fmt"
	"slices"
)

// Dimension is what servers are grouped by.
type Dimension string

// The dimensions a spread groups by.
const (
	ByVersion Dimension = "version"
	ByRole    Dimension = "role"
	ByRegion  Dimension = "region"
)

// Dimensions lists the valid dimensions, for flags and help.
var Dimensions = []Dimension{ByVersion, ByRole, ByRegion}

// ParseDimension reads "version", "role" or "region".
func ParseDimension(s string) (Dimension, error) {
	d := Dimension(s)
	if !slices.Contains(Dimensions, d) {
		return "", fmt.Errorf("cannot group by %q: use version, role or region", s)
	}
	return d, nil
}

// Group is the servers sharing a release, a role or a region.
type Group struct {
	// Key identifies the group: a release key, a role or a region.
	Key string
	// Label is what operators call it.
	Label   string
	Servers []Server
	// Release is the group's release (ByVersion only).
	Release *Release
	// Versions counts the group's servers per release, in the spread's release order.
	Versions []VersionCount
	// Newest is the role's newest release (ByRole only; nil for NoRole).
	Newest *Release
	// Stragglers counts the group's servers not on their role's newest release.
	Stragglers int
}

// VersionCount is how many of a group's servers run a release.
type VersionCount struct {
	Release *Release
	Count   int
}

// Groups splits the spread's servers by d: releases in release order, roles in role
// order, regions sorted.
func (s *Spread) Groups(d Dimension) []Group {
	var order []string
	label := func(k string) string { return k }
	keyOf := func(i int) string { return s.servers[i].Region }
	switch d {
	case ByVersion:
		for _, r := range s.Releases {
			order = append(order, r.Key)
		}
		label = func(k string) string { return s.byKey[k].Label }
		keyOf = func(i int) string { return s.keys[i] }
	case ByRole:
		for _, rs := range s.Roles {
			order = append(order, rs.Role)
		}
		keyOf = func(i int) string { return s.Options.Role(s.servers[i]) }
	default:
		order = s.Regions
	}
	return s.groupBy(order, label, keyOf, d)
}

func (s *Spread) groupBy(order []string, label func(string) string, keyOf func(int) string, d Dimension) []Group {
	idx := map[string]int{}
	groups := make([]Group, len(order))
	for i, k := range order {
		idx[k] = i
		groups[i] = Group{Key: k, Label: label(k)}
	}
	counts := make([]map[string]int, len(order))
	stragglers := s.stragglerIDs()
	for i, srv := range s.servers {
		g := idx[keyOf(i)]
		groups[g].Servers = append(groups[g].Servers, srv)
		if counts[g] == nil {
			counts[g] = map[string]int{}
		}
		counts[g][s.keys[i]]++
		if stragglers[srv.ID] {
			groups[g].Stragglers++
		}
	}
	for i := range groups {
		groups[i].Versions = s.versionCounts(counts[i])
		s.annotate(&groups[i], d)
	}
	return groups
}

func (s *Spread) annotate(g *Group, d Dimension) {
	switch d {
	case ByVersion:
		g.Release = s.byKey[g.Key]
	case ByRole:
		for _, rs := range s.Roles {
			if rs.Role == g.Key {
				g.Newest = rs.Newest
			}
		}
	}
}

func (s *Spread) versionCounts(counts map[string]int) []VersionCount {
	var out []VersionCount
	for _, r := range s.Releases {
		if n := counts[r.Key]; n > 0 {
			out = append(out, VersionCount{Release: r, Count: n})
		}
	}
	return out
}

func (s *Spread) stragglerIDs() map[int]bool {
	ids := make(map[int]bool, len(s.Stragglers))
	for _, st := range s.Stragglers {
		ids[st.Server.ID] = true
	}
	return ids
}
