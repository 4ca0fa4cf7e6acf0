package dosim

import (
	"math"
	"sort"
)

// The catalogue: DigitalOcean's current regions, its standard Droplet plans and its
// public distribution images, from the figures DigitalOcean publishes (docs/dosim.md
// cites the pages). It never changes while a simulator runs.

// Region is a DigitalOcean datacenter region.
type Region struct {
	Slug string
	Name string
}

// regionList is every current region, in the order DigitalOcean lists them.
var regionList = []Region{
	{"nyc1", "New York 1"}, {"nyc3", "New York 3"}, {"sfo2", "San Francisco 2"}, {"sfo3", "San Francisco 3"},
	{"ams3", "Amsterdam 3"}, {"sgp1", "Singapore 1"}, {"lon1", "London 1"}, {"fra1", "Frankfurt 1"},
	{"tor1", "Toronto 1"}, {"blr1", "Bangalore 1"}, {"syd1", "Sydney 1"}, {"atl1", "Atlanta 1"},
}

// regionFeatures are the features every current region offers.
var regionFeatures = []string{"backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"}

// gpuRegions are the regions with GPU Droplets among the current ones.
var gpuRegions = []string{"tor1", "atl1"}

// Size is a Droplet plan.
type Size struct {
	Slug        string
	Description string // Basic, General Purpose, CPU-Optimized, Memory-Optimized, Storage-Optimized, GPU
	Memory      int    // MiB
	VCPUs       int
	Disk        int     // GiB, the boot disk
	Transfer    float64 // TiB of outbound transfer a month
	Monthly     float64 // US dollars for a whole month
	// Hourly, when set, is the published hourly price; otherwise Monthly/672.
	Hourly float64
	// Scratch is a GPU plan's scratch disk in GiB; GPUs, GPUModel and VRAM its GPUs.
	Scratch  int
	GPUs     int
	GPUModel string
	VRAM     int // GiB, all GPUs together
	// Regions, when set, are the only regions with the plan; otherwise all have it.
	Regions []string
}

// billedHours is the monthly cap of DigitalOcean's hourly billing: 672 hours (four
// weeks), so an hourly price is the monthly one over 672, not over 730.
const billedHours = 672

// PriceHourly is the hourly price as the API reports it, to five decimals.
func (s Size) PriceHourly() float64 {
	if s.Hourly > 0 {
		return s.Hourly
	}
	return math.Round(s.Monthly/billedHours*1e5) / 1e5
}

// inRegion reports whether the plan can be created in region.
func (s Size) inRegion(region string) bool {
	if s.Regions == nil {
		_, ok := regions[region]
		return ok
	}
	return hasString(s.Regions, region)
}

// isGPU reports whether the plan has GPUs: its Droplets list under type=gpus.
func (s Size) isGPU() bool { return s.GPUs > 0 }

func gib(n int) int { return n * 1024 }

// basic builds a shared-CPU plan; dedicated builds a dedicated-CPU one.
func basic(slug string, mem, vcpus, disk int, tb, monthly float64) Size {
	return Size{Slug: slug, Description: "Basic", Memory: mem, VCPUs: vcpus, Disk: disk, Transfer: tb, Monthly: monthly}
}

func dedicated(family, slug string, memGiB, vcpus, disk int, tb, monthly float64) Size {
	return Size{Slug: slug, Description: family, Memory: gib(memGiB), VCPUs: vcpus, Disk: disk, Transfer: tb, Monthly: monthly}
}

