package fleet_test

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

const benchLatency = 50 * time.Millisecond

// countingTransport counts the requests a load makes.
type countingTransport struct {
	n    atomic.Int64
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// BenchmarkLoad loads 10,000 droplets (and 2,000, where decoding costs little) from the
// simulator with 50ms of latency per request, each load as a fresh process would: a new
// client and a new limiter at DigitalOcean's 250 requests a minute. Besides time and
// memory per load it reports:
//
//	floor-ms       two round trips measured: one page, then one more page (a load whose
//	               parallel round cost no more than a single request)
//	x-floor        a load's time over that floor (target: at most 1.5)
//	x-2latency     a load's time over twice the configured latency alone
//	seq-ms         a sequential page-by-page load, measured once
//	x-faster-seq   how many times faster than sequential a load is (target: at least 3)
//	zero-latency-ms  a whole load with no latency at all (best of three): reading and
//	               decoding 50 pages on this machine, the part no parallelism removes
//	x-2latency+zero  a load's time over two latencies plus that: how far the loader is
//	               from the network floor once the machine's own work is counted
//	cpu-ms/op      CPU time per load, the simulator's encoding included (both run here)
//	requests/op    API requests per load (DigitalOcean allows 250 a minute)
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{10000, 2000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchmarkLoad(b, n) })
	}
}

func benchmarkLoad(b *testing.B, droplets int) {
	env := dosimtest.Start(b, dosim.Config{Seed: "scale", Droplets: droplets, HealthPort: -1,
		Latency: benchLatency, RatePerMinute: 1 << 20, RatePerHour: 1 << 20})
	creds := fleet.Credentials{Token: fleet.Secret(env.Token), APIURL: env.URL}
	ctx := context.Background()
	floor := measureFloor(b, ctx, creds)
	zero := measureZeroLatency(b, ctx, droplets)
	seq := measureSequential(b, ctx, creds, droplets)
	var requests atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	for b.Loop() {
		lim := fleet.NewLimiter(fleet.DefaultRequestsPerMinute)
		ct := &countingTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
		c, err := fleet.NewClient(creds, fleet.ClientOptions{Limiter: lim, Transport: ct})
		if err != nil {
			b.Fatal(err)
		}
		servers, err := fleet.Load(ctx, c, fleet.LoadOptions{Limiter: lim})
		if err != nil || len(servers) != droplets {
			b.Fatalf("load: %d servers, %v", len(servers), err)
		}
		requests.Add(ct.n.Load())
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(ms(floor), "floor-ms")
	b.ReportMetric(float64(per)/float64(floor), "x-floor")
	b.ReportMetric(float64(per)/float64(2*benchLatency), "x-2latency")
	b.ReportMetric(ms(seq), "seq-ms")
	b.ReportMetric(float64(seq)/float64(per), "x-faster-seq")
	b.ReportMetric(ms(zero), "zero-latency-ms")
	b.ReportMetric(float64(per)/float64(2*benchLatency+zero), "x-2latency+zero")
	b.ReportMetric(ms((cpuTime()-cpu)/time.Duration(b.N)), "cpu-ms/op")
	b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// measureFloor times two sequential single-page requests, the best of three.
func measureFloor(b *testing.B, ctx context.Context, creds fleet.Credentials) time.Duration {
	b.Helper()
	c, err := fleet.NewClient(creds, fleet.ClientOptions{})
	if err != nil {
		b.Fatal(err)
	}
	best := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		for page := 1; page <= 2; page++ {
			if _, _, err := c.Droplets.List(ctx, &godo.ListOptions{Page: page, PerPage: fleet.MaxPerPage}); err != nil {
				b.Fatal(err)
			}
		}
		best = min(best, time.Since(start))
	}
	return best
}

// measureZeroLatency times a whole load from a simulator without latency, the best of
// three: what reading and decoding the pages costs on this machine, network aside.
func measureZeroLatency(b *testing.B, ctx context.Context, droplets int) time.Duration {
	b.Helper()
	env := dosimtest.Start(b, dosim.Config{Seed: "scale", Droplets: droplets, HealthPort: -1,
		RatePerMinute: 1 << 20, RatePerHour: 1 << 20})
	creds := fleet.Credentials{Token: fleet.Secret(env.Token), APIURL: env.URL}
	best := time.Duration(1 << 62)
	for range 3 {
		c, err := fleet.NewClient(creds, fleet.ClientOptions{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := fleet.Load(ctx, c, fleet.LoadOptions{}); err != nil {
			b.Fatal(err)
		}
		best = min(best, time.Since(start))
	}
	return best
}

// measureSequential times one page-by-page load, as a simple client would do it.
func measureSequential(b *testing.B, ctx context.Context, creds fleet.Credentials, droplets int) time.Duration {
	b.Helper()
	c, err := fleet.NewClient(creds, fleet.ClientOptions{})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var servers []fleet.Server
	for page := 1; ; page++ {
		ds, resp, err := c.Droplets.List(ctx, &godo.ListOptions{Page: page, PerPage: fleet.MaxPerPage})
		if err != nil {
			b.Fatal(err)
		}
		for i := range ds {
			servers = append(servers, fleet.ServerFromDroplet(&ds[i]))
		}
		if resp.Links == nil || resp.Links.IsLastPage() {
			break
		}
	}
	if len(servers) != droplets {
		b.Fatalf("sequential load: %d servers", len(servers))
	}
	return time.Since(start)
}
