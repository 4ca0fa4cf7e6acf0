package fleet

import (
	"slices"
	"strings"
)

// CompareReleases orders two releases oldest first: by semantic version when bySemver
// (both must carry one), then by image creation time, then by label and key, so that the
// order is total and stable.
func CompareReleases(a, b *Release, bySemver bool) int {
	if bySemver {
		if c := a.Semver.Compare(*b.Semver); c != 0 {
			return c
		}
	}
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	if c := strings.Compare(a.Label, b.Label); c != 0 {
		return c
	}
	return strings.Compare(a.Key, b.Key)
}

// AllSemver reports whether every release carries a semantic version, so that a set of
// releases is ordered by semver rather than by date (mixing the two would not be an order).
func AllSemver(rs []*Release) bool {
	for _, r := range rs {
		if r.Semver == nil {
			return false
		}
	}
	return true
}

// sortNewestFirst orders releases newest first, by semver if all carry one.
func sortNewestFirst(rs []*Release) {
	bySemver := AllSemver(rs)
	slices.SortFunc(rs, func(a, b *Release) int { return CompareReleases(b, a, bySemver) })
}

// sortReleases groups releases by their main role (in role order) and puts each role's
// newest first.
func sortReleases(rs []*Release) {
	slices.SortStableFunc(rs, func(a, b *Release) int { return roleCompare(a.Role, b.Role) })
	for start := 0; start < len(rs); {
		end := start + 1
		for end < len(rs) && rs[end].Role == rs[start].Role {
			end++
		}
		sortNewestFirst(rs[start:end])
		start = end
	}
}

// roleCompare orders roles by name, NoRole last.
func roleCompare(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == NoRole:
		return 1
	case b == NoRole:
		return -1
	}
	return strings.Compare(a, b)
}

func roleLess(a, b string) bool { return roleCompare(a, b) < 0 }
