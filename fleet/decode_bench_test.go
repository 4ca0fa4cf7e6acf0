package fleet

import (
	"bytes"
	stdjson "encoding/json"
	"net/url"
	"strconv"
	"testing"

	"github.com/bytedance/sonic"
	"github.com/digitalocean/godo"
	jsonv2 "github.com/go-json-experiment/json"
	goccy "github.com/goccy/go-json"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// benchPages reads n pages of 200 droplets from the simulator's scale fleet, as the API
// sends them.
func benchPages(b *testing.B, n int) [][]byte {
	b.Helper()
	env := dosimtest.Start(b, dosim.Config{Seed: "scale", Droplets: n * MaxPerPage, HealthPort: -1,
		RatePerMinute: 1 << 20, RatePerHour: 1 << 20})
	var pages [][]byte
	for p := 1; p <= n; p++ {
		q := url.Values{"page": {strconv.Itoa(p)}, "per_page": {strconv.Itoa(MaxPerPage)}}
		req, err := env.Client.NewRequest(b.Context(), "GET", "v2/droplets?"+q.Encode(), nil)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := env.Client.Do(b.Context(), req, &buf); err != nil {
			b.Fatal(err)
		}
		pages = append(pages, buf.Bytes())
	}
	return pages
}

// BenchmarkDecodePage decodes the same 50 pages of 200 droplets (10,000 droplets, about
// 14 MB of JSON) with each candidate decoder into the slim wire types, and with
// encoding/json into godo's own types as godo does (the baseline). One op is all 50 pages.
// docs/performance.md records the figures and the choice.
func BenchmarkDecodePage(b *testing.B) {
	pages := benchPages(b, 50)
	var size int64
	for _, p := range pages {
		size += int64(len(p))
	}
	slim := func(name string, dec func([]byte, any) error) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range pages {
					var page wirePage
					if err := dec(p, &page); err != nil || len(page.Droplets) != MaxPerPage {
						b.Fatalf("%d droplets, %v", len(page.Droplets), err)
					}
				}
			}
		})
	}
	b.Run("godo-encoding-json", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range pages {
				var root struct {
					Droplets []godo.Droplet `json:"droplets"`
					Links    *godo.Links    `json:"links"`
					Meta     *godo.Meta     `json:"meta"`
				}
				if err := stdjson.NewDecoder(bytes.NewReader(p)).Decode(&root); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	slim("slim-encoding-json", stdjson.Unmarshal)
	slim("slim-go-json-experiment", func(p []byte, v any) error { return jsonv2.Unmarshal(p, v) })
	slim("slim-goccy-go-json", goccy.Unmarshal)
	slim("slim-sonic", sonic.Unmarshal)
	slim("slim-sonic-std", sonic.ConfigStd.Unmarshal)
	b.Run("slim-chosen+convert", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		out := make([]Server, MaxPerPage)
		for b.Loop() {
			conv := newConverter(newImageCache())
			for _, p := range pages {
				var page wirePage
				if err := unmarshal(p, &page); err != nil {
					b.Fatal(err)
				}
				conv.servers(page.Droplets, out)
			}
		}
	})
}
