package fleet

import (
	"math"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// The run rate is the simulator's own size prices (read from /v2/sizes, not from the
// droplets) times the droplets on each size, per version, per role and in all; a
// powered-off droplet still counts, as DigitalOcean bills it.
func TestRunRateIsTheSizePricesTimesTheCounts(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "demo", HealthPort: -1})
	ctx := t.Context()
	off := powerOffOne(t, env)
	prices := sizePrices(t, env.Client)
	servers, err := Load(ctx, env.Client, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ hourly, monthly float64 }
	perKey, perRole := map[string]*want{}, map[string]*want{}
	var total want
	opt := Options{}
	sawOff := false
	for _, s := range servers {
		p, ok := prices[s.Size]
		if !ok {
			t.Fatalf("%s: size %s is not in /v2/sizes", s.Name, s.Size)
		}
		sawOff = sawOff || s.ID == off && s.Status == "off"
		for _, w := range []*want{at(perKey, opt.ReleaseKey(s)), at(perRole, opt.Role(s)), &total} {
			w.hourly += p.PriceHourly
			w.monthly += p.PriceMonthly
		}
	}
	if !sawOff {
		t.Fatalf("droplet %d is not in the fleet as off", off)
	}
	sp := NewSpread(servers, Options{})
	same := func(what string, got Cost, w *want) {
		t.Helper()
		if math.Abs(got.HourlyUSD()-w.hourly) > 1e-6 || math.Abs(got.MonthlyUSD()-RoundUSD(w.monthly, 2)) > 1e-6 || got.Unpriced != 0 {
			t.Errorf("%s: %.5f an hour, %.2f a month (%d unpriced); the sizes say %.5f and %.2f", what,
				got.HourlyUSD(), got.MonthlyUSD(), got.Unpriced, w.hourly, w.monthly)
		}
	}
	same("the fleet", sp.Cost, &total)
	for _, r := range sp.Releases {
		same(r.Label, r.Cost, perKey[r.Key])
	}
	for _, rs := range sp.Roles {
		same("role "+rs.Role, rs.Cost, perRole[rs.Role])
	}
	rep := sp.Report("demo", Selection{})
	if rep.HourlyUSD != RoundUSD(total.hourly, 5) || rep.Roles[0].HourlyUSD != sp.Roles[0].Cost.HourlyUSD() {
		t.Errorf("report: %.5f an hour, role %s %.5f; want %.5f and %.5f", rep.HourlyUSD, rep.Roles[0].Role,
			rep.Roles[0].HourlyUSD, total.hourly, sp.Roles[0].Cost.HourlyUSD())
	}
}

func at[K comparable, V any](m map[K]*V, k K) *V {
	if m[k] == nil {
		m[k] = new(V)
	}
	return m[k]
}

// sizePrices reads the catalogue through godo's own types.
func sizePrices(t *testing.T, c *godo.Client) map[string]godo.Size {
	t.Helper()
	out := map[string]godo.Size{}
	opt := &godo.ListOptions{Page: 1, PerPage: MaxPerPage}
	for {
		sizes, resp, err := c.Sizes.List(t.Context(), opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sizes {
			out[s.Slug] = s
		}
		if resp.Links == nil || resp.Links.IsLastPage() {
			return out
		}
		opt.Page++
	}
}

// powerOffOne powers off the first droplet and waits until the API says it is off.
func powerOffOne(t *testing.T, env *dosimtest.Env) int {
	t.Helper()
	ds, _, err := env.Client.Droplets.List(t.Context(), &godo.ListOptions{PerPage: 1})
	if err != nil || len(ds) == 0 {
		t.Fatalf("list: %v", err)
	}
	id := ds[0].ID
	if _, _, err := env.Client.DropletActions.PowerOff(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for tick := time.NewTicker(5 * time.Millisecond); ; <-tick.C {
		d, _, err := env.Client.Droplets.Get(t.Context(), id)
		if err == nil && d.Status == "off" {
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("droplet %d is not off after 10s", id)
		}
	}
}

// An image two roles share splits its cost between them by their servers.
func TestRunRateOfAnImageSharedByTwoRoles(t *testing.T) {
	im := image(1, "base-1.0.0", 3)
	priced := func(s Server, hourly float64) Server { s.PriceHourly, s.PriceMonthly = hourly, hourly*672; return s }
	sp := NewSpread([]Server{
		priced(server(1, "a", "nyc3", im, "role:web"), 0.01),
		priced(server(2, "b", "nyc3", im, "role:worker"), 0.02),
		priced(server(3, "c", "nyc3", image(2, "web-2.0.0", 1), "role:web"), 0.04),
		server(4, "d", "nyc3", im, "role:worker"),
	}, Options{Now: now})
	got := map[string]Cost{}
	for _, rs := range sp.Roles {
		got[rs.Role] = rs.Cost
	}
	if got["web"].HourlyUSD() != 0.05 || got["worker"].HourlyUSD() != 0.02 || got["worker"].Unpriced != 1 || sp.Cost.HourlyUSD() != 0.07 {
		t.Fatalf("web %+v, worker %+v, all %+v; want 0.05, 0.02 and one unpriced, 0.07", got["web"], got["worker"], sp.Cost)
	}
}

func TestDollars(t *testing.T) {
	for _, tc := range []struct {
		usd    float64
		places int
		want   string
	}{
		{0, 2, "$0.00"}, {1152, 2, "$1,152.00"}, {1234567.891, 2, "$1,234,567.89"},
		{0.0357, 4, "$0.0357"}, {999, 0, "$999"}, {1000, 0, "$1,000"},
	} {
		if got := Dollars(tc.usd, tc.places); got != tc.want {
			t.Errorf("Dollars(%v, %d) = %q, want %q", tc.usd, tc.places, got, tc.want)
		}
	}
}
