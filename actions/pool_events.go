package actions

import "time"

// PoolProgress is a pool rollout's word on its pool, sent whenever its members change:
// how many run the image the pool moves to (the target, or the previous image while
// rolling back), how many are behind it, what the pool is doing, and the time left as
// the pool's cooldown makes it.
type PoolProgress struct {
	At   time.Time `json:"at"`
	Pool string    `json:"pool"`
	// Toward is the image the pool moves to.
	Toward   string `json:"toward"`
	Members  int    `json:"members"`
	Desired  int    `json:"desired"`
	OnTarget int    `json:"on_target"`
	Behind   int    `json:"behind"`
	// Healthy counts the new members that passed molt's health check.
	Healthy int `json:"healthy"`
	// Changing is the change the pool has under way ("configuration change", "scale
	// down"), "" when it waits (its cooldown) or is done.
	Changing string `json:"changing,omitempty"`
	// PoolError is the pool's own word when its last change failed (it tries again after
	// its cooldown).
	PoolError string `json:"pool_error,omitempty"`
	// ETA is the time left from At, at the pace of the pool's cooldown.
	ETA Duration `json:"eta"`
}

// Kind implements Event.
func (PoolProgress) Kind() string { return "pool_progress" }
