package dosim

import (
	"fmt"
	"strings"
)

// ForwardingRule sends a load balancer's traffic on one port to its droplets.
type ForwardingRule struct {
	EntryProtocol  string `json:"entry_protocol"`
	EntryPort      int    `json:"entry_port"`
	TargetProtocol string `json:"target_protocol"`
	TargetPort     int    `json:"target_port"`
	CertificateID  string `json:"certificate_id"`
	TLSPassthrough bool   `json:"tls_passthrough"`
}

// HealthCheck is how a load balancer probes its droplets.
type HealthCheck struct {
	Protocol           string `json:"protocol"`
	Port               int    `json:"port"`
	Path               string `json:"path"`
	CheckInterval      int    `json:"check_interval_seconds"`
	ResponseTimeout    int    `json:"response_timeout_seconds"`
	UnhealthyThreshold int    `json:"unhealthy_threshold"`
	HealthyThreshold   int    `json:"healthy_threshold"`
}

// StickySessions keeps a client on one droplet with a cookie.
type StickySessions struct {
	Type       string `json:"type"`
	CookieName string `json:"cookie_name,omitempty"`
	CookieTTL  int    `json:"cookie_ttl_seconds,omitempty"`
}

// lbRequest is the body of POST /v2/load_balancers and PUT /v2/load_balancers/{id}: the
// whole balancer, droplets given by ID or by tag (not both).
type lbRequest struct {
	Name             string           `json:"name"`
	Region           string           `json:"region"`
	SizeUnit         int              `json:"size_unit"`
	Size             string           `json:"size"`
	ForwardingRules  []ForwardingRule `json:"forwarding_rules"`
	HealthCheck      *HealthCheck     `json:"health_check"`
	StickySessions   *StickySessions  `json:"sticky_sessions"`
	DropletIDs       []int            `json:"droplet_ids"`
	Tag              string           `json:"tag"`
	RedirectHTTPS    bool             `json:"redirect_http_to_https"`
	ProxyProtocol    bool             `json:"enable_proxy_protocol"`
	BackendKeepalive bool             `json:"enable_backend_keepalive"`
	IdleTimeout      int              `json:"http_idle_timeout_seconds"`
	VPCUUID          string           `json:"vpc_uuid"`
	ProjectID        string           `json:"project_id"`
}

var (
	entryProtocols  = []string{"http", "https", "http2", "http3", "tcp", "udp"}
	targetProtocols = []string{"http", "https", "http2", "tcp", "udp"}
	lbSizes         = map[string]int{"lb-small": 1, "lb-medium": 3, "lb-large": 6}
)

// applyLBRequest checks a create or update against DigitalOcean's rules and, if it
// passes, writes it into lb.
func (s *Sim) applyLBRequest(lb *LoadBalancer, req *lbRequest, creating bool) *failure {
	if f := s.checkLBPlacement(req, creating); f != nil {
		return f
	}
	if f := checkRules(req.ForwardingRules); f != nil {
		return f
	}
	hc, f := healthCheckOf(req.HealthCheck)
	if f != nil {
		return f
	}
	units, f := sizeUnitsOf(req)
	if f != nil {
		return f
	}
	if req.IdleTimeout != 0 && (req.IdleTimeout < 30 || req.IdleTimeout > 600) {
		return refuse("http_idle_timeout_seconds must be between 30 and 600, not %d.", req.IdleTimeout)
	}
	sticky, f := stickyOf(req.StickySessions)
	if f != nil {
		return f
	}
	name := req.Name
	if name == "" {
		name = lb.Name
	}
	if name == "" {
		name = fmt.Sprintf("lb-%s-%s", req.Region, lb.ID[:8])
	}
	vpc := req.VPCUUID
	if vpc == "" {
		vpc = s.w.defaultVPCFor(req.Region, s.now()).ID
	}
	lb.Name, lb.Region, lb.Tag, lb.DropletIDs, lb.VPCUUID = name, req.Region, req.Tag, dedupeInts(req.DropletIDs), vpc
	lb.Rules, lb.Health, lb.Sticky, lb.SizeUnit = req.ForwardingRules, hc, sticky, units
	lb.RedirectHTTPS, lb.ProxyProtocol, lb.BackendKeepalive, lb.IdleTimeout = req.RedirectHTTPS, req.ProxyProtocol, req.BackendKeepalive, req.IdleTimeout
	return nil
}

// checkLBPlacement checks the region, the droplets or tag, the VPC and the project.
func (s *Sim) checkLBPlacement(req *lbRequest, creating bool) *failure {
	if _, ok := regions[req.Region]; !ok {
		return refuse("You specified an invalid region for the load balancer: %q.", req.Region)
	}
	if len(req.DropletIDs) > 0 && req.Tag != "" {
		return refuse("droplet_ids and tag are mutually exclusive; give the Droplets one way.")
	}
	if req.Tag != "" && !validTag.MatchString(req.Tag) {
		return refuse("Tag %q is invalid.", req.Tag)
	}
	if f := s.w.checkLBDroplets(req.Name, req.Region, req.DropletIDs); f != nil {
		return f
	}
	if req.VPCUUID != "" {
		v, ok := s.w.VPCs[req.VPCUUID]
		if !ok || v.Region != req.Region {
			return refuse("VPC %s does not exist in %s.", req.VPCUUID, req.Region)
		}
	}
	if _, ok := s.w.Projects[req.ProjectID]; creating && req.ProjectID != "" && !ok {
		return refuse("Project %s does not exist; the load balancer was not created.", req.ProjectID)
	}
	return nil
}

