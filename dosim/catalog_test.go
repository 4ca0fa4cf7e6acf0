package dosim_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// allSizes and allRegions page through the catalogue with godo, five at a time.
func allSizes(t *testing.T, env *dosimtest.Env) map[string]godo.Size {
	t.Helper()
	out := map[string]godo.Size{}
	for opt := (&godo.ListOptions{Page: 1, PerPage: 5}); ; opt.Page++ {
		page, resp, err := env.Client.Sizes.List(context.Background(), opt)
		wantCode(t, "list sizes", resp, err, http.StatusOK)
		for _, s := range page {
			out[s.Slug] = s
		}
		if resp.Links.IsLastPage() {
			return out
		}
	}
}

func allRegions(t *testing.T, env *dosimtest.Env) map[string]godo.Region {
	t.Helper()
	out := map[string]godo.Region{}
	for opt := (&godo.ListOptions{Page: 1, PerPage: 5}); ; opt.Page++ {
		page, resp, err := env.Client.Regions.List(context.Background(), opt)
		wantCode(t, "list regions", resp, err, http.StatusOK)
		for _, r := range page {
			out[r.Slug] = r
		}
		if resp.Links.IsLastPage() {
			return out
		}
	}
}

func TestSizes(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	got := allSizes(t, env)
	cases := []struct {
		slug, family              string
		vcpus, memory, disk       int
		transfer, monthly, hourly float64
	}{
		{"s-1vcpu-1gb", "Basic", 1, 1024, 25, 1, 6, 0.00893},
		{"s-8vcpu-16gb", "Basic", 8, 16384, 320, 6, 96, 0.14286},
		{"g-2vcpu-8gb", "General Purpose", 2, 8192, 25, 4, 63, 0.09375},
		{"c-2", "CPU-Optimized", 2, 4096, 25, 4, 42, 0.0625},
		{"m-2vcpu-16gb", "Memory-Optimized", 2, 16384, 50, 4, 84, 0.125},
		{"so-2vcpu-16gb", "Storage-Optimized", 2, 16384, 300, 4, 131, 0.19494},
	}
	for _, c := range cases {
		s, ok := got[c.slug]
		if !ok {
			t.Errorf("%s is missing", c.slug)
			continue
		}
		if s.Description != c.family || s.Vcpus != c.vcpus || s.Memory != c.memory || s.Disk != c.disk ||
			s.Transfer != c.transfer || s.PriceMonthly != c.monthly || s.PriceHourly != c.hourly || !s.Available {
			t.Errorf("%s: %+v", c.slug, s)
		}
		if len(s.DiskInfo) != 1 || s.DiskInfo[0].Type != "local" || s.DiskInfo[0].Size.Amount != c.disk || s.GPUInfo != nil {
			t.Errorf("%s: disk_info %+v, gpu_info %+v", c.slug, s.DiskInfo, s.GPUInfo)
		}
	}
	for slug, s := range got {
		if s.GPUInfo == nil && math.Abs(s.PriceHourly-s.PriceMonthly/672) > 0.000006 {
			t.Errorf("%s: hourly %v is not monthly %v over 672 hours", slug, s.PriceHourly, s.PriceMonthly)
		}
	}
	gpu := got["gpu-h100x1-80gb"]
	if gpu.GPUInfo == nil || gpu.GPUInfo.Count != 1 || gpu.GPUInfo.Model != "nvidia_h100" || gpu.PriceHourly != 3.39 ||
		len(gpu.DiskInfo) != 2 || len(gpu.Regions) != 2 {
		t.Errorf("the H100 plan: %+v, gpu %+v", gpu, gpu.GPUInfo)
	}
	if len(got) < 40 {
		t.Errorf("%d sizes, want the standard families", len(got))
	}
}

func TestRegions(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	got := allRegions(t, env)
	for _, slug := range []string{"nyc1", "nyc3", "sfo2", "sfo3", "ams3", "sgp1", "lon1", "fra1", "tor1", "blr1", "syd1", "atl1"} {
		r, ok := got[slug]
		if !ok || !r.Available || r.Name == "" || len(r.Features) == 0 || len(r.Sizes) < 40 {
			t.Errorf("region %s: %+v", slug, r)
		}
	}
	if hasTag(got["nyc3"].Sizes, "gpu-h100x1-80gb") || !hasTag(got["tor1"].Sizes, "gpu-h100x1-80gb") {
		t.Errorf("GPU plans are in tor1 and atl1 only: nyc3 %v", got["nyc3"].Sizes)
	}
}

