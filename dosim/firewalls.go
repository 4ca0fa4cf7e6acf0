package dosim

import (
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/firewalls", s.listFirewalls)
		api("POST /v2/firewalls", s.createFirewall)
		api("GET /v2/firewalls/{id}", s.getFirewall)
		api("PUT /v2/firewalls/{id}", s.updateFirewall)
		api("DELETE /v2/firewalls/{id}", s.deleteFirewall)
		api("POST /v2/firewalls/{id}/droplets", s.firewallMembers("droplets", true))
		api("DELETE /v2/firewalls/{id}/droplets", s.firewallMembers("droplets", false))
		api("POST /v2/firewalls/{id}/tags", s.firewallMembers("tags", true))
		api("DELETE /v2/firewalls/{id}/tags", s.firewallMembers("tags", false))
		api("POST /v2/firewalls/{id}/rules", s.firewallRules(true))
		api("DELETE /v2/firewalls/{id}/rules", s.firewallRules(false))
	})
}

// Firewall is a cloud firewall applied to droplets by ID and by tag.
type Firewall struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	CreatedAt  time.Time      `json:"created_at"`
	DropletIDs []int          `json:"droplet_ids"`
	Tags       []string       `json:"tags"`
	Inbound    []FirewallRule `json:"inbound_rules"`
	Outbound   []FirewallRule `json:"outbound_rules"`
}

// FirewallRule allows traffic of a protocol on ports from sources (inbound) or to
// destinations (outbound); Sources holds either.
type FirewallRule struct {
	Protocol     string          `json:"protocol"`
	Ports        string          `json:"ports"`
	Sources      *FirewallTarget `json:"sources,omitempty"`
	Destinations *FirewallTarget `json:"destinations,omitempty"`
}

// FirewallTarget is where a rule's traffic may come from or go to.
type FirewallTarget struct {
	Addresses        []string `json:"addresses,omitempty"`
	DropletIDs       []int    `json:"droplet_ids,omitempty"`
	LoadBalancerUIDs []string `json:"load_balancer_uids,omitempty"`
	KubernetesIDs    []string `json:"kubernetes_ids,omitempty"`
	Tags             []string `json:"tags,omitempty"`
}

