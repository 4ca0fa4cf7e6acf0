package fleet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	json "github.com/goccy/go-json"
)

// The wire types hold only what molt reads of a droplet: a page of 200 droplets is about
// 280 kB of JSON, most of it sizes, regions, kernels and disk details that molt never
// shows. Decoding into these instead of godo.Droplet skips that work (docs/performance.md
// has the figures and why the decoder is goccy/go-json).

// wirePage is one page of GET /v2/droplets.
type wirePage struct {
	Droplets []wireDroplet `json:"droplets"`
	Meta     *struct {
		Total int `json:"total"`
	} `json:"meta"`
}

// wireOne is the answer of GET /v2/droplets/{id}.
type wireOne struct {
	Droplet *wireDroplet `json:"droplet"`
}

// wireDroplet is a droplet, slim.
type wireDroplet struct {
	ID        int          `json:"id"`
	Name      string       `json:"name"`
	Disk      int          `json:"disk"`
	Locked    bool         `json:"locked"`
	Status    string       `json:"status"`
	Created   string       `json:"created_at"`
	Features  []string     `json:"features"`
	Image     *wireImage   `json:"image"`
	VolumeIDs []string     `json:"volume_ids"`
	SizeSlug  string       `json:"size_slug"`
	Size      wireSize     `json:"size"` // a value: no allocation per droplet
	Networks  *wireNetwork `json:"networks"`
	Region    *struct {
		Slug string `json:"slug"`
	} `json:"region"`
	Tags    []string `json:"tags"`
	VPCUUID string   `json:"vpc_uuid"`
}

// wireImage is a droplet's image, slim.
type wireImage struct {
	ID           int      `json:"id"`
	Name         string   `json:"name"`
	Created      string   `json:"created_at"`
	Distribution string   `json:"distribution"`
	Type         string   `json:"type"`
	Regions      []string `json:"regions"`
	Tags         []string `json:"tags"`
	MinDiskSize  int      `json:"min_disk_size"`
	Status       string   `json:"status"`
}

// wireSize is a droplet's size, slim: its prices as the API gives them, which molt's cost
// figures use (it never hard-codes a price).
type wireSize struct {
	PriceHourly  float64 `json:"price_hourly"`
	PriceMonthly float64 `json:"price_monthly"`
}

// wireNetwork is a droplet's addresses; molt reads the first public and private IPv4.
type wireNetwork struct {
	V4 []struct {
		IPAddress string `json:"ip_address"`
		Type      string `json:"type"`
	} `json:"v4"`
}

// unmarshal is the JSON decoder of droplet pages, chosen by BenchmarkDecodePage.
var unmarshal = json.Unmarshal

// imageCache keeps the Version of each image seen in one read, so that an image's fields
// are converted and its semver parsed once per read rather than once per droplet. Every
// server on the image shares the Version's slices.
type imageCache struct {
	mu sync.Mutex
	m  map[int]Version
}

func newImageCache() *imageCache { return &imageCache{m: map[int]Version{}} }

// get returns the image's Version, converting im on first sight.
func (c *imageCache) get(im *wireImage) Version {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[im.ID]; ok {
		return v
	}
	v := Version{ImageID: im.ID, Name: im.Name, Distribution: im.Distribution, Type: im.Type,
		Regions: nonEmpty(im.Regions), Tags: nonEmpty(im.Tags), MinDiskSize: im.MinDiskSize, Status: im.Status,
		CreatedAt: parseTime(im.Created), Semver: ParseSemver(im.Name)}
	c.m[im.ID] = v
	return v
}

// converter turns wire droplets into Servers for one worker: it interns the strings that
// repeat across a fleet (regions, sizes, statuses, tags) so that 50,000 servers share a
// few hundred of them, and asks the read's image cache only once per image per page.
type converter struct {
	images *imageCache
	local  map[int]Version
	intern map[string]string
}

func newConverter(images *imageCache) *converter {
	return &converter{images: images, local: map[int]Version{}, intern: map[string]string{}}
}

// servers converts a page into out, which must have room for every droplet of it.
func (c *converter) servers(ds []wireDroplet, out []Server) {
	for i := range ds {
		c.server(&ds[i], &out[i])
	}
}

