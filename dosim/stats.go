package dosim

import (
	"net/http"
	"sync"
)

// stats counts the DigitalOcean API requests served, by "METHOD route".
type stats struct {
	mu       sync.Mutex
	requests int
	byMethod map[string]int
	byRoute  map[string]int
}

func newStats() *stats {
	return &stats{byMethod: map[string]int{}, byRoute: map[string]int{}}
}

func (st *stats) count(method, route string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.requests++
	st.byMethod[method]++
	st.byRoute[route]++
}

// Stats is what GET /_sim/stats returns.
type Stats struct {
	Requests        int            `json:"requests"`
	ByMethod        map[string]int `json:"by_method"`
	ByRoute         map[string]int `json:"by_route"`
	DropletsCreated int            `json:"droplets_created"`
	DropletsDeleted int            `json:"droplets_deleted"`
	Droplets        int            `json:"droplets"`
}

// Stats returns a snapshot of the request and droplet counters.
func (s *Sim) Stats() Stats {
	s.stats.mu.Lock()
	out := Stats{Requests: s.stats.requests, ByMethod: map[string]int{}, ByRoute: map[string]int{}}
	for k, v := range s.stats.byMethod {
		out.ByMethod[k] = v
	}
	for k, v := range s.stats.byRoute {
		out.ByRoute[k] = v
	}
	s.stats.mu.Unlock()
	s.mu.Lock()
	out.DropletsCreated, out.DropletsDeleted, out.Droplets = s.w.Created, s.w.Deleted, len(s.w.Droplets)
	s.mu.Unlock()
	return out
}

// admin wraps an admin handler: same bearer token, no rate limit, not counted.
func (s *Sim) admin(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ri := &reqInfo{id: s.requestID(), route: "admin"}
		w.Header().Set("x-request-id", ri.id)
		if !s.authorized(r) {
			s.write(w, ri, http.StatusUnauthorized, unauthorizedBody())
			return
		}
		h(w, r)
	}
}

func (s *Sim) handleStats(w http.ResponseWriter, r *http.Request) {
	s.write(w, &reqInfo{}, http.StatusOK, s.Stats())
}
