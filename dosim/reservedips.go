package dosim

import (
	"encoding/binary"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
)

// ipKind is one of the two names DigitalOcean serves reserved IPs under: reserved_ip,
// and floating_ip, the older name that the API and godo still answer to.
type ipKind struct {
	one, many, path string
}

var (
	reservedKind = ipKind{one: "reserved_ip", many: "reserved_ips", path: "/v2/reserved_ips"}
	floatingKind = ipKind{one: "floating_ip", many: "floating_ips", path: "/v2/floating_ips"}
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		for _, k := range []ipKind{reservedKind, floatingKind} {
			api("GET "+k.path, s.listReservedIPs(k))
			api("POST "+k.path, s.createReservedIP(k))
			api("GET "+k.path+"/{ip}", s.getReservedIP(k))
			api("DELETE "+k.path+"/{ip}", s.deleteReservedIP)
			api("POST "+k.path+"/{ip}/actions", s.postReservedIPAction(k))
			api("GET "+k.path+"/{ip}/actions", s.listReservedIPActions)
			api("GET "+k.path+"/{ip}/actions/{action}", s.getReservedIPAction)
		}
	})
	actionEffects["assign_ip"] = func(s *Sim, a *Action) {
		ip, ok := s.w.ReservedIPs[a.Params["ip"]]
		if !ok {
			return
		}
		ip.Locked = false
		id, _ := strconv.Atoi(a.Params["droplet_id"])
		if _, ok := s.w.Droplets[id]; !ok {
			a.Status = "errored" // the droplet was destroyed while the IP was on its way
			return
		}
		ip.DropletID = id
	}
	actionEffects["unassign_ip"] = func(s *Sim, a *Action) {
		if ip, ok := s.w.ReservedIPs[a.Params["ip"]]; ok {
			ip.Locked = false
			ip.DropletID = 0
		}
	}
}

// ipNumber is an IPv4 address as the integer DigitalOcean uses for the resource_id of
// reserved IP actions.
func ipNumber(ip string) int {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return 0
	}
	b := a.As4()
	return int(binary.BigEndian.Uint32(b[:]))
}

func (s *Sim) renderReservedIP(ip *ReservedIP) obj {
	var droplet any
	if d, ok := s.w.Droplets[ip.DropletID]; ok && ip.DropletID != 0 {
		droplet = s.w.renderDroplet(d)
	}
	return obj{
		"ip":         ip.IP,
		"region":     regionJSON(ip.Region),
		"droplet":    droplet,
		"locked":     ip.Locked,
		"project_id": s.w.projectOf("do:floatingip:" + ip.IP),
	}
}

func (w *world) sortedReservedIPs() []*ReservedIP {
	list := make([]*ReservedIP, 0, len(w.ReservedIPs))
	for _, ip := range w.ReservedIPs {
		list = append(list, ip)
	}
	sort.Slice(list, func(i, j int) bool { return ipNumber(list[i].IP) < ipNumber(list[j].IP) })
	return list
}

// reservedIPRequest is the body of POST /v2/reserved_ips: an address assigned to a
// droplet at once, or reserved in a region (and a project), never both.
type reservedIPRequest struct {
	DropletID int    `json:"droplet_id"`
	Region    string `json:"region"`
	ProjectID string `json:"project_id"`
}

func (s *Sim) createReservedIP(k ipKind) handler {
	return func(r *http.Request, _ *reqInfo) (int, any) {
		var req reservedIPRequest
		if err := decode(r, &req); err != nil {
			return badRequest("The request body is not valid JSON: %v", err)
		}
		ip, d, f := s.newReservedIP(&req)
		if f != nil {
			return f.answer()
		}
		links := obj{}
		if d != nil {
			a := s.startReservedIPAction(k, ip, "assign", d.ID)
			href := s.base(r) + "/v2/actions/" + strconv.Itoa(a.ID)
			links["droplets"] = []obj{{"id": d.ID, "rel": "droplet", "href": s.base(r) + "/v2/droplets/" + strconv.Itoa(d.ID)}}
			links["actions"] = []obj{{"id": a.ID, "rel": "assign_ip", "href": href}}
		}
		return http.StatusAccepted, obj{k.one: s.renderReservedIP(ip), "links": links}
	}
}

// newReservedIP checks a create and, if it passes, reserves the address: in the
// droplet's region when assigning it.
func (s *Sim) newReservedIP(req *reservedIPRequest) (*ReservedIP, *Droplet, *failure) {
	var d *Droplet
	switch {
	case req.DropletID != 0 && (req.Region != "" || req.ProjectID != ""):
		return nil, nil, refuse("Give droplet_id to assign the reserved IP, or region (and project_id) to reserve it; not both.")
	case req.DropletID != 0:
		var ok bool
		if d, ok = s.w.Droplets[req.DropletID]; !ok {
			st, b := errf(http.StatusNotFound, "not_found", "Droplet %d could not be found.", req.DropletID)
			return nil, nil, &failure{st, b}
		}
		if f := s.checkAssignable(nil, d); f != nil {
			return nil, nil, f
		}
		req.Region = d.Region
	case req.Region == "":
		return nil, nil, refuse("Give droplet_id or region.")
	}
	if _, ok := regions[req.Region]; !ok {
		return nil, nil, refuse("You specified an invalid region for the reserved IP: %q.", req.Region)
	}
	if _, ok := s.w.Projects[req.ProjectID]; req.ProjectID != "" && !ok {
		return nil, nil, refuse("Project %s does not exist.", req.ProjectID)
	}
	if len(s.w.ReservedIPs) >= s.w.reservedIPLimit() {
		return nil, nil, refuse("You have reached the reserved IP limit of %d for this account.", s.w.reservedIPLimit())
	}
	addr, ok := s.w.freeInfraIP(251)
	if !ok {
		return nil, nil, refuse("No address is left for another reserved IP in this simulator.")
	}
	ip := &ReservedIP{IP: addr, Region: req.Region, CreatedAt: s.now()}
	s.w.ReservedIPs[addr] = ip
	if req.ProjectID != "" {
		s.w.ProjectOf["do:floatingip:"+addr], s.w.AssignedAt["do:floatingip:"+addr] = req.ProjectID, ip.CreatedAt
	}
	return ip, d, nil
}

