package chaos

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/digitalocean/godo"
)

// Droplet is what the invariants need of a droplet.
type Droplet struct {
	ID      int
	Name    string
	Status  string
	ImageID int
	Region  string
	IP      string
	Tags    []string
}

// LB is a load balancer and the droplets it sends traffic to.
type LB struct {
	ID, Name, Tag string
	Members       []int
}

// World is the part of the account the invariants are about, read at one moment.
type World struct {
	Droplets []Droplet
	LBs      []LB
	// ReservedIPs maps each reserved IP to the droplet holding it (0: none).
	ReservedIPs map[string]int
	// Volumes maps each volume to the droplets it is attached to.
	Volumes map[string][]int
	// Healthy says which droplets answered /healthz with 200.
	Healthy map[int]bool
	// Images names the images by ID.
	Images map[int]string
}

// byName groups the droplets by name.
func (w World) byName() map[string][]Droplet {
	out := map[string][]Droplet{}
	for _, d := range w.Droplets {
		out[d.Name] = append(out[d.Name], d)
	}
	return out
}

// byID indexes the droplets by ID.
func (w World) byID() map[int]Droplet {
	out := make(map[int]Droplet, len(w.Droplets))
	for _, d := range w.Droplets {
		out[d.ID] = d
	}
	return out
}

// imageName names an image, or says its number.
func (w World) imageName(id int) string {
	if n, ok := w.Images[id]; ok {
		return n
	}
	return fmt.Sprintf("image %d", id)
}

// snapshot reads the world through godo and probes every active droplet's health.
// Call it with no fault rule in force.
func snapshot(ctx context.Context, c *godo.Client, healthPort int) (World, error) {
	w := World{ReservedIPs: map[string]int{}, Volumes: map[string][]int{}, Images: map[int]string{}}
	steps := []func(context.Context, *godo.Client, *World) error{readDroplets, readLBs, readReservedIPs, readVolumes, readImages}
	for _, step := range steps {
		if err := step(ctx, c, &w); err != nil {
			return w, err
		}
	}
	w.Healthy = probeAll(ctx, w.Droplets, healthPort)
	return w, nil
}

func readDroplets(ctx context.Context, c *godo.Client, w *World) error {
	opt := &godo.ListOptions{Page: 1, PerPage: 200}
	for {
		page, resp, err := c.Droplets.List(ctx, opt)
		if err != nil {
			return fmt.Errorf("list droplets: %w", err)
		}
		for _, d := range page {
			w.Droplets = append(w.Droplets, fromGodo(d))
		}
		if resp.Links == nil || resp.Links.IsLastPage() {
			return nil
		}
		opt.Page++
	}
}

func fromGodo(d godo.Droplet) Droplet {
	out := Droplet{ID: d.ID, Name: d.Name, Status: d.Status, Tags: slices.Clone(d.Tags)}
	if d.Image != nil {
		out.ImageID = d.Image.ID
	}
	if d.Region != nil {
		out.Region = d.Region.Slug
	}
	out.IP, _ = d.PublicIPv4()
	return out
}

func readLBs(ctx context.Context, c *godo.Client, w *World) error {
	lbs, _, err := c.LoadBalancers.List(ctx, &godo.ListOptions{PerPage: 200})
	if err != nil {
		return fmt.Errorf("list load balancers: %w", err)
	}
	for _, lb := range lbs {
		members := slices.Clone(lb.DropletIDs)
		slices.Sort(members)
		w.LBs = append(w.LBs, LB{ID: lb.ID, Name: lb.Name, Tag: lb.Tag, Members: members})
	}
	return nil
}

func readReservedIPs(ctx context.Context, c *godo.Client, w *World) error {
	ips, _, err := c.ReservedIPs.List(ctx, &godo.ListOptions{PerPage: 200})
	if err != nil {
		return fmt.Errorf("list reserved IPs: %w", err)
	}
	for _, ip := range ips {
		w.ReservedIPs[ip.IP] = 0
		if ip.Droplet != nil {
			w.ReservedIPs[ip.IP] = ip.Droplet.ID
		}
	}
	return nil
}

func readVolumes(ctx context.Context, c *godo.Client, w *World) error {
	vols, _, err := c.Storage.ListVolumes(ctx, &godo.ListVolumeParams{ListOptions: &godo.ListOptions{PerPage: 200}})
	if err != nil {
		return fmt.Errorf("list volumes: %w", err)
	}
	for _, v := range vols {
		ids := slices.Clone(v.DropletIDs)
		slices.Sort(ids)
		w.Volumes[v.ID] = ids
	}
	return nil
}

func readImages(ctx context.Context, c *godo.Client, w *World) error {
	ims, _, err := c.Images.ListUser(ctx, &godo.ListOptions{PerPage: 200})
	if err != nil {
		return fmt.Errorf("list images: %w", err)
	}
	for _, im := range ims {
		w.Images[im.ID] = im.Name
	}
	return nil
}

// probeClient asks droplets' health endpoints; no connection is kept, since droplets
// come and go.
var probeClient = &http.Client{
	Timeout:   time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// probe reports whether the droplet at ip answers /healthz with 200.
func probe(ctx context.Context, ip string, port int) bool {
	if ip == "" {
		return false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s:%d/healthz", ip, port), nil)
	if err != nil {
		return false
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// probeAll probes every active droplet at once; a droplet is unhealthy when three
// probes in a row fail, so that a loaded machine is not taken for a sick droplet.
func probeAll(ctx context.Context, ds []Droplet, port int) map[int]bool {
	out := make(map[int]bool, len(ds))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, d := range ds {
		if d.Status != "active" {
			continue
		}
		wg.Go(func() {
			ok := false
			for range 3 {
				if ok = probe(ctx, d.IP, port); ok {
					break
				}
			}
			mu.Lock()
			out[d.ID] = ok
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// newClient is a godo client of the harness's own for the simulator at url: no
// retries, the bearer token on every request.
func newClient(url, token string) (*godo.Client, error) {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: bearer{token: token, next: http.DefaultTransport}}
	return godo.New(hc, godo.SetBaseURL(url+"/"))
}

// bearer adds the token to each request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}
