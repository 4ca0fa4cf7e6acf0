package dosim

import (
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"time"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/vpcs", s.listVPCs)
		api("POST /v2/vpcs", s.createVPC)
		api("GET /v2/vpcs/{id}", s.getVPC)
		api("PUT /v2/vpcs/{id}", s.updateVPC(true))
		api("PATCH /v2/vpcs/{id}", s.updateVPC(false))
		api("DELETE /v2/vpcs/{id}", s.deleteVPC)
		api("GET /v2/vpcs/{id}/members", s.listVPCMembers)
	})
}

// VPC is a private network in one region. Every region a world uses has a default one,
// which resources land in unless told otherwise.
type VPC struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Region      string    `json:"region"`
	IPRange     string    `json:"ip_range"`
	Default     bool      `json:"default"`
	CreatedAt   time.Time `json:"created_at"`
}

var validVPCName = regexp.MustCompile(`^[a-zA-Z0-9\-.]{1,255}$`)

// defaultVPC is the ID of a region's default VPC, the same in every world: droplets saved
// before VPCs were served carry it.
func defaultVPC(region string) string {
	h := 0
	for _, c := range region {
		h = h*31 + int(c)
	}
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", h, h%0xffff, h%0xfff, h%0xfff, h)
}

// subnetOf is the default subnet of a VPC, which droplets report as subnet_uuid.
func subnetOf(vpc string) string {
	if len(vpc) != 36 {
		return ""
	}
	return vpc[:24] + "5ab0e7000000"
}

// defaultVPCFor returns a region's default VPC, making it on first use.
func (w *world) defaultVPCFor(region string, at time.Time) *VPC {
	id := defaultVPC(region)
	if v, ok := w.VPCs[id]; ok {
		return v
	}
	i := 0
	for k, r := range regionList {
		if r.Slug == region {
			i = k
		}
	}
	v := &VPC{ID: id, Name: "default-" + region, Region: region, IPRange: fmt.Sprintf("10.%d.0.0/20", 100+i*4),
		Default: true, CreatedAt: at}
	w.VPCs[id] = v
	return v
}

func (w *world) renderVPC(v *VPC) obj {
	return obj{"id": v.ID, "urn": "do:vpc:" + v.ID, "name": v.Name, "description": v.Description, "region": v.Region,
		"ip_range": v.IPRange, "default": v.Default, "created_at": ts(v.CreatedAt)}
}

func (w *world) sortedVPCs() []*VPC {
	return oldestFirst(w.VPCs, func(r *VPC) (time.Time, string) { return r.CreatedAt, r.ID }, nil)
}

func (s *Sim) listVPCs(r *http.Request, _ *reqInfo) (int, any) {
	list := s.w.sortedVPCs()
	return s.listing(r, "vpcs", len(list), func(i int) any { return s.w.renderVPC(list[i]) })
}

func (s *Sim) getVPC(r *http.Request, _ *reqInfo) (int, any) {
	v, ok := s.w.VPCs[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	return http.StatusOK, obj{"vpc": s.w.renderVPC(v)}
}

// vpcRequest is the body of POST, PUT and PATCH /v2/vpcs.
type vpcRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Region      string  `json:"region"`
	IPRange     string  `json:"ip_range"`
	Default     *bool   `json:"default"`
}

func (s *Sim) createVPC(r *http.Request, _ *reqInfo) (int, any) {
	var req vpcRequest
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	if req.Name == nil || !validVPCName.MatchString(*req.Name) {
		return unprocessable("name is required: letters, numbers, dashes and periods, up to 255.")
	}
	if _, ok := regions[req.Region]; !ok {
		return unprocessable("You specified an invalid region for the VPC: %q.", req.Region)
	}
	for _, v := range s.w.VPCs {
		if v.Name == *req.Name {
			return unprocessable("A VPC named %s already exists.", v.Name)
		}
	}
	ipRange, f := s.w.vpcRange(req.IPRange)
	if f != nil {
		return f.answer()
	}
	v := &VPC{ID: randomUUID(), Name: *req.Name, Region: req.Region, IPRange: ipRange, CreatedAt: s.now()}
	if req.Description != nil {
		v.Description = *req.Description
	}
	s.w.VPCs[v.ID] = v
	return http.StatusCreated, obj{"vpc": s.w.renderVPC(v)}
}