func (c *converter) server(d *wireDroplet, s *Server) {
	*s = Server{ID: d.ID, Name: d.Name, Disk: d.Disk, Locked: d.Locked, Status: c.str(d.Status),
		Size: c.str(d.SizeSlug), VPCUUID: c.str(d.VPCUUID), CreatedAt: parseTime(d.Created),
		Tags: c.strs(d.Tags), Features: c.strs(d.Features), VolumeIDs: nonEmpty(d.VolumeIDs)}
	if d.Region != nil {
		s.Region = c.str(d.Region.Slug)
	}
	s.PriceHourly, s.PriceMonthly = d.Size.PriceHourly, d.Size.PriceMonthly
	if d.Networks != nil {
		s.PublicIP, s.PrivateIP = firstIPv4(d.Networks, "public"), firstIPv4(d.Networks, "private")
	}
	if d.Image != nil {
		s.Image = c.image(d.Image)
	}
}

func (c *converter) image(im *wireImage) Version {
	if v, ok := c.local[im.ID]; ok {
		return v
	}
	v := c.images.get(im)
	c.local[im.ID] = v
	return v
}

// str interns s.
func (c *converter) str(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := c.intern[s]; ok {
		return v
	}
	c.intern[s] = s
	return s
}

// strs interns the elements of ss in place; an empty list becomes nil, as godo's
// conversion left it.
func (c *converter) strs(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	for i, s := range ss {
		ss[i] = c.str(s)
	}
	return ss
}

func nonEmpty(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return ss
}

func firstIPv4(n *wireNetwork, kind string) string {
	for _, v4 := range n.V4 {
		if v4.Type == kind {
			return v4.IPAddress
		}
	}
	return ""
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// bufs holds the buffers pages are read into: a page of 200 droplets is about 280 kB.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// body is where godo copies an answer's body. It takes a decoding slot before it takes a
// buffer, so that of the pages arriving together only a few at a time are held in memory
// and decoded; the others wait in the connection's socket buffer, outside the heap.
type body struct {
	ctx   context.Context
	slots chan struct{} // nil: no bound
	hint  int
	buf   *bytes.Buffer
}

// ReadFrom is what io.Copy calls: it reads the whole body into the buffer.
func (b *body) ReadFrom(r io.Reader) (int64, error) {
	if err := b.take(); err != nil {
		return 0, err
	}
	return b.buf.ReadFrom(r)
}

// Write appends p, for writers that do not use ReadFrom.
func (b *body) Write(p []byte) (int, error) {
	if err := b.take(); err != nil {
		return 0, err
	}
	return b.buf.Write(p)
}

func (b *body) take() error {
	if b.buf != nil {
		return nil
	}
	if b.slots != nil {
		select {
		case b.slots <- struct{}{}:
		case <-b.ctx.Done():
			return b.ctx.Err()
		}
	}
	b.buf = bufs.Get().(*bytes.Buffer)
	b.buf.Reset()
	b.buf.Grow(b.hint)
	return nil
}

func (b *body) bytes() []byte {
	if b.buf == nil {
		return nil
	}
	return b.buf.Bytes()
}

// release gives back the buffer and the slot.
func (b *body) release() {
	if b.buf == nil {
		return
	}
	bufs.Put(b.buf)
	b.buf = nil
	if b.slots != nil {
		<-b.slots
	}
}

// getJSON GETs path through godo (so auth, the limiter, rate headers and godo's error
// decoding all apply as to any other call) and decodes the body into v with the chosen
// decoder rather than godo's encoding/json, then calls use (if not nil) while it still
// holds the decoding slot. slots bounds the bodies held and decoded at once (nil: no
// bound); sizeHint, when known, is about the body's size, so that the buffer is grown to
// it at once instead of doubling its way there. It returns the body's size.
func getJSON(ctx context.Context, c *godo.Client, path string, v any, slots chan struct{}, sizeHint int, use func() error) (*godo.Response, int, error) {
	req, err := c.NewRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, 0, err
	}
	b := &body{ctx: ctx, slots: slots, hint: sizeHint}
	defer b.release()
	resp, err := c.Do(ctx, req, b)
	if err != nil {
		return resp, 0, err
	}
	data := b.bytes()
	if err := unmarshal(data, v); err != nil {
		return resp, 0, fmt.Errorf("decode %s: %w", req.URL.Path, err)
	}
	if use != nil {
		err = use()
	}
	return resp, len(data), err
}

// dropletsPath is the path of page n of the droplet list, filtered by tag when one is set.
func dropletsPath(tag string, n, perPage int) string {
	q := url.Values{"page": {strconv.Itoa(n)}, "per_page": {strconv.Itoa(perPage)}}
	if tag != "" {
		q.Set("tag_name", tag)
	}
	return "v2/droplets?" + q.Encode()
}
