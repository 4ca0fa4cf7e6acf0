package actions

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/fleet"
)

func TestPlanCost(t *testing.T) {
	const price = 0.036 // an hour, each
	priced := func(id int) fleet.Server {
		s := server(id, "web-"+string(rune('a'+id)), "nyc3", v14)
		s.PriceHourly, s.PriceMonthly = price, price*672
		return s
	}
	minute := time.Minute.Hours()
	tests := []struct {
		name     string
		retire   Retire
		pause    Pause
		unpriced bool
		want     Cost
	}{
		{"destroy: two waves of two, a minute each", Retire{Mode: RetireDestroy}, Pause{Mode: PauseNone}, false,
			Cost{SurgeUSD: 4 * price * minute, HourlyUSD: 2 * price}},
		{"keep for a day: the first wave's old ones a minute longer", Retire{Mode: RetireKeep, TTL: Duration(24 * time.Hour)}, Pause{Mode: PauseNone}, false,
			Cost{SurgeUSD: 4 * price * minute, KeepUSD: 2*price*(minute+24) + 2*price*24, HourlyUSD: 4 * price, KeepHourlyUSD: 4 * price}},
		{"keep until finalised", Retire{Mode: RetireKeep}, Pause{Mode: PauseTimed, For: Duration(10 * time.Minute)}, false,
			Cost{SurgeUSD: 4 * price * minute, KeepUSD: 2 * price * 11 * minute, HourlyUSD: 4 * price, KeepHourlyUSD: 4 * price, KeepUntilFinalised: true}},
		{"a server without a price", Retire{Mode: RetireDestroy}, Pause{Mode: PauseNone}, true,
			Cost{SurgeUSD: 3 * price * minute, HourlyUSD: 2 * price, Unpriced: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			servers := []fleet.Server{priced(1), priced(2), priced(3), priced(4)}
			if tt.unpriced {
				servers[3].PriceHourly, servers[3].PriceMonthly = 0, 0
			}
			in := input(servers...)
			in.Strategy.Surge, in.Strategy.Retire, in.Strategy.Pause = 2, tt.retire, tt.pause
			in.Strategy.Health = HealthCheck{Kind: HealthNone}
			in.ProvisionTime = time.Minute
			p, err := NewPlan(in)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.round()
			if p.Cost == nil || *p.Cost != want {
				t.Errorf("cost = %+v, want %+v", p.Cost, want)
			}
		})
	}
}

// A rollout that keeps its old droplets: while it runs the extra droplets are the new
// ones beside the old; once done the kept old ones, powered off, cost the simulator's
// price of their size (from /v2/sizes) for as long as they are kept; once finalised
// nothing more.
func TestSpendCountsKeptDropletsUntilRetired(t *testing.T) {
	env := startSim(t, dosim.Config{})
	st := testStrategy(env, 2)
	st.Retire = Retire{Mode: RetireKeep}
	p := plan(t, env.Client, "web-1.6.0", st, "role:web", "env:prod")
	p.Waves = p.Waves[:2] // four servers are enough
	p.Cost = nil
	opt := testOptions(t)
	e, err := apply(t, env.Client, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	prices := map[string]float64{}
	sizes, _, err := env.Client.Sizes.List(context.Background(), &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sizes {
		prices[s.Slug] = s.PriceHourly
	}
	hourly := 0.0
	for _, r := range p.Replacements() {
		hourly += prices[r.Old.Size]
	}
	if hourly == 0 {
		t.Fatal("the servers' sizes have no price")
	}
	recs, err := ReadJournal(e.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	end := recs[len(recs)-1].At
	later := SpendOf(recs, end.Add(time.Hour))
	meter := NewSpendMeter(e.JournalPath())
	if m, err := meter.Read(end.Add(time.Hour)); err != nil || m != later {
		t.Fatalf("the meter says %+v (%v), reading the journal whole %+v", m, err, later)
	}
	if later.Extra != 4 || later.Kept != 4 || math.Abs(later.HourlyUSD-hourly) > 1e-5 {
		t.Fatalf("an hour after: %+v; want 4 extra droplets, 4 kept off, at %.5f an hour", later, hourly)
	}
	ran := end.Sub(recs[0].At).Hours()
	if later.SoFarUSD < fleet.RoundUSD(hourly, 5)-1e-5 || later.SoFarUSD > hourly*(1+ran)+1e-4 {
		t.Fatalf("an hour after the end the extra cost %.5f; want an hour of %.5f and at most the run's surge more", later.SoFarUSD, hourly)
	}
	r, err := Resume(env.Client, e.JournalPath(), opt) // finalises: the kept ones are destroyed
	if err != nil {
		t.Fatal(err)
	}
	if err := run(t, r); err != nil {
		t.Fatalf("finalise: %v", err)
	}
	recs, err = ReadJournal(e.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	done := recs[len(recs)-1].At
	a, b := SpendOf(recs, done), SpendOf(recs, done.Add(24*time.Hour))
	if m, err := meter.Read(done); err != nil || m != a {
		t.Fatalf("the meter that followed the journal says %+v (%v), reading it whole %+v", m, err, a)
	}
	if b.Extra != 0 || b.HourlyUSD != 0 || a.SoFarUSD != b.SoFarUSD || a.SoFarUSD <= 0 {
		t.Fatalf("after finalising: %+v, a day later %+v; want nothing extra, the cost so far fixed", a, b)
	}
}
