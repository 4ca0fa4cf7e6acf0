package dosim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// BenchmarkListDroplets lists 10,000 droplets through godo, 200 per page, the way molt
// loads a large inventory; one op is the whole listing (50 pages). "after-actions" lists
// the same fleet once every droplet has an action in its history (one rollout's worth).
func BenchmarkListDroplets(b *testing.B) {
	b.Run("fresh", func(b *testing.B) { benchList(b, false) })
	b.Run("after-actions", func(b *testing.B) { benchList(b, true) })
}

func benchList(b *testing.B, withActions bool) {
	env := dosimtest.Start(b, dosim.Config{Seed: "scale", Droplets: 10000, HealthPort: -1,
		RatePerMinute: 1 << 30, RatePerHour: 1 << 30})
	client := env.NewClient(b, env.Token, false) // validating 2 MB pages would be the benchmark
	ctx := context.Background()
	if withActions {
		acts, _, err := client.DropletActions.EnableIPv6ByTag(ctx, "env:prod")
		if err != nil || len(acts) != 10000 {
			b.Fatalf("enable IPv6 on the fleet: %d actions, %v", len(acts), err)
		}
		waitFor(b, 10*time.Second, "the actions to complete", func() bool {
			d, _, err := client.Droplets.Get(ctx, acts[len(acts)-1].ResourceID)
			return err == nil && !d.Locked
		})
	}
	pages := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for page := 1; ; page++ {
			list, resp, err := client.Droplets.List(ctx, &godo.ListOptions{Page: page, PerPage: 200})
			if err != nil {
				b.Fatal(err)
			}
			n += len(list)
			pages++
			if resp.Links.IsLastPage() {
				break
			}
		}
		if n != 10000 {
			b.Fatalf("listed %d droplets", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(pages), "ms/page")
}

// BenchmarkServeDropletPage measures the simulator alone: one page of 200 droplets of a
// 10,000- and a 100,000-droplet fleet, written to a ResponseWriter that discards it (as a
// socket takes it) rather than over HTTP. The target is under 3 ms a page at 100,000.
func BenchmarkServeDropletPage(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchPage(b, n) })
	}
}

func benchPage(b *testing.B, n int) {
	sim, err := dosim.New(dosim.Config{Token: "t", Seed: "scale", Droplets: n, HealthPort: -1,
		RatePerMinute: 1 << 30, RatePerHour: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	pages := n / 200
	page := 0
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/v2/droplets?per_page=200&page="+strconv.Itoa(page%pages+1), nil)
		req.Header.Set("Authorization", "Bearer t")
		out := &discard{header: http.Header{}}
		sim.ServeHTTP(out, req)
		if out.code != http.StatusOK || out.n < 200*1000 {
			b.Fatalf("page %d: %d, %d bytes", page%pages+1, out.code, out.n)
		}
		page++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
}

// BenchmarkActionFeedFirstPage measures the refresh a client makes of a 100,000-droplet
// fleet's inventory: the newest page of the account's actions.
func BenchmarkActionFeedFirstPage(b *testing.B) {
	sim, err := dosim.New(dosim.Config{Token: "t", Seed: "scale", Droplets: 100000, HealthPort: -1,
		RatePerMinute: 1 << 30, RatePerHour: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/v2/actions?per_page=200", nil)
		req.Header.Set("Authorization", "Bearer t")
		out := &discard{header: http.Header{}}
		sim.ServeHTTP(out, req)
		if out.code != http.StatusOK {
			b.Fatalf("actions: %d", out.code)
		}
	}
}

// discard is a ResponseWriter that keeps the status and the size of the body only.
type discard struct {
	header http.Header
	code   int
	n      int
}

func (d *discard) Header() http.Header { return d.header }

func (d *discard) WriteHeader(code int) { d.code = code }

func (d *discard) Write(p []byte) (int, error) {
	if d.code == 0 {
		d.code = http.StatusOK
	}
	d.n += len(p)
	return len(p), nil
}
