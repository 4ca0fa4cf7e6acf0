package actions

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
)

// benchProvision is the simulator's provisioning time: the floor of a wave.
const benchProvision = 100 * time.Millisecond

// benchServers is how many web servers the benchmark replaces: the scale seed makes a
// third of its droplets web servers, none on the target.
const benchServers = 100

// BenchmarkRollout replaces 100 servers with surge 1, 4 and 10, and reports the API
// calls per replaced server (targets: at most 1.0 at surge 10; at surge 1 four calls
// per server are the floor, see docs/engine.md) and the makespan against the floor of
// ceil(N/surge) provisioning times (target at surge 10: at most 1.1).
// "cold" learns the provisioning time during the rollout; "warm" starts from what an
// earlier rollout's journal taught (LearnedProvisionTime), as `molt apply` does.
func BenchmarkRollout(b *testing.B) {
	for _, warm := range []bool{false, true} {
		for _, surge := range []int{1, 4, 10} {
			name := fmt.Sprintf("cold/surge=%d", surge)
			if warm {
				name = fmt.Sprintf("warm/surge=%d", surge)
			}
			b.Run(name, func(b *testing.B) { benchSurge(b, surge, warm) })
		}
	}
}

func benchSurge(b *testing.B, surge int, warm bool) {
	{
		{
			var calls, ratio float64
			for range b.N {
				c, r := benchOnce(b, surge, warm)
				calls += c
				ratio += r
			}
			b.ReportMetric(calls/float64(b.N), "calls/server")
			b.ReportMetric(ratio/float64(b.N), "x-floor")
		}
	}
}

func benchOnce(b *testing.B, surge int, warm bool) (callsPerServer, makespanRatio float64) {
	b.StopTimer()
	env := startSim(b, dosim.Config{Seed: "scale", Droplets: 3 * benchServers, Provision: benchProvision, ActionDelay: 10 * time.Millisecond})
	client := env.NewClient(b, env.Token, false)
	st := testStrategy(env, surge)
	st.Health.Threshold = 1
	p := plan(b, client, "web-1.6.0", st, "role:web")
	n := len(p.Replacements())
	if n != benchServers {
		b.Fatalf("the plan replaces %d servers, want %d", n, benchServers)
	}
	opt := testOptions(b)
	if warm {
		opt.Timing.ProvisionEstimate = warmEstimate(b, surge)
	}
	e, err := Start(client, p, opt)
	if err != nil {
		b.Fatal(err)
	}
	beforeStats := env.Sim.Stats()
	before := beforeStats.Requests
	b.StartTimer()
	start := time.Now()
	err = e.Run(context.Background())
	took := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	floor := time.Duration(math.Ceil(float64(n)/float64(surge))) * benchProvision
	afterStats := env.Sim.Stats()
	calls := afterStats.Requests - before
	b.Logf("calls by route: %v", routeDelta(beforeStats.ByRoute, afterStats.ByRoute))
	b.Logf("surge %d: %d calls for %d servers (%.2f each), %s against a floor of %s (%.2fx)",
		surge, calls, n, float64(calls)/float64(n), took.Round(time.Millisecond), floor, float64(took)/float64(floor))
	return float64(calls) / float64(n), float64(took) / float64(floor)
}

// warmEstimate runs a small rollout first and learns the provisioning time from its
// journal, as a second `molt apply` would.
func warmEstimate(b *testing.B, surge int) time.Duration {
	env := startSim(b, dosim.Config{Seed: "scale", Droplets: 9, Provision: benchProvision})
	client := env.NewClient(b, env.Token, false)
	st := testStrategy(env, surge)
	st.Health.Threshold = 1
	opt := testOptions(b)
	if _, err := apply(b, client, plan(b, client, "web-1.6.0", st, "role:web"), opt); err != nil {
		b.Fatal(err)
	}
	return LearnedProvisionTime(opt.Dir)
}

// routeDelta is how many calls each route took between two counts.
func routeDelta(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}