// vpcRange checks a requested range (private, /16 to /28, overlapping no other VPC), or
// picks a free /20 when none is asked for.
func (w *world) vpcRange(want string) (string, *failure) {
	if want == "" {
		for i := 0; i < 256; i++ {
			p := netip.MustParsePrefix("10." + strconv.Itoa(200+i/16) + "." + strconv.Itoa(i%16*16) + ".0/20")
			if w.freeRange(p) {
				return p.String(), nil
			}
		}
		return "", refuse("No private range is left for a new VPC; give one in ip_range.")
	}
	p, err := netip.ParsePrefix(want)
	switch {
	case err != nil || !p.Addr().Is4() || p.Masked() != p:
		return "", refuse("ip_range %q is not a network in CIDR notation.", want)
	case p.Bits() < 16 || p.Bits() > 28:
		return "", refuse("ip_range %s may not be larger than /16 nor smaller than /28.", want)
	case !p.Addr().IsPrivate():
		return "", refuse("ip_range %s is not a private (RFC 1918) range.", want)
	case !w.freeRange(p):
		return "", refuse("ip_range %s overlaps another VPC of this account.", want)
	}
	return p.String(), nil
}

func (w *world) freeRange(p netip.Prefix) bool {
	for _, v := range w.VPCs {
		if q, err := netip.ParsePrefix(v.IPRange); err == nil && q.Overlaps(p) {
			return false
		}
	}
	return true
}

// updateVPC serves PUT (full: name required) and PATCH (partial). Making a VPC the
// default takes the mark from the region's previous default.
func (s *Sim) updateVPC(full bool) handler {
	return func(r *http.Request, _ *reqInfo) (int, any) {
		v, ok := s.w.VPCs[r.PathValue("id")]
		if !ok {
			return notFound()
		}
		var req vpcRequest
		if err := decode(r, &req); err != nil {
			return badRequest("The request body is not valid JSON: %v", err)
		}
		if (full && req.Name == nil) || (req.Name != nil && !validVPCName.MatchString(*req.Name)) {
			return unprocessable("name is required: letters, numbers, dashes and periods, up to 255.")
		}
		if req.Default != nil && !*req.Default && v.Default {
			return unprocessable("A default VPC cannot be unset; make another VPC of %s the default instead.", v.Region)
		}
		if req.Name != nil {
			v.Name = *req.Name
		}
		if req.Description != nil {
			v.Description = *req.Description
		}
		if req.Default != nil && *req.Default {
			for _, o := range s.w.VPCs {
				if o.Region == v.Region {
					o.Default = false
				}
			}
			v.Default = true
		}
		return http.StatusOK, obj{"vpc": s.w.renderVPC(v)}
	}
}

func (s *Sim) deleteVPC(r *http.Request, _ *reqInfo) (int, any) {
	v, ok := s.w.VPCs[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	if v.Default {
		return errf(http.StatusForbidden, "forbidden", "The default VPC of %s cannot be deleted.", v.Region)
	}
	if len(s.w.vpcMembers(v.ID, "")) > 0 {
		return errf(http.StatusForbidden, "forbidden", "VPC %s still has members; move or delete them first.", v.Name)
	}
	delete(s.w.VPCs, v.ID)
	return http.StatusNoContent, nil
}

// vpcMember is one resource in a VPC.
type vpcMember struct {
	urn, name string
	created   time.Time
}

// vpcMembers lists the droplets and load balancers in a VPC, of one kind when
// resourceType is droplet or load_balancer.
func (w *world) vpcMembers(id, resourceType string) []vpcMember {
	var out []vpcMember
	if resourceType == "" || resourceType == "droplet" {
		for _, d := range w.sortedDroplets(nil) {
			if d.VPCUUID == id {
				out = append(out, vpcMember{"do:droplet:" + strconv.Itoa(d.ID), d.Name, d.CreatedAt})
			}
		}
	}
	if resourceType == "" || resourceType == "load_balancer" {
		for _, lb := range w.sortedLBs() {
			if lb.VPCUUID == id {
				out = append(out, vpcMember{"do:loadbalancer:" + lb.ID, lb.Name, lb.CreatedAt})
			}
		}
	}
	return out
}

func (s *Sim) listVPCMembers(r *http.Request, _ *reqInfo) (int, any) {
	v, ok := s.w.VPCs[r.PathValue("id")]
	if !ok {
		return notFound()
	}
	list := s.w.vpcMembers(v.ID, r.URL.Query().Get("resource_type"))
	return s.listing(r, "members", len(list), func(i int) any {
		return obj{"urn": list[i].urn, "name": list[i].name, "created_at": ts(list[i].created)}
	})
}
