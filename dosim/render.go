package dosim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// obj is a JSON object under construction; the simulator renders DigitalOcean's shapes by
// hand so that every field the API description requires is present, null where it says so.
type obj = map[string]any

const timeFormat = "2006-01-02T15:04:05Z"

func ts(t time.Time) string { return t.UTC().Format(timeFormat) }

func renderRegion(slug string) obj {
	r, ok := regions[slug]
	if !ok {
		r = Region{Slug: slug, Name: slug}
	}
	return obj{
		"slug":      r.Slug,
		"name":      r.Name,
		"sizes":     sortedKeys(sizes),
		"features":  []string{"backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"},
		"available": true,
	}
}

func renderSize(slug string) obj {
	s, ok := sizes[slug]
	if !ok {
		s = Size{Slug: slug, Memory: 1024, VCPUs: 1, Disk: 25, Price: 6}
	}
	return obj{
		"slug":          s.Slug,
		"memory":        s.Memory,
		"vcpus":         s.VCPUs,
		"disk":          s.Disk,
		"transfer":      float64(s.Memory) / 1024,
		"price_monthly": s.Price,
		"price_hourly":  s.Price / 730,
		"regions":       sortedKeys(regions),
		"available":     true,
		"description":   "Basic",
	}
}

func renderImage(im *Image) obj {
	o := obj{
		"id":             im.ID,
		"name":           im.Name,
		"type":           im.Type,
		"distribution":   im.Distro,
		"public":         im.Public,
		"regions":        nonNilStrings(im.Regions),
		"created_at":     ts(im.CreatedAt),
		"min_disk_size":  im.MinDiskSize,
		"size_gigabytes": im.SizeGB,
		"description":    im.Description,
		"tags":           nonNilStrings(im.Tags),
		"status":         im.Status,
		"error_message":  "",
	}
	if im.Slug != "" {
		o["slug"] = im.Slug
	} else {
		o["slug"] = nil
	}
	return o
}

// dropletJSON is a droplet as DigitalOcean sends it. It is a struct, not an obj, because
// listings render thousands of them: the encoder is several times faster on structs, and
// the parts shared by many droplets (image, size, region) arrive encoded already.
type dropletJSON struct {
	ID               int             `json:"id"`
	Name             string          `json:"name"`
	Memory           int             `json:"memory"`
	VCPUs            int             `json:"vcpus"`
	Disk             int             `json:"disk"`
	DiskInfo         []diskInfoJSON  `json:"disk_info"`
	Locked           bool            `json:"locked"`
	Status           string          `json:"status"`
	Kernel           any             `json:"kernel"`
	CreatedAt        string          `json:"created_at"`
	Features         []string        `json:"features"`
	BackupIDs        []int           `json:"backup_ids"`
	NextBackupWindow any             `json:"next_backup_window"`
	SnapshotIDs      []int           `json:"snapshot_ids"`
	Image            json.RawMessage `json:"image"`
	VolumeIDs        []string        `json:"volume_ids"`
	Size             json.RawMessage `json:"size"`
	SizeSlug         string          `json:"size_slug"`
	Networks         networksJSON    `json:"networks"`
	Region           json.RawMessage `json:"region"`
	Tags             []string        `json:"tags"`
	VPCUUID          string          `json:"vpc_uuid"`
}

type diskInfoJSON struct {
	Type string `json:"type"`
	Size struct {
		Amount int    `json:"amount"`
		Unit   string `json:"unit"`
	} `json:"size"`
}

type networksJSON struct {
	V4 []networkJSON `json:"v4"`
	V6 []networkJSON `json:"v6"`
}

type networkJSON struct {
	IPAddress string `json:"ip_address"`
	Netmask   any    `json:"netmask"` // a dotted mask for IPv4, a prefix length for IPv6
	Gateway   string `json:"gateway"`
	Type      string `json:"type"`
}

// dropletRenderer renders droplets for one response, encoding each image once.
type dropletRenderer struct {
	w      *world
	images map[int]json.RawMessage
}

func (w *world) dropletRenderer() *dropletRenderer {
	return &dropletRenderer{w: w, images: map[int]json.RawMessage{}}
}

// renderDroplet renders one droplet as DigitalOcean does.
func (w *world) renderDroplet(d *Droplet) *dropletJSON { return w.dropletRenderer().render(d) }

