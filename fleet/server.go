// Package fleet is what exists: droplets as Servers, the image Versions they run, and the
// groupings and statistics (Spread) that show how many versions are live and where.
// It reads through godo and never changes anything.
package fleet

import (
	"strings"
	"time"

	"github.com/digitalocean/godo"
)

// Server is one droplet as molt sees it.
type Server struct {
	ID     int
	Name   string
	Region string
	Size   string
	// Disk is the size's disk in GB, which an image's min_disk_size must fit.
	Disk      int
	Status    string // new, active, off, archive
	CreatedAt time.Time
	Tags      []string
	PublicIP  string
	PrivateIP string
	VPCUUID   string
	Image     Version
	VolumeIDs []string
	// Features lists the droplet's enabled features (ipv6, monitoring, backups, ...).
	Features []string
	Locked   bool
	// Pool names the autoscale pool the droplet is a member of (PoolID is its ID), ""
	// for none: the pool makes and retires it, so molt never replaces it by hand. Set
	// by MarkMembers.
	Pool   string `json:",omitempty"`
	PoolID string `json:",omitempty"`

	// PriceHourly and PriceMonthly are the size's prices in US dollars as the API gives
	// them (0 when it gives none). A droplet bills whether it is on or off. They are
	// left out of JSON when zero, so that journals written before molt read prices
	// encode as they were.
	PriceHourly  float64 `json:"PriceHourly,omitempty"`
	PriceMonthly float64 `json:"PriceMonthly,omitempty"`
}

// Version is an image a server runs. Identity is the image ID; Name is its label.
type Version struct {
	ImageID      int
	Name         string
	CreatedAt    time.Time
	Distribution string
	Type         string // snapshot, backup, custom, base
	Regions      []string
	Tags         []string
	MinDiskSize  int
	Status       string
	// Semver is parsed from Name when it carries one (web-1.4.2 -> 1.4.2), else nil.
	Semver *Semver
}

// HasTag reports whether the server carries the tag.
func (s Server) HasTag(tag string) bool {
	for _, t := range s.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// TagValue returns the value of the first tag starting with prefix ("role:" on
// "role:web" gives "web"), and whether there was one.
func (s Server) TagValue(prefix string) (string, bool) { return tagValue(s.Tags, prefix) }

func tagValue(tags []string, prefix string) (string, bool) {
	for _, t := range tags {
		if v, ok := strings.CutPrefix(t, prefix); ok && v != "" {
			return v, true
		}
	}
	return "", false
}

// HasFeature reports whether the server has the feature enabled.
func (s Server) HasFeature(f string) bool {
	for _, x := range s.Features {
		if x == f {
			return true
		}
	}
	return false
}

// ServerFromDroplet converts a godo droplet. The image comes from the droplet's own
// image object, so a deleted image still shows.
func ServerFromDroplet(d *godo.Droplet) Server {
	s := Server{
		ID: d.ID, Name: d.Name, Size: d.SizeSlug, Disk: d.Disk, Status: d.Status, Tags: append([]string(nil), d.Tags...),
		VPCUUID: d.VPCUUID, VolumeIDs: append([]string(nil), d.VolumeIDs...), Features: append([]string(nil), d.Features...),
		Locked: d.Locked,
	}
	if d.Region != nil {
		s.Region = d.Region.Slug
	}
	if d.Size != nil {
		s.PriceHourly, s.PriceMonthly = d.Size.PriceHourly, d.Size.PriceMonthly
	}
	if t, err := time.Parse(time.RFC3339, d.Created); err == nil {
		s.CreatedAt = t
	}
	s.PublicIP, _ = d.PublicIPv4()
	s.PrivateIP, _ = d.PrivateIPv4()
	if d.Image != nil {
		s.Image = VersionFromImage(d.Image)
	}
	return s
}

// VersionFromImage converts a godo image.
func VersionFromImage(im *godo.Image) Version {
	v := Version{
		ImageID: im.ID, Name: im.Name, Distribution: im.Distribution, Type: im.Type,
		Regions: append([]string(nil), im.Regions...), Tags: append([]string(nil), im.Tags...),
		MinDiskSize: im.MinDiskSize, Status: im.Status,
	}
	if t, err := time.Parse(time.RFC3339, im.Created); err == nil {
		v.CreatedAt = t
	}
	v.Semver = ParseSemver(im.Name)
	return v
}
