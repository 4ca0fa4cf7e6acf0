package dosim

import (
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

// renderDroplet needs the world for the droplet's image; an image deleted since the
// droplet was built still shows, from what the droplet remembers of it.
func (w *world) renderDroplet(d *Droplet) obj {
	size := sizes[d.Size]
	var image obj
	if im, ok := w.Images[d.ImageID]; ok {
		image = renderImage(im)
	} else {
		image = renderImage(&Image{ID: d.ImageID, Name: "deleted-image-" + strconv.Itoa(d.ImageID), Type: "snapshot", Distro: "Unknown", Regions: []string{}, Status: "deleted", CreatedAt: d.CreatedAt})
	}
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
	return obj{
		"id":                 d.ID,
		"name":               d.Name,
		"memory":             size.Memory,
		"vcpus":              size.VCPUs,
		"disk":               size.Disk,
		"disk_info":          []obj{{"type": "local", "size": obj{"amount": size.Disk, "unit": "gib"}}},
		"locked":             w.locked(d.ID),
		"status":             d.Status,
		"kernel":             nil,
		"created_at":         ts(d.CreatedAt),
		"features":           features,
		"backup_ids":         []int{},
		"next_backup_window": nil,
		"snapshot_ids":       nonNilInts(d.Snapshots),
		"image":              image,
		"volume_ids":         nonNilStrings(d.VolumeIDs),
		"size":               renderSize(d.Size),
		"size_slug":          d.Size,
		"networks":           renderNetworks(d),
		"region":             renderRegion(d.Region),
		"tags":               nonNilStrings(d.Tags),
		"vpc_uuid":           d.VPCUUID,
	}
}

func renderNetworks(d *Droplet) obj {
	v4 := []obj{}
	v6 := []obj{}
	if d.Status != "new" && d.PublicIP != "" {
		v4 = append(v4,
			obj{"ip_address": d.PrivateIP, "netmask": "255.255.0.0", "gateway": "0.0.0.0", "type": "private"},
			obj{"ip_address": d.PublicIP, "netmask": "255.255.0.0", "gateway": "127.0.0.1", "type": "public"},
		)
		if d.IPv6 {
			v6 = append(v6, obj{"ip_address": "2604:a880:400:d1::" + strconv.FormatInt(int64(d.ID%65536), 16), "netmask": 64, "gateway": "2604:a880:400:d1::1", "type": "public"})
		}
	}
	return obj{"v4": v4, "v6": v6}
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