// deleteReservedIP releases an address; one on its way to or from a droplet waits.
func (s *Sim) deleteReservedIP(r *http.Request, _ *reqInfo) (int, any) {
	ip, ok := s.w.ReservedIPs[r.PathValue("ip")]
	if !ok {
		return notFound()
	}
	if ip.Locked {
		return unprocessable("The reserved IP %s has a pending event; wait for it to complete.", ip.IP)
	}
	delete(s.w.ReservedIPs, ip.IP)
	delete(s.w.ProjectOf, "do:floatingip:"+ip.IP)
	return http.StatusNoContent, nil
}

func (s *Sim) listReservedIPs(k ipKind) handler {
	return func(r *http.Request, _ *reqInfo) (int, any) {
		list := s.w.sortedReservedIPs()
		return s.listing(r, k.many, len(list), func(i int) any { return s.renderReservedIP(list[i]) })
	}
}

func (s *Sim) getReservedIP(k ipKind) handler {
	return func(r *http.Request, _ *reqInfo) (int, any) {
		ip, ok := s.w.ReservedIPs[r.PathValue("ip")]
		if !ok {
			return notFound()
		}
		return http.StatusOK, obj{k.one: s.renderReservedIP(ip)}
	}
}

// reservedIPActionRequest is the body of POST /v2/reserved_ips/{ip}/actions.
type reservedIPActionRequest struct {
	Type      string `json:"type"`
	DropletID int    `json:"droplet_id"`
}

func (s *Sim) postReservedIPAction(k ipKind) handler {
	return func(r *http.Request, _ *reqInfo) (int, any) {
		ip, ok := s.w.ReservedIPs[r.PathValue("ip")]
		if !ok {
			return notFound()
		}
		var req reservedIPActionRequest
		if err := decode(r, &req); err != nil {
			return badRequest("The request body is not valid JSON: %v", err)
		}
		if st, body := s.checkReservedIPAction(ip, &req); st != 0 {
			return st, body
		}
		a := s.startReservedIPAction(k, ip, req.Type, req.DropletID)
		return http.StatusCreated, obj{"action": renderAction(a)}
	}
}

// startReservedIPAction locks the address and starts moving it (assign or unassign).
func (s *Sim) startReservedIPAction(k ipKind, ip *ReservedIP, typ string, dropletID int) *Action {
	params := map[string]string{"ip": ip.IP}
	if typ == "assign" {
		params["droplet_id"] = strconv.Itoa(dropletID)
	}
	ip.Locked = true
	return s.startAction(typ+"_ip", k.one, ipNumber(ip.IP), ip.Region, params, s.cfg.ActionDelay)
}

// checkReservedIPAction answers why an action cannot start, or 0 when it can.
func (s *Sim) checkReservedIPAction(ip *ReservedIP, req *reservedIPActionRequest) (int, any) {
	if ip.Locked {
		return unprocessable("The reserved IP %s has a pending event; wait for it to complete.", ip.IP)
	}
	switch req.Type {
	case "unassign":
		if ip.DropletID == 0 {
			return unprocessable("The reserved IP %s is not assigned to a Droplet.", ip.IP)
		}
		return 0, nil
	case "assign":
	default:
		return unprocessable("Action type %q is not supported; use assign or unassign.", req.Type)
	}
	d, ok := s.w.Droplets[req.DropletID]
	if !ok {
		return errf(http.StatusNotFound, "not_found", "Droplet %d could not be found.", req.DropletID)
	}
	if d.Region != ip.Region {
		return unprocessable("Droplet %d is in %s; the reserved IP %s is in %s.", d.ID, d.Region, ip.IP, ip.Region)
	}
	if f := s.checkAssignable(ip, d); f != nil {
		return f.answer()
	}
	return 0, nil
}

// checkAssignable refuses a droplet that already has another reserved IP.
func (s *Sim) checkAssignable(ip *ReservedIP, d *Droplet) *failure {
	for _, other := range s.w.ReservedIPs {
		if other != ip && other.DropletID == d.ID {
			return refuse("Droplet %d already has the reserved IP %s.", d.ID, other.IP)
		}
	}
	return nil
}

func (s *Sim) listReservedIPActions(r *http.Request, _ *reqInfo) (int, any) {
	ip, ok := s.w.ReservedIPs[r.PathValue("ip")]
	if !ok {
		return notFound()
	}
	// The actions on the address under either of its names.
	return s.newestFirst(r, s.w.actionsOn("ip:"+ip.IP))
}

func (s *Sim) getReservedIPAction(r *http.Request, _ *reqInfo) (int, any) {
	id, ok := pathInt(r, "action")
	a, found := s.w.Actions[id]
	if !ok || !found || a.Params["ip"] != r.PathValue("ip") ||
		(a.ResourceType != reservedKind.one && a.ResourceType != floatingKind.one) {
		return notFound()
	}
	return http.StatusOK, obj{"action": renderAction(a)}
}