// TestCreateFromTheCatalogue creates droplets with real slugs, and is refused a size
// the region does not have.
func TestCreateFromTheCatalogue(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	for _, c := range []struct{ region, size, image string }{
		{"tor1", "s-8vcpu-16gb", "ubuntu-24-04-x64"},
		{"ams3", "c-2", "debian-13-x64"},
		{"nyc", "s-1vcpu-1gb", "rockylinux-9-x64"}, // a prefix: any New York datacenter
	} {
		d := create(t, env, &godo.DropletCreateRequest{Name: "cat-" + c.region, Region: c.region, Size: c.size,
			Image: godo.DropletCreateImage{Slug: c.image}})
		if d.SizeSlug != c.size || d.Image.Slug != c.image || d.VPCUUID == "" {
			t.Errorf("%+v: got size %s, image %s, vpc %q", c, d.SizeSlug, d.Image.Slug, d.VPCUUID)
		}
	}
	_, _, err := env.Client.Droplets.Create(ctx, &godo.DropletCreateRequest{Name: "gpu", Region: "nyc3", Size: "gpu-h100x1-80gb",
		Image: godo.DropletCreateImage{Slug: "ubuntu-24-04-x64"}})
	if er := wantStatus(t, err, http.StatusUnprocessableEntity); er.Message != "Size gpu-h100x1-80gb is not available in region nyc3." {
		t.Errorf("a size the region lacks: %q", er.Message)
	}
}

func TestGPUDropletsListApart(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	cpu := createIn(t, env, "cpu-1", "tor1", "ml")
	gpu := create(t, env, &godo.DropletCreateRequest{Name: "gpu-1", Region: "tor1", Size: "gpu-h100x1-80gb",
		Image: godo.DropletCreateImage{Slug: "ubuntu-24-04-x64"}, Tags: []string{"ml"}})
	if gpu.Size == nil || gpu.Size.GPUInfo == nil || gpu.Size.GPUInfo.Count != 1 || gpu.Vcpus != 20 {
		t.Errorf("a GPU droplet's size shows no GPU: %+v", gpu.Size)
	}
	_, body := raw(t, env, http.MethodGet, "/v2/droplets/"+strconv.Itoa(gpu.ID), "", nil)
	var wire struct {
		Droplet struct {
			GPUInfo  *struct{ Count int }    `json:"gpu_info"`
			DiskInfo []struct{ Type string } `json:"disk_info"`
		} `json:"droplet"`
	}
	if err := json.Unmarshal(body, &wire); err != nil || wire.Droplet.GPUInfo == nil || len(wire.Droplet.DiskInfo) != 2 {
		t.Errorf("a GPU droplet shows gpu_info %+v and disk_info %+v (%v)", wire.Droplet.GPUInfo, wire.Droplet.DiskInfo, err)
	}
	for _, c := range []struct {
		query string
		want  []int
	}{
		{"", []int{cpu.ID}},
		{"?type=droplets", []int{cpu.ID}},
		{"?type=gpus", []int{gpu.ID}},
		{"?tag_name=ml", []int{cpu.ID, gpu.ID}},
	} {
		var got []int
		for _, d := range rawList(t, env, c.query).Droplets {
			got = append(got, idOf(t, d))
		}
		if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) {
			t.Errorf("GET /v2/droplets%s: %v, want %v", c.query, got, c.want)
		}
	}
	for _, bad := range []struct {
		query  string
		status int
	}{{"?tag_name=ml&type=gpus", 422}, {"?tag_name=ml&type=droplets", 422}, {"?type=tpus", 400}} {
		status, _, _, _ := call(t, env, http.MethodGet, "/v2/droplets"+bad.query, nil)
		if status != bad.status {
			t.Errorf("GET /v2/droplets%s: %d, want %d", bad.query, status, bad.status)
		}
	}
	named, _, err := env.Client.Droplets.ListByName(ctx, "CPU-1", nil)
	if err != nil || len(named) != 1 {
		t.Errorf("name matches case-insensitively: %d, %v", len(named), err)
	}
}

// idOf reads the id of a droplet as it travels on the wire.
func idOf(t *testing.T, raw []byte) int {
	t.Helper()
	var d struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d.ID
}