// sizeList is the catalogue of plans, cheapest first within each family.
var sizeList = []Size{
	basic("s-1vcpu-512mb-10gb", 512, 1, 10, 0.5, 4),
	basic("s-1vcpu-1gb", 1024, 1, 25, 1, 6),
	basic("s-1vcpu-2gb", 2048, 1, 50, 2, 12),
	basic("s-2vcpu-2gb", 2048, 2, 60, 3, 18),
	basic("s-2vcpu-4gb", 4096, 2, 80, 4, 24),
	basic("s-4vcpu-8gb", 8192, 4, 160, 5, 48),
	basic("s-8vcpu-16gb", 16384, 8, 320, 6, 96),
	basic("s-1vcpu-1gb-amd", 1024, 1, 25, 1, 7),
	basic("s-1vcpu-2gb-amd", 2048, 1, 50, 2, 14),
	basic("s-2vcpu-2gb-amd", 2048, 2, 60, 3, 21),
	basic("s-2vcpu-4gb-amd", 4096, 2, 80, 4, 28),
	basic("s-2vcpu-8gb-amd", 8192, 2, 100, 5, 42),
	basic("s-4vcpu-8gb-amd", 8192, 4, 160, 5, 56),
	basic("s-4vcpu-16gb-amd", 16384, 4, 200, 6, 84),
	basic("s-8vcpu-16gb-amd", 16384, 8, 320, 6, 112),
	basic("s-8vcpu-32gb-amd", 32768, 8, 400, 8, 168),
	basic("s-1vcpu-1gb-intel", 1024, 1, 35, 1, 8),
	basic("s-1vcpu-2gb-intel", 2048, 1, 70, 2, 16),
	basic("s-2vcpu-2gb-intel", 2048, 2, 90, 3, 24),
	basic("s-2vcpu-4gb-intel", 4096, 2, 120, 4, 32),
	basic("s-2vcpu-8gb-intel", 8192, 2, 160, 5, 48),
	basic("s-4vcpu-8gb-intel", 8192, 4, 240, 5, 64),
	basic("s-4vcpu-16gb-intel", 16384, 4, 320, 6, 96),
	basic("s-8vcpu-16gb-intel", 16384, 8, 480, 6, 128),
	basic("s-8vcpu-32gb-intel", 32768, 8, 640, 8, 192),
	dedicated("General Purpose", "g-2vcpu-8gb", 8, 2, 25, 4, 63),
	dedicated("General Purpose", "g-4vcpu-16gb", 16, 4, 50, 5, 126),
	dedicated("General Purpose", "g-8vcpu-32gb", 32, 8, 100, 6, 252),
	dedicated("General Purpose", "g-16vcpu-64gb", 64, 16, 200, 7, 504),
	dedicated("General Purpose", "g-32vcpu-128gb", 128, 32, 400, 8, 1008),
	dedicated("General Purpose", "g-40vcpu-160gb", 160, 40, 500, 9, 1260),
	dedicated("CPU-Optimized", "c-2", 4, 2, 25, 4, 42),
	dedicated("CPU-Optimized", "c-4", 8, 4, 50, 5, 84),
	dedicated("CPU-Optimized", "c-8", 16, 8, 100, 6, 168),
	dedicated("CPU-Optimized", "c-16", 32, 16, 200, 7, 336),
	dedicated("CPU-Optimized", "c-32", 64, 32, 400, 9, 672),
	dedicated("CPU-Optimized", "c-48", 96, 48, 600, 11, 1008),
	dedicated("Memory-Optimized", "m-2vcpu-16gb", 16, 2, 50, 4, 84),
	dedicated("Memory-Optimized", "m-4vcpu-32gb", 32, 4, 100, 6, 168),
	dedicated("Memory-Optimized", "m-8vcpu-64gb", 64, 8, 200, 7, 336),
	dedicated("Memory-Optimized", "m-16vcpu-128gb", 128, 16, 400, 8, 672),
	dedicated("Memory-Optimized", "m-24vcpu-192gb", 192, 24, 600, 9, 1008),
	dedicated("Memory-Optimized", "m-32vcpu-256gb", 256, 32, 800, 10, 1344),
	dedicated("Storage-Optimized", "so-2vcpu-16gb", 16, 2, 300, 4, 131),
	dedicated("Storage-Optimized", "so-4vcpu-32gb", 32, 4, 600, 6, 262),
	dedicated("Storage-Optimized", "so-8vcpu-64gb", 64, 8, 1200, 7, 524),
	dedicated("Storage-Optimized", "so-16vcpu-128gb", 128, 16, 2400, 8, 1048),
	dedicated("Storage-Optimized", "so-24vcpu-192gb", 192, 24, 3600, 9, 1572),
	dedicated("Storage-Optimized", "so-32vcpu-256gb", 256, 32, 4800, 10, 2096),
	{Slug: "gpu-h100x1-80gb", Description: "GPU", Memory: gib(240), VCPUs: 20, Disk: 720, Scratch: 5120,
		Transfer: 15, Hourly: 3.39, Monthly: 3.39 * billedHours, GPUs: 1, GPUModel: "nvidia_h100", VRAM: 80, Regions: gpuRegions},
}

// distroSeed is a public distribution image of the catalogue. DigitalOcean's public
// images have IDs of their own, far below those of an account's resources.
type distroSeed struct {
	id                 int
	slug, name, distro string
	ageMonths          int // how long before the world's start it was published
}

var distroList = []distroSeed{
	{0, "ubuntu-24-04-x64", "24.04 (LTS) x64", "Ubuntu", 8},
	{0, "debian-12-x64", "12 x64", "Debian", 7},
	{160000011, "ubuntu-22-04-x64", "22.04 (LTS) x64", "Ubuntu", 30},
	{160000012, "debian-13-x64", "13 x64", "Debian", 3},
	{160000013, "centos-stream-9-x64", "Stream 9 x64", "CentOS", 20},
	{160000014, "centos-stream-10-x64", "Stream 10 x64", "CentOS", 6},
	{160000015, "fedora-42-x64", "42 x64", "Fedora", 5},
	{160000016, "rockylinux-9-x64", "9 x64", "Rocky Linux", 18},
	{160000017, "rockylinux-8-x64", "8 x64", "Rocky Linux", 40},
}

// Indexes of the catalogue by slug.
var (
	regions = indexBy(regionList, func(r Region) string { return r.Slug })
	sizes   = indexBy(sizeList, func(s Size) string { return s.Slug })
)

func indexBy[T any](list []T, key func(T) string) map[string]T {
	out := make(map[string]T, len(list))
	for _, x := range list {
		out[key(x)] = x
	}
	return out
}

// regionSizes lists the plans a region offers, in catalogue order.
func regionSizes(region string) []string {
	var out []string
	for _, s := range sizeList {
		if s.inRegion(region) {
			out = append(out, s.Slug)
		}
	}
	return out
}

// sizeRegions lists the regions offering a plan, in slug order.
func sizeRegions(s Size) []string {
	var out []string
	for _, r := range regionList {
		if s.inRegion(r.Slug) {
			out = append(out, r.Slug)
		}
	}
	sort.Strings(out)
	return out
}

// allRegionSlugs lists every region, in slug order: where a public image is available.
func allRegionSlugs() []string { return sortedKeys(regions) }
