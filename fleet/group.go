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
	Label string
	// Servers point into the spread's servers (Spread.Servers), in their order.
	Servers []*Server
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
		keyOf = func(i int) string { return s.rels[i].Key }
	case ByRole:
		for _, rs := range s.Roles {
			order = append(order, rs.Role)
		}
		keyOf = func(i int) string { return s.role(&s.servers[i]) }
	default:
		order = s.Regions
	}
	return s.groupBy(order, label, keyOf, d)
}

// groupBy places every server in its group in two passes, counting first, so that all
// groups share one slice of pointers sized once.
func (s *Spread) groupBy(order []string, label func(string) string, keyOf func(int) string, d Dimension) []Group {
	idx := make(map[string]int, len(order))
	groups := make([]Group, len(order))
	for i, k := range order {
		idx[k] = i
		groups[i] = Group{Key: k, Label: label(k)}
	}
	of := make([]int, len(s.servers))
	sizes := make([]int, len(order))
	counts := make([]int, len(order)*len(s.Releases)) // counts[g*len(Releases)+r]
	for i := range s.servers {
		g := idx[keyOf(i)]
		of[i] = g
		sizes[g]++
		counts[g*len(s.Releases)+s.rels[i].index]++
		if s.lagging[i] {
			groups[g].Stragglers++
		}
	}
	all := make([]*Server, len(s.servers))
	for g, at := range sizes {
		if at > 0 {
			groups[g].Servers, all = all[:0:at], all[at:]
		}
	}
	for i := range s.servers {
		groups[of[i]].Servers = append(groups[of[i]].Servers, &s.servers[i])
	}
	for g := range groups {
		groups[g].Versions = s.versionCounts(counts[g*len(s.Releases) : (g+1)*len(s.Releases)])
		s.annotate(&groups[g], d)
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

// versionCounts lists the releases with servers, in release order; counts[i] is the
// servers on Releases[i].
func (s *Spread) versionCounts(counts []int) []VersionCount {
	var out []VersionCount
	for i, n := range counts {
		if n > 0 {
			out = append(out, VersionCount{Release: s.Releases[i], Count: n})
		}
	}
	return out
}
