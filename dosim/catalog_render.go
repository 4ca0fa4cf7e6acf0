package dosim

import (
	"encoding/json"
	"net/http"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/regions", s.listRegions)
		api("GET /v2/sizes", s.listSizes)
	})
}

func (s *Sim) listRegions(r *http.Request, _ *reqInfo) (int, any) {
	return s.listing(r, "regions", len(regionList), func(i int) any { return regionJSON(regionList[i].Slug) })
}

func (s *Sim) listSizes(r *http.Request, _ *reqInfo) (int, any) {
	return s.listing(r, "sizes", len(sizeList), func(i int) any { return sizeJSON(sizeList[i].Slug) })
}

func renderRegion(slug string) obj {
	r, ok := regions[slug]
	if !ok {
		r = Region{Slug: slug, Name: slug}
	}
	return obj{
		"slug":      r.Slug,
		"name":      r.Name,
		"sizes":     nonNilStrings(regionSizes(slug)),
		"features":  regionFeatures,
		"available": ok,
	}
}

// diskInfo is one disk of a plan, as sizes and droplets describe them.
type diskInfo struct {
	Type string  `json:"type"`
	Size amountJ `json:"size"`
}

type amountJ struct {
	Amount int    `json:"amount"`
	Unit   string `json:"unit"`
}

// gpuInfoJSON is a plan's GPUs, as sizes and droplets describe them.
type gpuInfoJSON struct {
	Count int     `json:"count"`
	Model string  `json:"model"`
	VRAM  amountJ `json:"vram"`
}

func (s Size) diskInfo() []diskInfo {
	if s.Scratch > 0 {
		return []diskInfo{{"boot", amountJ{s.Disk, "gib"}}, {"scratch", amountJ{s.Scratch, "gib"}}}
	}
	return []diskInfo{{"local", amountJ{s.Disk, "gib"}}}
}

func (s Size) gpuInfo() *gpuInfoJSON {
	if !s.isGPU() {
		return nil
	}
	return &gpuInfoJSON{Count: s.GPUs, Model: s.GPUModel, VRAM: amountJ{s.VRAM, "gib"}}
}

func renderSize(slug string) obj {
	s, ok := sizes[slug]
	if !ok {
		s = Size{Slug: slug, Description: "Basic", Memory: 1024, VCPUs: 1, Disk: 25, Transfer: 1}
	}
	o := obj{
		"slug":          s.Slug,
		"memory":        s.Memory,
		"vcpus":         s.VCPUs,
		"disk":          s.Disk,
		"transfer":      s.Transfer,
		"price_monthly": s.Monthly,
		"price_hourly":  s.PriceHourly(),
		"regions":       nonNilStrings(sizeRegions(s)),
		"available":     ok,
		"description":   s.Description,
		"disk_info":     s.diskInfo(),
	}
	if g := s.gpuInfo(); g != nil {
		o["gpu_info"] = g
	}
	return o
}

// Regions and sizes never change: their encodings are made once.
var (
	regionsJSON = encodeAll(regions, renderRegion)
	sizesJSON   = encodeAll(sizes, renderSize)
)

func encodeAll[V any](m map[string]V, render func(string) obj) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for slug := range m {
		out[slug] = mustJSON(render(slug))
	}
	return out
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
