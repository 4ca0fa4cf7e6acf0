package fleet_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// BenchmarkFleet reads a fleet of 100,000 droplets from the simulator (no latency, no
// rate limit: the machine's own work) and computes what `molt status` does of it, each
// part on its own so that allocations per op say where memory goes:
//
//	load     fleet.Load: 500 pages read, decoded and converted (the simulator's
//	         rendering of the pages runs in the same process and is counted too)
//	spread   Select (all) and NewSpread on the loaded servers
//	report   the spread's Report, as -o json prints it, and Groups by role
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
}
