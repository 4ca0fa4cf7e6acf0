package fleet_test

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// BenchmarkFleet reads a fleet of 100,000 droplets from the simulator (no latency, no
// rate limit: the machine's own work) and computes what `molt status` does of it, each
// part on its own so that allocations per op say where memory goes:
//
//	pages    the 500 pages read through godo into io.Discard: the simulator's rendering
//	         and HTTP, which run in this process and are counted in load too
//	load     fleet.Load: 500 pages read, decoded and converted (load less pages is
//	         molt's own work)
//	spread   Select (all) and NewSpread on the loaded servers
//	report   the spread's Report, as -o json prints it, and Groups by role
//	reading  the spread history's count of a read (NewReading), as every refresh makes
func BenchmarkFleet(b *testing.B) {
	const n = 100_000
	env := dosimtest.Start(b, dosim.Config{Seed: "scale", Droplets: n, HealthPort: -1,
		RatePerMinute: 1 << 30, RatePerHour: 1 << 30})
	creds := fleet.Credentials{Token: fleet.Secret(env.Token), APIURL: env.URL}
	ctx := context.Background()
	load := func(b *testing.B) []fleet.Server {
		lim := fleet.NewLimiter(1 << 30)
		c, err := fleet.NewClient(creds, fleet.ClientOptions{Limiter: lim})
		if err != nil {
			b.Fatal(err)
		}
		servers, err := fleet.Load(ctx, c, fleet.LoadOptions{Limiter: lim})
		if err != nil || len(servers) != n {
			b.Fatalf("load: %d servers, %v", len(servers), err)
		}
		return servers
	}
	name := strconv.Itoa(n / 1000)
	b.Run(name+"k/pages", func(b *testing.B) {
		c, err := fleet.NewClient(creds, fleet.ClientOptions{Limiter: fleet.NewLimiter(1 << 30)})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			for page := 1; page <= n/fleet.MaxPerPage; page++ {
				path := fmt.Sprintf("v2/droplets?page=%d&per_page=%d", page, fleet.MaxPerPage)
				req, err := c.NewRequest(ctx, "GET", path, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Do(ctx, req, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run(name+"k/load", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			load(b)
		}
	})
	servers := load(b)
	b.Run(name+"k/spread", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fleet.NewSpread(fleet.Selection{}.Select(servers), fleet.Options{})
		}
	})
	sp := fleet.NewSpread(servers, fleet.Options{})
	b.Run(name+"k/report", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sp.Report("bench", fleet.Selection{})
			sp.Groups(fleet.ByRole)
		}
	})
	b.Run(name+"k/reading", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fleet.NewReading(servers, fleet.Options{}, time.Time{})
		}
	})
}
