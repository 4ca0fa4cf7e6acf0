package dosim

import (
	"fmt"
	"math"
)

// Each active droplet's health endpoint is a listening socket, one file descriptor: a
// world of 100,000 droplets needs an open-file limit above 100,000. The simulator keeps
// a reserve for its API connections and files, opens listeners within the rest, and
// says, once, how many droplets went without (HealthNotice).
const (
	fileReserveMin  = 512
	unlimitedHealth = 1 << 22
)

// healthBudget is how many health listeners the open-file limit leaves room for.
func healthBudget() int {
	soft, _, ok := openFileLimit()
	if !ok || soft > math.MaxInt32 {
		return unlimitedHealth
	}
	reserve := max(fileReserveMin, int(soft)/20)
	return max(0, int(soft)-reserve)
}

// seedReserve is how many listeners the start leaves for droplets created later, when
// the seed alone would use them all.
func seedReserve(budget int) int { return min(1000, budget/10) }

// HealthNotice is one sentence for the operator when some active droplets have no health
// endpoint because the open-file limit is too low for them all, and "" otherwise. The
// `molt sim` command prints it before it starts serving.
func (s *Sim) HealthNotice() string {
	s.mu.Lock()
	active := 0
	for _, d := range s.w.Droplets {
		if d.Status == "active" {
			active++
		}
	}
	s.mu.Unlock()
	served := s.health.served()
	if s.cfg.HealthPort < 0 || served >= active {
		return ""
	}
	soft, hard, _ := openFileLimit()
	return fmt.Sprintf("health endpoints serve %d of the %d active droplets: the open-file limit is %d (hard %d), "+
		"too low for one listener each; raise the hard limit (ulimit -Hn) or pass --health-port -1", served, active, soft, hard)
}