var (
	validFirewallName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9.\-]+$`)
	validPorts        = regexp.MustCompile(`^([0-9]{1,5})(-([0-9]{1,5}))?$`)
)

// firewallRequest is the body of POST and PUT /v2/firewalls, and of the rules and
// members sub-resources (which use only their part of it).
type firewallRequest struct {
	Name       string         `json:"name"`
	DropletIDs []int          `json:"droplet_ids"`
	Tags       []string       `json:"tags"`
	Inbound    []FirewallRule `json:"inbound_rules"`
	Outbound   []FirewallRule `json:"outbound_rules"`
}

func badFirewall(format string, a ...any) *failure {
	st, b := badRequest(format, a...)
	return &failure{st, b}
}

// check holds a firewall to DigitalOcean's rules: a valid name, existing droplets and
// tags, and rules whose ports and targets make sense.
func (req *firewallRequest) check(w *world) *failure {
	if !validFirewallName.MatchString(req.Name) {
		return badFirewall("name must begin with a letter or number, then letters, numbers, periods or dashes.")
	}
	if f := w.checkFirewallMembers(req.DropletIDs, req.Tags); f != nil {
		return f
	}
	for i, r := range append(append([]FirewallRule{}, req.Inbound...), req.Outbound...) {
		if f := w.checkFirewallRule(i+1, r, i < len(req.Inbound)); f != nil {
			return f
		}
	}
	return nil
}

func (w *world) checkFirewallMembers(ids []int, tags []string) *failure {
	for _, id := range ids {
		if _, ok := w.Droplets[id]; !ok {
			return badFirewall("Droplet %d could not be found.", id)
		}
	}
	for _, t := range tags {
		if !w.Tags[t] {
			return badFirewall("Tag %q does not exist; create it before a firewall can name it.", t)
		}
	}
	return nil
}

func (w *world) checkFirewallRule(n int, r FirewallRule, inbound bool) *failure {
	target, side := r.Destinations, "destinations"
	if inbound {
		target, side = r.Sources, "sources"
	}
	switch {
	case r.Protocol != "tcp" && r.Protocol != "udp" && r.Protocol != "icmp":
		return badFirewall("Rule %d: protocol must be tcp, udp or icmp, not %q.", n, r.Protocol)
	case r.Protocol != "icmp" && !validPortRange(r.Ports):
		return badFirewall("Rule %d: ports must be a port, a range like 8000-9000, or 0 for all, not %q.", n, r.Ports)
	case target == nil || target.empty():
		return badFirewall("Rule %d: %s must name at least one address, Droplet, load balancer, cluster or tag.", n, side)
	}
	for _, a := range target.Addresses {
		if _, err := netip.ParsePrefix(a); err != nil {
			if _, err := netip.ParseAddr(a); err != nil {
				return badFirewall("Rule %d: %q is not an address or a CIDR.", n, a)
			}
		}
	}
	return w.checkFirewallMembers(target.DropletIDs, target.Tags)
}

func validPortRange(p string) bool {
	m := validPorts.FindStringSubmatch(p)
	if m == nil {
		return false
	}
	lo, _ := strconv.Atoi(m[1])
	if m[3] == "" {
		return lo <= 65535
	}
	hi, _ := strconv.Atoi(m[3])
	return lo >= 1 && lo <= hi && hi <= 65535
}

func (t *FirewallTarget) empty() bool {
	return len(t.Addresses)+len(t.DropletIDs)+len(t.LoadBalancerUIDs)+len(t.KubernetesIDs)+len(t.Tags) == 0
}

// normalRules gives ICMP rules the ports DigitalOcean reports for them, "0".
func normalRules(rules []FirewallRule) []FirewallRule {
	out := make([]FirewallRule, len(rules))
	for i, r := range rules {
		if r.Protocol == "icmp" {
			r.Ports = "0"
		}
		out[i] = r
	}
	return out
}

func renderFirewall(fw *Firewall) obj {
	return obj{"id": fw.ID, "name": fw.Name, "status": "succeeded", "created_at": ts(fw.CreatedAt),
		"pending_changes": []obj{}, "droplet_ids": nonNilInts(fw.DropletIDs), "tags": nonNilStrings(fw.Tags),
		"inbound_rules": nonNilRules(fw.Inbound), "outbound_rules": nonNilRules(fw.Outbound)}
}

func nonNilRules(r []FirewallRule) []FirewallRule {
	if r == nil {
		return []FirewallRule{}
	}
	return r
}

func (w *world) sortedFirewalls(keep func(*Firewall) bool) []*Firewall {
	return oldestFirst(w.Firewalls, func(r *Firewall) (time.Time, string) { return r.CreatedAt, r.ID }, keep)
}

func (s *Sim) listFirewalls(r *http.Request, _ *reqInfo) (int, any) {
	list := s.w.sortedFirewalls(nil)
	return s.listing(r, "firewalls", len(list), func(i int) any { return renderFirewall(list[i]) })
}

// listDropletFirewalls lists the firewalls that apply to a droplet, by its ID or a tag.
func (s *Sim) listDropletFirewalls(r *http.Request, _ *reqInfo) (int, any) {
	d, ok := s.droplet(r)
	if !ok {
		return notFound()
	}
	list := s.w.sortedFirewalls(func(fw *Firewall) bool {
		if hasInt(fw.DropletIDs, d.ID) {
			return true
		}
		for _, t := range fw.Tags {
			if hasString(d.Tags, t) {
				return true
			}
		}
		return false
	})
	return s.listing(r, "firewalls", len(list), func(i int) any { return renderFirewall(list[i]) })
}

func (s *Sim) getFirewall(r *http.Request, _ *reqInfo) (int, any) {
	fw, ok := s.w.Firewalls[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	return http.StatusOK, obj{"firewall": renderFirewall(fw)}
}

func (s *Sim) createFirewall(r *http.Request, _ *reqInfo) (int, any) {
	var req firewallRequest
	if err := decode(r, &req); err != nil {
		return badRequest("error parsing request body: %v", err)
	}
	if f := req.check(s.w); f != nil {
		return f.answer()
	}
	fw := &Firewall{ID: randomUUID(), CreatedAt: s.now()}
	fw.set(&req)
	s.w.Firewalls[fw.ID] = fw
	return http.StatusAccepted, obj{"firewall": renderFirewall(fw)}
}

func (fw *Firewall) set(req *firewallRequest) {
	fw.Name, fw.DropletIDs, fw.Tags = req.Name, dedupeInts(req.DropletIDs), dedupe(req.Tags)
	fw.Inbound, fw.Outbound = normalRules(req.Inbound), normalRules(req.Outbound)
}

func (s *Sim) updateFirewall(r *http.Request, _ *reqInfo) (int, any) {
	fw, ok := s.w.Firewalls[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	var req firewallRequest
	if err := decode(r, &req); err != nil {
		return badRequest("error parsing request body: %v", err)
	}
	if f := req.check(s.w); f != nil {
		return f.answer()
	}
	fw.set(&req)
	return http.StatusOK, obj{"firewall": renderFirewall(fw)}
}

func (s *Sim) deleteFirewall(r *http.Request, _ *reqInfo) (int, any) {
	fw, ok := s.w.Firewalls[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	delete(s.w.Firewalls, fw.ID)
	return http.StatusNoContent, nil
}

// firewallMembers adds or removes droplets or tags (which: "droplets" or "tags").
func (s *Sim) firewallMembers(which string, add bool) handler {
	return func(r *http.Request, _ *reqInfo) (int, any) {
		fw, ok := s.w.Firewalls[r.PathValue("id")]
		if !ok {
			return notFound()
		}
		var req firewallRequest
		if err := decode(r, &req); err != nil {
			return badRequest("error parsing request body: %v", err)
		}
		if (which == "droplets" && len(req.DropletIDs) == 0) || (which == "tags" && len(req.Tags) == 0) {
			return badRequest("%s must list at least one.", strings.TrimSuffix(which, "s")+" IDs")
		}
		if f := s.w.checkFirewallMembers(req.DropletIDs, req.Tags); f != nil && add {
			return f.answer()
		}
		for _, id := range req.DropletIDs {
			fw.DropletIDs = removeInt(fw.DropletIDs, id)
			if add {
				fw.DropletIDs = append(fw.DropletIDs, id)
			}
		}
		for _, t := range req.Tags {
			fw.Tags = removeString(fw.Tags, t)
			if add {
				fw.Tags = append(fw.Tags, t)
			}
		}
		return http.StatusNoContent, nil
	}
}

// firewallRules adds or removes rules; a removed rule must match one exactly.
func (s *Sim) firewallRules(add bool) handler {
	return func(r *http.Request, _ *reqInfo) (int, any) {
		fw, ok := s.w.Firewalls[r.PathValue("id")]
		if !ok {
			return notFound()
		}
		var req firewallRequest
		if err := decode(r, &req); err != nil {
			return badRequest("error parsing request body: %v", err)
		}
		req.Name = fw.Name
		if f := req.check(s.w); f != nil {
			return f.answer()
		}
		if len(req.Inbound)+len(req.Outbound) == 0 {
			return badRequest("inbound_rules or outbound_rules must list at least one rule.")
		}
		fw.Inbound = editRules(fw.Inbound, normalRules(req.Inbound), add)
		fw.Outbound = editRules(fw.Outbound, normalRules(req.Outbound), add)
		return http.StatusNoContent, nil
	}
}

func editRules(have, change []FirewallRule, add bool) []FirewallRule {
	for _, c := range change {
		key := mustJSON(c)
		kept := have[:0:0]
		for _, h := range have {
			if string(mustJSON(h)) != string(key) {
				kept = append(kept, h)
			}
		}
		have = kept
		if add {
			have = append(have, c)
		}
	}
	return have
}
