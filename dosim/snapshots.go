package dosim

import (
	"net/http"
	"strconv"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/snapshots", s.listSnapshots)
		api("GET /v2/snapshots/{id}", s.getSnapshot)
		api("DELETE /v2/snapshots/{id}", s.deleteSnapshot)
	})
}

// The simulator keeps droplet snapshots only: they are the images of type "snapshot".
// Volume snapshots would be listed under resource_type=volume, and there are none.

func isSnapshot(im *Image) bool { return im.Type == "snapshot" }

// snapshotSource is the droplet a snapshot was taken from. The seed's snapshots were
// taken from build droplets that no longer exist; they get a stable ID below the range
// live droplets use, so that it can never name one of them.
func snapshotSource(im *Image) string {
	if im.SourceDroplet != 0 {
		return strconv.Itoa(im.SourceDroplet)
	}
	return strconv.Itoa(200000000 + im.ID%100000000)
}

func renderSnapshot(im *Image) obj {
	return obj{
		"id":             strconv.Itoa(im.ID),
		"name":           im.Name,
		"created_at":     ts(im.CreatedAt),
		"regions":        nonNilStrings(im.Regions),
		"min_disk_size":  im.MinDiskSize,
		"size_gigabytes": im.SizeGB,
		"resource_id":    snapshotSource(im),
		"resource_type":  "droplet",
		"tags":           nonNilStrings(im.Tags),
	}
}

func (s *Sim) listSnapshots(r *http.Request, _ *reqInfo) (int, any) {
	var list []*Image
	switch r.URL.Query().Get("resource_type") {
	case "", "droplet":
		list = s.w.sortedImages(isSnapshot)
	case "volume":
	default:
		return badRequest("resource_type must be droplet or volume")
	}
	return s.listing(r, "snapshots", len(list), func(i int) any { return renderSnapshot(list[i]) })
}

// snapshot finds a droplet snapshot by its ID, which this API spells as a string.
func (s *Sim) snapshot(r *http.Request) (*Image, bool) {
	id, ok := pathInt(r, "id")
	if !ok {
		return nil, false
	}
	im, ok := s.w.Images[id]
	if !ok || !isSnapshot(im) {
		return nil, false
	}
	return im, true
}

func (s *Sim) getSnapshot(r *http.Request, _ *reqInfo) (int, any) {
	im, ok := s.snapshot(r)
	if !ok {
		return notFound()
	}
	return http.StatusOK, obj{"snapshot": renderSnapshot(im)}
}

func (s *Sim) deleteSnapshot(r *http.Request, _ *reqInfo) (int, any) {
	im, ok := s.snapshot(r)
	if !ok {
		return notFound()
	}
	s.removeImage(im)
	return http.StatusNoContent, nil
}
