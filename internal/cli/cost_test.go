package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
)

// molt plan -o json carries the cost, from the simulator's own prices: the kept
// droplets for their TTL at their sizes' price_hourly.
func TestPlanCarriesTheCost(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{HealthPort: -1})
	code, out, errOut := molt(t, args(conn, []string{"plan", "--tag", "role:worker", "--region", "sfo3", "--to", "worker-2.2.0",
		"--surge", "10", "--health", "none", "--retire", "keep=24h", "-o", "json"})...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p struct {
		Waves []struct {
			Replacements []struct {
				Old struct{ Size string } `json:"old"`
			} `json:"replacements"`
		} `json:"waves"`
		Cost map[string]any `json:"cost"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"surge_usd", "keep_usd", "hourly_usd"} {
		if _, ok := p.Cost[k].(float64); !ok {
			t.Fatalf("cost %v lacks %s", p.Cost, k)
		}
	}
	hourly := 0.0
	prices := sizePrices(t, env.Client)
	for _, w := range p.Waves {
		for _, r := range w.Replacements {
			hourly += prices[r.Old.Size]
		}
	}
	// One wave, so the kept droplets are kept for the TTL alone.
	if len(p.Waves) != 1 || math.Abs(p.Cost["hourly_usd"].(float64)-hourly) > 1e-5 || math.Abs(p.Cost["keep_usd"].(float64)-24*hourly) > 1e-3 {
		t.Fatalf("cost %v over %d waves; want %.5f an hour and %.4f for a day kept", p.Cost, len(p.Waves), hourly, 24*hourly)
	}
	code, out, _ = molt(t, args(conn, []string{"plan", "--tag", "role:worker", "--to", "worker-2.2.0", "--retire", "keep"})...)
	if code != 0 || !strings.Contains(out, "Cost: ≈ $") || !strings.Contains(out, "until finalised") {
		t.Fatalf("plan text (exit %d) does not give the cost:\n%s", code, out)
	}
}

func sizePrices(t *testing.T, c *godo.Client) map[string]float64 {
	t.Helper()
	sizes, _, err := c.Sizes.List(context.Background(), &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, s := range sizes {
		out[s.Slug] = s.PriceHourly
	}
	return out
}

// molt apply says what the extra droplets cost after each wave and at the end; its
// replacements reach the spread history without another read; molt rollouts costs the
// kept droplets.
func TestApplyShowsTheCostAndKeepsTheHistory(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	statusAt(t, env) // the whole fleet, in the history
	code, out, errOut := molt(t, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--region", "fra1",
		"--name", "web-fra1-0[3-6]", "--to", "web-1.6.0", "--surge", "2", "--retire", "keep"})...)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if n := strings.Count(out, "cost: $"); n != 2 || !strings.Contains(out, "now 4 extra droplets") || !strings.Contains(out, "4 kept powered off") {
		t.Fatalf("%d cost lines; want one after the first wave and one at the end, saying 4 are kept:\n%s", n, out)
	}
	code, out, _ = molt(t, args(conn, []string{"rollouts"})...)
	if code != 0 || !strings.Contains(out, "an hour, $") {
		t.Fatalf("rollouts does not cost the kept droplets:\n%s", out)
	}
	h := statusAt(t, env, "--since", "1d").History
	if len(h.Samples) != 3 {
		t.Fatalf("%d samples; want the fleet before, then after each of the rollout's two waves: %+v", len(h.Samples), h.Samples)
	}
	target := "image:" + strconv.Itoa(env.ImageID(t, "web-1.6.0"))
	before, mid, after := h.Samples[0].Roles["web"][target], h.Samples[1].Roles["web"][target], h.Samples[2].Roles["web"][target]
	if mid != before+2 || after != before+4 {
		t.Fatalf("web-1.6.0 on %d, %d, then %d web servers; want 2 more after each wave", before, mid, after)
	}
}

// A repair onto the image each server runs moves no server between versions: the
// spread history it writes after each wave holds the versions as they were, and no
// version of the plan's placeholder target.
func TestApplyOntoTheImageEachRunsMovesNothingInTheHistory(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	statusAt(t, env) // the whole fleet, in the history
	code, out, errOut := molt(t, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--drifted", "--to", "current", "--surge", "1"})...)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	h := statusAt(t, env, "--since", "1d").History
	if len(h.Samples) == 0 {
		t.Fatal("no samples")
	}
	want := h.Samples[0].Roles["web"]
	for _, s := range h.Samples {
		if fmt.Sprint(s.Roles["web"]) != fmt.Sprint(want) {
			t.Errorf("web's versions at %s: %v; want them as before, %v", s.At, s.Roles["web"], want)
		}
	}
}