func checkRules(rules []ForwardingRule) *failure {
	if len(rules) == 0 {
		return refuse("forwarding_rules must list at least one rule.")
	}
	seen := map[string]bool{}
	for i, r := range rules {
		entry := fmt.Sprintf("%s:%d", strings.TrimSuffix(r.EntryProtocol, "3"), r.EntryPort)
		switch {
		case !hasString(entryProtocols, r.EntryProtocol) || !hasString(targetProtocols, r.TargetProtocol):
			return refuse("Forwarding rule %d: protocols must be one of %v to one of %v.", i+1, entryProtocols, targetProtocols)
		case r.EntryPort < 1 || r.EntryPort > 65535 || r.TargetPort < 1 || r.TargetPort > 65535:
			return refuse("Forwarding rule %d: ports must be between 1 and 65535.", i+1)
		case (r.EntryProtocol == "udp") != (r.TargetProtocol == "udp"):
			return refuse("Forwarding rule %d: UDP must be forwarded to UDP, and only UDP to UDP.", i+1)
		case r.TLSPassthrough && r.CertificateID != "":
			return refuse("Forwarding rule %d: tls_passthrough and certificate_id are mutually exclusive.", i+1)
		case r.TLSPassthrough && (r.EntryProtocol != "https" || r.TargetProtocol != "https"):
			return refuse("Forwarding rule %d: tls_passthrough needs https in and out.", i+1)
		case r.CertificateID != "":
			return refuse("Forwarding rule %d: certificate %s could not be found.", i+1, r.CertificateID)
		case (r.EntryProtocol == "https" || r.EntryProtocol == "http2" || r.EntryProtocol == "http3") && !r.TLSPassthrough:
			return refuse("Forwarding rule %d: %s needs a certificate_id or tls_passthrough.", i+1, r.EntryProtocol)
		case seen[entry]:
			return refuse("Forwarding rule %d: port %d is already forwarded.", i+1, r.EntryPort)
		}
		seen[entry] = true
	}
	return nil
}

// healthCheckOf fills in DigitalOcean's defaults for the fields a health check leaves out.
func healthCheckOf(req *HealthCheck) (*HealthCheck, *failure) {
	hc := HealthCheck{Protocol: "http", Port: 80, Path: "/", CheckInterval: 10, ResponseTimeout: 5,
		UnhealthyThreshold: 5, HealthyThreshold: 3}
	if req == nil {
		return &hc, nil
	}
	if req.Protocol != "" {
		hc.Protocol = req.Protocol
	}
	setInt(&hc.Port, req.Port)
	setInt(&hc.CheckInterval, req.CheckInterval)
	setInt(&hc.ResponseTimeout, req.ResponseTimeout)
	setInt(&hc.UnhealthyThreshold, req.UnhealthyThreshold)
	setInt(&hc.HealthyThreshold, req.HealthyThreshold)
	if req.Path != "" {
		hc.Path = req.Path
	}
	switch {
	case !hasString([]string{"http", "https", "tcp"}, hc.Protocol):
		return nil, refuse("The health check protocol must be http, https or tcp, not %q.", hc.Protocol)
	case hc.Port < 1 || hc.Port > 65535:
		return nil, refuse("The health check port must be between 1 and 65535.")
	case hc.CheckInterval < 3 || hc.CheckInterval > 300, hc.ResponseTimeout < 3 || hc.ResponseTimeout > 300:
		return nil, refuse("Health check intervals and timeouts must be between 3 and 300 seconds.")
	case hc.UnhealthyThreshold < 2 || hc.UnhealthyThreshold > 10, hc.HealthyThreshold < 2 || hc.HealthyThreshold > 10:
		return nil, refuse("Health check thresholds must be between 2 and 10.")
	}
	return &hc, nil
}

func sizeUnitsOf(req *lbRequest) (int, *failure) {
	switch {
	case req.SizeUnit != 0 && (req.SizeUnit < 1 || req.SizeUnit > 100):
		return 0, refuse("size_unit must be between 1 and 100, not %d.", req.SizeUnit)
	case req.SizeUnit != 0:
		return req.SizeUnit, nil
	case req.Size == "":
		return 1, nil
	}
	n, ok := lbSizes[req.Size]
	if !ok {
		return 0, refuse("size must be lb-small, lb-medium or lb-large, not %q.", req.Size)
	}
	return n, nil
}

func stickyOf(req *StickySessions) (*StickySessions, *failure) {
	if req == nil || req.Type == "" || req.Type == "none" {
		return nil, nil
	}
	if req.Type != "cookies" {
		return nil, refuse("sticky_sessions type must be cookies or none, not %q.", req.Type)
	}
	out := *req
	if out.CookieName == "" {
		out.CookieName = "DO-LB"
	}
	if out.CookieTTL == 0 {
		out.CookieTTL = 300
	}
	return &out, nil
}

func dedupeInts(list []int) []int {
	out := []int{}
	for _, x := range list {
		if !hasInt(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// setInt overwrites *dst with v unless v is zero (left out of the request).
func setInt(dst *int, v int) {
	if v != 0 {
		*dst = v
	}
}
