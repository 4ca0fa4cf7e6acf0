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
			api("GET "+k.path+"/{ip}", s.getReservedIP(k))
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
		"region":     renderRegion(ip.Region),
		"droplet":    droplet,
		"locked":     ip.Locked,
		"project_id": s.w.Account.ProjectID,
	}
}

func (s *Sim) listReservedIPs(k ipKind) handler {
	return func(r *http.Request, _ *reqInfo) (int, any) {
		list := make([]*ReservedIP, 0, len(s.w.ReservedIPs))
		for _, ip := range s.w.ReservedIPs {
			list = append(list, ip)
		}
		sort.Slice(list, func(i, j int) bool { return ipNumber(list[i].IP) < ipNumber(list[j].IP) })
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
		params := map[string]string{"ip": ip.IP}
		if req.Type == "assign" {
			params["droplet_id"] = strconv.Itoa(req.DropletID)
		}
		ip.Locked = true
		a := s.startAction(req.Type+"_ip", k.one, ipNumber(ip.IP), ip.Region, params, s.cfg.ActionDelay)
		return http.StatusCreated, obj{"action": renderAction(a)}
	}
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
	for _, other := range s.w.ReservedIPs {
		if other != ip && other.DropletID == d.ID {
			return unprocessable("Droplet %d already has the reserved IP %s.", d.ID, other.IP)
		}
	}
	return 0, nil
}

// reservedIPActions are the actions on one address, under either of its names.
func (s *Sim) reservedIPActions(ip string) []*Action {
	return s.actionsOf(func(a *Action) bool {
		return (a.ResourceType == reservedKind.one || a.ResourceType == floatingKind.one) && a.Params["ip"] == ip
	})
}

func (s *Sim) listReservedIPActions(r *http.Request, _ *reqInfo) (int, any) {
	ip, ok := s.w.ReservedIPs[r.PathValue("ip")]
	if !ok {
		return notFound()
	}
	list := s.reservedIPActions(ip.IP)
	return s.listing(r, "actions", len(list), func(i int) any { return renderAction(list[i]) })
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
