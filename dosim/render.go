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
	dropletThin
	Image  json.RawMessage `json:"image"`
	Size   json.RawMessage `json:"size"`
	Region json.RawMessage `json:"region"`
}

// dropletThin is a droplet without the parts many droplets share (image, size, region),
// which a page of droplets splices in already encoded (page.go).
type dropletThin struct {
	ID               int           `json:"id"`
	Name             string        `json:"name"`
	Memory           int           `json:"memory"`
	VCPUs            int           `json:"vcpus"`
	Disk             int           `json:"disk"`
	DiskInfo         []diskInfo    `json:"disk_info"`
	Locked           bool          `json:"locked"`
	Status           string        `json:"status"`
	Kernel           *Kernel       `json:"kernel"`
	CreatedAt        string        `json:"created_at"`
	Features         []string      `json:"features"`
	BackupIDs        []int         `json:"backup_ids"`
	NextBackupWindow *backupWindow `json:"next_backup_window"`
	SnapshotIDs      []int         `json:"snapshot_ids"`
	VolumeIDs        []string      `json:"volume_ids"`
	SizeSlug         string        `json:"size_slug"`
	Networks         networksJSON  `json:"networks"`
	Tags             []string      `json:"tags"`
	VPCUUID          string        `json:"vpc_uuid"`
	SubnetUUID       string        `json:"subnet_uuid,omitempty"`
	GPUInfo          *gpuInfoJSON  `json:"gpu_info,omitempty"`
}

// backupWindow is when a droplet's next backup starts, as next_backup_window says it.
type backupWindow struct {
	Start string `json:"start"`
	End   string `json:"end"`
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
	return &dropletJSON{dropletThin: r.thin(d), Image: r.image(d), Size: sizeJSON(d.Size), Region: regionJSON(d.Region)}
}

func (r *dropletRenderer) thin(d *Droplet) dropletThin {
	size := sizes[d.Size]
	out := dropletThin{
		ID: d.ID, Name: d.Name, Memory: size.Memory, VCPUs: size.VCPUs, Disk: d.disk(),
		DiskInfo: size.diskInfo(), Locked: r.w.locked(d.ID), Status: d.Status, Kernel: d.Kernel,
		CreatedAt: ts(d.CreatedAt), Features: dropletFeatures(d), BackupIDs: nonNilInts(d.BackupIDs),
		NextBackupWindow: r.w.nextBackupWindow(d), SnapshotIDs: nonNilInts(d.Snapshots),
		VolumeIDs: nonNilStrings(d.VolumeIDs), SizeSlug: d.Size, Networks: renderNetworks(d),
		Tags: nonNilStrings(d.Tags), VPCUUID: d.VPCUUID, SubnetUUID: subnetOf(d.VPCUUID), GPUInfo: size.gpuInfo(),
	}
	if d.Disk > 0 && d.Disk != size.Disk {
		out.DiskInfo = []diskInfo{{"local", amountJ{d.Disk, "gib"}}}
	}
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

// mustJSON encodes what the simulator renders itself (maps of plain values), which
// cannot fail to encode.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("dosim: encode %T: %v", v, err))
	}
	return b
}

// actionJSON is an action as DigitalOcean sends it, but for its region, which a page
// splices in already encoded.
type actionJSON struct {
	ID           int     `json:"id"`
	Status       string  `json:"status"`
	Type         string  `json:"type"`
	StartedAt    string  `json:"started_at"`
	CompletedAt  *string `json:"completed_at"`
	ResourceID   *int    `json:"resource_id"` // null for resources with UUIDs, like volumes
	ResourceType string  `json:"resource_type"`
	RegionSlug   string  `json:"region_slug"`
}

func thinAction(a *Action) actionJSON {
	out := actionJSON{ID: a.ID, Status: a.Status, Type: a.Type, StartedAt: ts(a.StartedAt),
		ResourceType: a.ResourceType, RegionSlug: a.Region}
	if a.CompletedAt != nil {
		c := ts(*a.CompletedAt)
		out.CompletedAt = &c
	}
	if a.ResourceID != 0 {
		id := a.ResourceID
		out.ResourceID = &id
	}
	return out
}

// actionRegion is an action's region object, or null.
func actionRegion(a *Action) json.RawMessage {
	if a.Region == "" {
		return json.RawMessage("null")
	}
	return regionJSON(a.Region)
}

func renderAction(a *Action) any {
	return struct {
		actionJSON
		Region json.RawMessage `json:"region"`
	}{thinAction(a), actionRegion(a)}
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
