package dosim

import "net/http"

// ServeMux cannot hold both GET /v2/droplets/{id}/backups and GET
// /v2/droplets/autoscale/{id}: each matches a path the other does not, and
// /v2/droplets/autoscale/backups matches both. So one pattern per depth takes the GETs
// under a droplet or a pool and hands each to its operation, under the operation's own
// route name (which /_sim/stats counts by).

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, _ func(string, handler)) {
		s.extraRoutes = append(s.extraRoutes,
			extraRoute{"GET /v2/droplets/{id}/{sub}", s.dropletSub},
			extraRoute{"GET /v2/droplets/{id}/{sub}/{more}", s.dropletSubSub})
	})
}

// extraRoute is a mux pattern served by a dispatcher rather than one operation.
type extraRoute struct {
	pattern string
	serve   http.HandlerFunc
}

// dropletSub serves GET /v2/droplets/{id}/{sub}: a droplet's actions, backups,
// snapshots, kernels or firewalls, or an autoscale pool.
func (s *Sim) dropletSub(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") == "autoscale" {
		r.SetPathValue("id", r.PathValue("sub"))
		s.api("GET /v2/droplets/autoscale/{id}", s.getPool).ServeHTTP(w, r)
		return
	}
	ops := map[string]handler{
		"actions": s.listDropletActions, "backups": s.listDropletBackups, "snapshots": s.listDropletSnapshots,
		"kernels": s.listKernels, "firewalls": s.listDropletFirewalls,
	}
	sub := r.PathValue("sub")
	if h, ok := ops[sub]; ok {
		s.api("GET /v2/droplets/{id}/"+sub, h).ServeHTTP(w, r)
		return
	}
	s.unserved(w, r)
}

// dropletSubSub serves GET /v2/droplets/{id}/actions/{action} and an autoscale pool's
// members and history.
func (s *Sim) dropletSubSub(w http.ResponseWriter, r *http.Request) {
	id, sub, more := r.PathValue("id"), r.PathValue("sub"), r.PathValue("more")
	switch {
	case id == "autoscale" && (more == "members" || more == "history"):
		r.SetPathValue("id", sub)
		h := s.listPoolMembers
		if more == "history" {
			h = s.listPoolHistory
		}
		s.api("GET /v2/droplets/autoscale/{id}/"+more, h).ServeHTTP(w, r)
	case id != "autoscale" && sub == "actions":
		r.SetPathValue("action", more)
		s.api("GET /v2/droplets/{id}/actions/{action}", s.getDropletAction).ServeHTTP(w, r)
	default:
		s.unserved(w, r)
	}
}
