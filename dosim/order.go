package dosim

import (
	"sort"
	"time"
)

// oldestFirst lists the resources of m that keep holds (nil: all) in the order
// DigitalOcean lists them: oldest first, then by ID. key gives a resource's creation
// time and ID.
func oldestFirst[T any](m map[string]*T, key func(*T) (time.Time, string), keep func(*T) bool) []*T {
	list := make([]*T, 0, len(m))
	for _, r := range m {
		if keep == nil || keep(r) {
			list = append(list, r)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		ai, ii := key(list[i])
		aj, ij := key(list[j])
		if !ai.Equal(aj) {
			return ai.Before(aj)
		}
		return ii < ij
	})
	return list
}
