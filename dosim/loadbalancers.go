package dosim

import (
	"net/http"
	"sort"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/load_balancers", s.listLoadBalancers)
		api("GET /v2/load_balancers/{id}", s.getLoadBalancer)
		api("POST /v2/load_balancers/{id}/droplets", s.addLBDroplets)
		api("DELETE /v2/load_balancers/{id}/droplets", s.removeLBDroplets)
	})
}

// members are the droplets a load balancer sends traffic to: its list, or, for a
// tag-based one, the droplets of its region carrying the tag at this moment.
func (w *world) members(lb *LoadBalancer) []int {
	if lb.Tag == "" {
		return nonNilInts(lb.DropletIDs)
	}
	ids := []int{}
	for _, d := range w.tagDroplets(lb.Tag) {
		if d.Region == lb.Region {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

func (s *Sim) renderLoadBalancer(lb *LoadBalancer) obj {
	port := s.cfg.HealthPort
	if port <= 0 {
		port = 80
	}
	o := obj{
		"id":         lb.ID,
		"name":       lb.Name,
		"project_id": s.w.Account.ProjectID,
		"ip":         lb.IP,
		"size_unit":  1,
		"size":       "lb-small",
		"algorithm":  "round_robin",
		"status":     "active",
		"created_at": ts(lb.CreatedAt),
		"forwarding_rules": []obj{
			{"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": port,
				"certificate_id": "", "tls_passthrough": false},
		},
		"health_check": obj{"protocol": "http", "port": port, "path": "/healthz", "check_interval_seconds": 10,
			"response_timeout_seconds": 5, "unhealthy_threshold": 3, "healthy_threshold": 5},
		"sticky_sessions":                  obj{"type": "none"},
		"redirect_http_to_https":           false,
		"enable_proxy_protocol":            false,
		"enable_backend_keepalive":         false,
		"http_idle_timeout_seconds":        60,
		"vpc_uuid":                         lb.VPCUUID,
		"disable_lets_encrypt_dns_records": false,
		"firewall":                         obj{"deny": []string{}, "allow": []string{}},
		"network":                          "EXTERNAL",
		"network_stack":                    "IPV4",
		"type":                             "REGIONAL",
		"tls_cipher_policy":                "DEFAULT",
		"region":                           renderRegion(lb.Region),
		"droplet_ids":                      s.w.members(lb),
	}
	if lb.Tag != "" {
		o["tag"] = lb.Tag
	}
	return o
}

func (s *Sim) listLoadBalancers(r *http.Request, _ *reqInfo) (int, any) {
	list := make([]*LoadBalancer, 0, len(s.w.LoadBalancers))
	for _, lb := range s.w.LoadBalancers {
		list = append(list, lb)
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].CreatedAt.Equal(list[j].CreatedAt) {
			return list[i].CreatedAt.Before(list[j].CreatedAt)
		}
		return list[i].ID < list[j].ID
	})
	return s.listing(r, "load_balancers", len(list), func(i int) any { return s.renderLoadBalancer(list[i]) })
}

func (s *Sim) getLoadBalancer(r *http.Request, _ *reqInfo) (int, any) {
	lb, ok := s.w.LoadBalancers[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	return http.StatusOK, obj{"load_balancer": s.renderLoadBalancer(lb)}
}

// lbDroplets validates a request to add or remove droplets: the balancer must list its
// droplets by ID, and every droplet must exist in the balancer's region.
func (s *Sim) lbDroplets(r *http.Request) (*LoadBalancer, []int, int, any) {
	fail := func(st int, b any) (*LoadBalancer, []int, int, any) { return nil, nil, st, b }
	lb, ok := s.w.LoadBalancers[r.PathValue("id")]
	if !ok {
		return fail(notFound())
	}
	var req struct {
		DropletIDs []int `json:"droplet_ids"`
	}
	if err := decode(r, &req); err != nil {
		return fail(badRequest("The request body is not valid JSON: %v", err))
	}
	if lb.Tag != "" {
		return fail(unprocessable("Load balancer %s selects its Droplets by the tag %q; tag or untag the Droplets instead.", lb.Name, lb.Tag))
	}
	if len(req.DropletIDs) == 0 {
		return fail(unprocessable("droplet_ids must list at least one Droplet."))
	}
	for _, id := range req.DropletIDs {
		d, ok := s.w.Droplets[id]
		if !ok {
			return fail(errf(http.StatusNotFound, "not_found", "Droplet %d could not be found.", id))
		}
		if d.Region != lb.Region {
			return fail(unprocessable("Droplet %d is in %s; load balancer %s is in %s.", id, d.Region, lb.Name, lb.Region))
		}
	}
	return lb, req.DropletIDs, 0, nil
}

func (s *Sim) addLBDroplets(r *http.Request, _ *reqInfo) (int, any) {
	lb, ids, st, body := s.lbDroplets(r)
	if lb == nil {
		return st, body
	}
	for _, id := range ids {
		if !hasInt(lb.DropletIDs, id) {
			lb.DropletIDs = append(lb.DropletIDs, id)
		}
	}
	return http.StatusNoContent, nil
}

func (s *Sim) removeLBDroplets(r *http.Request, _ *reqInfo) (int, any) {
	lb, ids, st, body := s.lbDroplets(r)
	if lb == nil {
		return st, body
	}
	for _, id := range ids {
		lb.DropletIDs = removeInt(lb.DropletIDs, id)
	}
	return http.StatusNoContent, nil
}

func hasInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