func (r *dropletRenderer) render(d *Droplet) *dropletJSON {
	size := sizes[d.Size]
	out := &dropletJSON{
		ID: d.ID, Name: d.Name, Memory: size.Memory, VCPUs: size.VCPUs, Disk: size.Disk,
		DiskInfo: []diskInfoJSON{{Type: "local"}}, Locked: r.w.locked(d.ID), Status: d.Status,
		CreatedAt: ts(d.CreatedAt), Features: dropletFeatures(d), BackupIDs: []int{},
		SnapshotIDs: nonNilInts(d.Snapshots), Image: r.image(d), VolumeIDs: nonNilStrings(d.VolumeIDs),
		Size: sizeJSON(d.Size), SizeSlug: d.Size, Networks: renderNetworks(d), Region: regionJSON(d.Region),
		Tags: nonNilStrings(d.Tags), VPCUUID: d.VPCUUID,
	}
	out.DiskInfo[0].Size.Amount, out.DiskInfo[0].Size.Unit = size.Disk, "gib"
	return out
}

// image encodes a droplet's image; one deleted since the droplet was built still shows,
// from what the droplet remembers of it.
func (r *dropletRenderer) image(d *Droplet) json.RawMessage {
	if b, ok := r.images[d.ImageID]; ok {
		return b
	}
	im, ok := r.w.Images[d.ImageID]
	if !ok {
		im = &Image{ID: d.ImageID, Name: "deleted-image-" + strconv.Itoa(d.ImageID), Type: "snapshot",
			Distro: "Unknown", Regions: []string{}, Status: "deleted", CreatedAt: d.CreatedAt}
	}
	b := mustJSON(renderImage(im))
	r.images[d.ImageID] = b
	return b
}

func dropletFeatures(d *Droplet) []string {
	features := []string{"private_networking"}
	if d.IPv6 {
		features = append(features, "ipv6")
	}
	if d.Monitoring {
		features = append(features, "monitoring")
	}
	if d.Backups {
		features = append(features, "backups")
	}
	return features
}

func renderNetworks(d *Droplet) networksJSON {
	n := networksJSON{V4: []networkJSON{}, V6: []networkJSON{}}
	if d.Status == "new" || d.PublicIP == "" {
		return n
	}
	n.V4 = append(n.V4,
		networkJSON{IPAddress: d.PrivateIP, Netmask: "255.255.0.0", Gateway: "0.0.0.0", Type: "private"},
		networkJSON{IPAddress: d.PublicIP, Netmask: "255.255.0.0", Gateway: "127.0.0.1", Type: "public"},
	)
	if d.IPv6 {
		n.V6 = append(n.V6, networkJSON{IPAddress: "2604:a880:400:d1::" + strconv.FormatInt(int64(d.ID%65536), 16),
			Netmask: 64, Gateway: "2604:a880:400:d1::1", Type: "public"})
	}
	return n
}

// Regions and sizes never change: their encodings are made once.
var (
	regionsJSON = map[string]json.RawMessage{}
	sizesJSON   = map[string]json.RawMessage{}
)

func init() {
	for slug := range regions {
		regionsJSON[slug] = mustJSON(renderRegion(slug))
	}
	for slug := range sizes {
		sizesJSON[slug] = mustJSON(renderSize(slug))
	}
}

func regionJSON(slug string) json.RawMessage {
	if b, ok := regionsJSON[slug]; ok {
		return b
	}
	return mustJSON(renderRegion(slug))
}

func sizeJSON(slug string) json.RawMessage {
	if b, ok := sizesJSON[slug]; ok {
		return b
	}
	return mustJSON(renderSize(slug))
}

// mustJSON encodes what the simulator renders itself (maps of plain values), which
// cannot fail to encode.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("dosim: encode %T: %v", v, err))
	}
	return b
}

func renderAction(a *Action) obj {
	var completed any
	if a.CompletedAt != nil {
		completed = ts(*a.CompletedAt)
	}
	o := obj{
		"id":            a.ID,
		"status":        a.Status,
		"type":          a.Type,
		"started_at":    ts(a.StartedAt),
		"completed_at":  completed,
		"resource_id":   a.ResourceID,
		"resource_type": a.ResourceType,
		"region_slug":   a.Region,
	}
	if a.ResourceID == 0 {
		o["resource_id"] = nil // resources with UUIDs, like volumes, have no numeric ID
	}
	if a.Region != "" {
		o["region"] = renderRegion(a.Region)
	} else {
		o["region"] = nil
	}
	return o
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilInts(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}
