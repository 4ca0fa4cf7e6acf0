package ui

import (
	"fmt"

	"github.com/molt-sh/molt/actions"
)

// poolWords says how a pool rollout stands: members on the image the pool moves to,
// those behind it, what the pool is doing and the time left at the pace of its cooldown.
func poolWords(e actions.PoolProgress) string {
	s := fmt.Sprintf("pool %s: %d of %d on %s, %d behind, %d healthy", e.Pool, e.OnTarget, e.Desired, e.Toward,
		e.Behind, e.Healthy)
	switch {
	case e.PoolError != "":
		s += " · the pool's change failed: " + e.PoolError
	case e.Changing != "":
		s += " · " + e.Changing
	}
	if e.ETA > 0 {
		s += " · about " + e.ETA.D().Round(1e9).String() + " left"
	}
	return s
}
