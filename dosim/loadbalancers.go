package dosim

import (
	"net/http"
	"time"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/load_balancers", s.listLoadBalancers)
		api("POST /v2/load_balancers", s.createLoadBalancer)
		api("GET /v2/load_balancers/{id}", s.getLoadBalancer)
		api("PUT /v2/load_balancers/{id}", s.updateLoadBalancer)
		api("DELETE /v2/load_balancers/{id}", s.deleteLoadBalancer)
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

// status is the load balancer's status; seeds and older states leave it empty: active.
func (lb *LoadBalancer) status() string {
	if lb.Status == "" {
		return "active"
	}
	return lb.Status
}

// rules are the forwarding rules, the seed's default (HTTP on 80 to the health port)
// for balancers made before they were kept.
func (s *Sim) rules(lb *LoadBalancer) []ForwardingRule {
	if lb.Rules != nil {
		return lb.Rules
	}
	return []ForwardingRule{{EntryProtocol: "http", EntryPort: 80, TargetProtocol: "http", TargetPort: s.backendPort()}}
}

func (s *Sim) backendPort() int {
	if s.cfg.HealthPort > 0 {
		return s.cfg.HealthPort
	}
	return 80
}

func (s *Sim) healthCheck(lb *LoadBalancer) HealthCheck {
	if lb.Health != nil {
		return *lb.Health
	}
	return HealthCheck{Protocol: "http", Port: s.backendPort(), Path: "/healthz", CheckInterval: 10, ResponseTimeout: 5,
		UnhealthyThreshold: 3, HealthyThreshold: 5}
}

func (s *Sim) renderLoadBalancer(lb *LoadBalancer) obj {
	sticky := obj{"type": "none"}
	if lb.Sticky != nil && lb.Sticky.Type == "cookies" {
		sticky = obj{"type": "cookies", "cookie_name": lb.Sticky.CookieName, "cookie_ttl_seconds": lb.Sticky.CookieTTL}
	}
	o := obj{
		"id":                               lb.ID,
		"name":                             lb.Name,
		"project_id":                       s.w.projectOf("do:loadbalancer:" + lb.ID),
		"ip":                               lb.IP,
		"size_unit":                        max(1, lb.SizeUnit),
		"size":                             "lb-small",
		"algorithm":                        "round_robin",
		"status":                           lb.status(),
		"created_at":                       ts(lb.CreatedAt),
		"forwarding_rules":                 s.rules(lb),
		"health_check":                     s.healthCheck(lb),
		"sticky_sessions":                  sticky,
		"redirect_http_to_https":           lb.RedirectHTTPS,
		"enable_proxy_protocol":            lb.ProxyProtocol,
		"enable_backend_keepalive":         lb.BackendKeepalive,
		"http_idle_timeout_seconds":        idleTimeout(lb),
		"vpc_uuid":                         lb.VPCUUID,
		"disable_lets_encrypt_dns_records": false,
		"firewall":                         obj{"deny": []string{}, "allow": []string{}},
		"network":                          "EXTERNAL",
		"network_stack":                    "IPV4",
		"type":                             "REGIONAL",
		"tls_cipher_policy":                "DEFAULT",
		"region":                           regionJSON(lb.Region),
		"droplet_ids":                      s.w.members(lb),
	}
	if lb.Tag != "" {
		o["tag"] = lb.Tag
	}
	return o
}

func idleTimeout(lb *LoadBalancer) int {
	if lb.IdleTimeout == 0 {
		return 60
	}
	return lb.IdleTimeout
}

func (w *world) sortedLBs() []*LoadBalancer {
	return oldestFirst(w.LoadBalancers, func(r *LoadBalancer) (time.Time, string) { return r.CreatedAt, r.ID }, nil)
}

func (s *Sim) listLoadBalancers(r *http.Request, _ *reqInfo) (int, any) {
	list := s.w.sortedLBs()
	return s.listing(r, "load_balancers", len(list), func(i int) any { return s.renderLoadBalancer(list[i]) })
}

func (s *Sim) getLoadBalancer(r *http.Request, _ *reqInfo) (int, any) {
	lb, ok := s.w.LoadBalancers[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	return http.StatusOK, obj{"load_balancer": s.renderLoadBalancer(lb)}
}

// createLoadBalancer makes a balancer that is "new", without an address, for the
// provisioning delay, then "active" with one.
func (s *Sim) createLoadBalancer(r *http.Request, _ *reqInfo) (int, any) {
	var req lbRequest
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	lb := &LoadBalancer{ID: randomUUID(), CreatedAt: s.now(), Status: "new"}
	if f := s.applyLBRequest(lb, &req, true); f != nil {
		return f.answer()
	}
	if _, ok := s.w.freeInfraIP(250); !ok {
		return unprocessable("No address is left for another load balancer in this simulator.")
	}
	s.w.LoadBalancers[lb.ID] = lb
	if req.ProjectID != "" {
		s.w.ProjectOf["do:loadbalancer:"+lb.ID], s.w.AssignedAt["do:loadbalancer:"+lb.ID] = req.ProjectID, lb.CreatedAt
	}
	lb.ReadyAt = lb.CreatedAt.Add(s.cfg.Provision)
	s.scheduleLB(lb)
	return http.StatusAccepted, obj{"load_balancer": s.renderLoadBalancer(lb)}
}

// scheduleLB activates a new balancer at its ReadyAt, giving it its address.
func (s *Sim) scheduleLB(lb *LoadBalancer) {
	if lb.Status != "new" {
		return
	}
	s.schedule("lb:"+lb.ID, lb.ReadyAt, func() {
		if cur, ok := s.w.LoadBalancers[lb.ID]; ok && cur.Status == "new" {
			cur.IP, _ = s.w.freeInfraIP(250)
			cur.Status = "active"
		}
	})
}

func (s *Sim) updateLoadBalancer(r *http.Request, _ *reqInfo) (int, any) {
	lb, ok := s.w.LoadBalancers[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	var req lbRequest
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	if req.Region != "" && req.Region != lb.Region {
		return unprocessable("A load balancer cannot move from %s to %s.", lb.Region, req.Region)
	}
	req.Region = lb.Region
	next := *lb
	if f := s.applyLBRequest(&next, &req, false); f != nil {
		return f.answer()
	}
	*lb = next
	return http.StatusOK, obj{"load_balancer": s.renderLoadBalancer(lb)}
}

func (s *Sim) deleteLoadBalancer(r *http.Request, _ *reqInfo) (int, any) {
	lb, ok := s.w.LoadBalancers[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	s.unschedule("lb:" + lb.ID)
	delete(s.w.LoadBalancers, lb.ID)
	delete(s.w.ProjectOf, "do:loadbalancer:"+lb.ID)
	return http.StatusNoContent, nil
}

// freeInfraIP finds an unused address in the first network's infrastructure block
// (250: load balancers, 251: reserved IPs), above the seed's.
func (w *world) freeInfraIP(block int) (string, bool) {
	used := map[string]bool{}
	for _, lb := range w.LoadBalancers {
		used[lb.IP] = true
	}
	for _, ip := range w.ReservedIPs {
		used[ip.IP] = true
	}
	for host := 30; host < 255; host++ {
		if ip := w.infraIP(block, host); !used[ip] {
			return ip, true
		}
	}
	return "", false
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
	if f := s.w.checkLBDroplets(lb.Name, lb.Region, req.DropletIDs); f != nil {
		return fail(f.answer())
	}
	return lb, req.DropletIDs, 0, nil
}

func (w *world) checkLBDroplets(name, region string, ids []int) *failure {
	for _, id := range ids {
		d, ok := w.Droplets[id]
		if !ok {
			st, b := errf(http.StatusNotFound, "not_found", "Droplet %d could not be found.", id)
			return &failure{st, b}
		}
		if d.Region != region {
			return refuse("Droplet %d is in %s; load balancer %s is in %s.", id, d.Region, name, region)
		}
	}
	return nil
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
