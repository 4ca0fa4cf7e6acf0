package actions

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/molt-sh/molt/fleet"
)

// What a rollout adds to the bill. A replacement's new droplet has the old one's size,
// so it costs the old one's price_hourly (as the API gave it when the plan was made;
// molt never hard-codes a price). The new droplet only replaces the old one, so the
// extra is the time both exist: while the new one is made, checked and soaked, and after
// it, while the old one is kept powered off (DigitalOcean bills a droplet that is off).
// DigitalOcean bills per second (with a minimum of a minute a droplet, or $0.01); these
// figures count the seconds.

// Cost is a plan's estimate of what its extra droplets cost (`molt plan -o json`'s
// cost). The durations it rests on are estimates (see Estimate), so are these.
type Cost struct {
	// SurgeUSD is the new droplets running alongside the old ones, wave by wave.
	SurgeUSD float64 `json:"surge_usd"`
	// KeepUSD is the old droplets kept powered off (--retire keep): from their wave's
	// end until the rollout's, then for the TTL.
	KeepUSD float64 `json:"keep_usd"`
	// HourlyUSD is the most the extra droplets cost an hour at once: the largest wave's,
	// or with --retire keep every replaced server's once all are kept.
	HourlyUSD float64 `json:"hourly_usd"`
	// KeepHourlyUSD is what the kept droplets cost an hour once the rollout is done.
	KeepHourlyUSD float64 `json:"keep_hourly_usd,omitempty"`
	// KeepUntilFinalised says --retire keep has no TTL: the kept droplets cost
	// KeepHourlyUSD until the rollout is finalised, which KeepUSD cannot count.
	KeepUntilFinalised bool `json:"keep_until_finalised,omitempty"`
	// Unpriced counts replaced servers whose size came without a price (counted as free).
	Unpriced int `json:"unpriced,omitempty"`
}

// planCost estimates the plan's extra cost from the wave time and pauses the estimate
// counts; manual checkpoints wait for the operator, which it cannot know.
func planCost(in PlanInput, p Plan) *Cost {
	c := &Cost{}
	if len(p.Waves) == 0 {
		return c
	}
	overlap := max(waveTime(in), p.Estimate.RateFloor.D()/time.Duration(len(p.Waves)))
	gap := time.Duration(0)
	if in.Strategy.Pause.Mode == PauseTimed {
		gap = in.Strategy.Pause.For.D()
	}
	keep := in.Strategy.Retire.Mode == RetireKeep
	ttl := in.Strategy.Retire.TTL.D()
	for i, w := range p.Waves {
		wave := 0.0
		for _, r := range w.Replacements {
			price := r.Old.PriceHourly
			if price == 0 {
				c.Unpriced++
			}
			wave += price
			c.SurgeUSD += price * overlap.Hours()
			if keep {
				after := time.Duration(len(p.Waves)-1-i) * (overlap + gap)
				c.KeepUSD += price * (after + ttl).Hours()
				c.KeepHourlyUSD += price
			}
		}
		c.HourlyUSD = max(c.HourlyUSD, wave)
	}
	if keep {
		c.HourlyUSD, c.KeepUntilFinalised = c.KeepHourlyUSD, ttl == 0
	}
	c.round()
	return c
}

func (c *Cost) round() {
	c.SurgeUSD, c.KeepUSD = fleet.RoundUSD(c.SurgeUSD, 4), fleet.RoundUSD(c.KeepUSD, 4)
	c.HourlyUSD, c.KeepHourlyUSD = fleet.RoundUSD(c.HourlyUSD, 5), fleet.RoundUSD(c.KeepHourlyUSD, 5)
}

// Spend is what a rollout's extra droplets have cost so far and cost an hour now, read
// from its journal: while it runs, and afterwards while it keeps old droplets. It is an
// Event, so that printers show it as they show the executor's.
type Spend struct {
	At time.Time `json:"at"`
	// SoFarUSD is the extra droplets' cost from the rollout's start until At, unrounded.
	SoFarUSD float64 `json:"so_far_usd"`
	// HourlyUSD is what the extra droplets cost an hour at At; Extra is how many there
	// are, Kept how many of them are old droplets kept powered off.
	HourlyUSD float64 `json:"hourly_usd"`
	Extra     int     `json:"extra_droplets"`
	Kept      int     `json:"kept_off"`
	// Unpriced counts replacements whose size came without a price.
	Unpriced int `json:"unpriced,omitempty"`
}

// Kind implements Event.
func (Spend) Kind() string { return "cost" }

// ReadSpend reads the journal at path and says what its rollout's extra droplets have
// cost until now.
func ReadSpend(path string, now time.Time) (Spend, error) {
	recs, err := ReadJournal(path)
	if err != nil {
		return Spend{}, err
	}
	return SpendOf(recs, now), nil
}

// SpendOf folds a journal's records into what the rollout's extra droplets cost until
// now: for each replacement, every droplet of it that exists (the old one, its new one,
// a rollback's re-creation) beyond the first is extra, from the record that shows it
// until the record of its destruction. Strays destroyed before anyone tracked them are
// not counted (they live for seconds).
func SpendOf(recs []Record, now time.Time) Spend {
	if len(recs) == 0 || recs[0].Header == nil {
		return Spend{At: now}
	}
	f := newSpendFold(recs[0])
	for _, r := range recs[1:] {
		f.record(r)
	}
	return f.until(now)
}

// spendSlot is one replacement's droplets and what its extra ones have cost.
type spendSlot struct {
	price float64
	alive map[int]bool
	off   bool // the old droplet is powered off and kept
	since time.Time
	usd   float64
}

func (s *spendSlot) extra() int { return max(0, len(s.alive)-1) }

// advance counts the extra droplets' cost up to t.
func (s *spendSlot) advance(t time.Time) {
	if t.After(s.since) {
		s.usd += s.price * float64(s.extra()) * t.Sub(s.since).Hours()
		s.since = t
	}
}

type spendFold struct {
	slots   map[int]*spendSlot
	olds    map[int]int // old droplet ID -> slot
	intents map[int]Record
	gone    map[int]bool
	spend   Spend
}

func newSpendFold(h Record) *spendFold {
	f := &spendFold{slots: map[int]*spendSlot{}, olds: map[int]int{}, intents: map[int]Record{}, gone: map[int]bool{}}
	for _, r := range h.Header.Plan.Replacements() {
		if r.Old.PriceHourly == 0 {
			f.spend.Unpriced++
		}
		f.slots[r.Slot] = &spendSlot{price: r.Old.PriceHourly, alive: map[int]bool{r.Old.ID: true}, since: h.At}
		f.olds[r.Old.ID] = r.Slot
	}
	return f
}

func (f *spendFold) record(r Record) {
	switch r.Kind {
	case KindIntent:
		f.intents[r.Seq] = r
	case KindPhase:
		for _, n := range r.Slots {
			for _, id := range r.Droplets {
				f.add(n, id, r.At)
			}
			if id, err := strconv.Atoi(r.Target); err == nil {
				f.add(n, id, r.At)
			}
		}
	case KindResult:
		f.result(r)
	}
}

// add counts droplet id as slot n's from at, unless it was destroyed already.
func (f *spendFold) add(n, id int, at time.Time) {
	s := f.slots[n]
	if s == nil || id == 0 || f.gone[id] || s.alive[id] {
		return
	}
	s.advance(at)
	s.alive[id] = true
}

// result applies a mutating call's outcome: a destroy that went through (or found the
// droplet gone) ends a droplet, a power change marks the kept old one.
func (f *spendFold) result(r Record) {
	in, ok := f.intents[r.Ref]
	if !ok || r.Unclear || (r.Err != "" && !strings.Contains(r.Err, " 404 ")) {
		return
	}
	for _, id := range in.Droplets {
		n, tracked := f.slotOf(in, id)
		s := f.slots[n]
		switch in.Op {
		case OpRetire, OpFinalise, OpDestroyNew, OpDestroyDuplicate, OpDestroyStray:
			f.gone[id] = true
			if tracked && s.alive[id] {
				s.advance(r.At)
				delete(s.alive, id)
			}
		case OpPowerOff, OpPowerOn:
			if tracked {
				s.off = in.Op == OpPowerOff && f.olds[id] == n
			}
		}
	}
}

// slotOf is the replacement a droplet of an intent belongs to.
func (f *spendFold) slotOf(in Record, id int) (int, bool) {
	if len(in.Slots) == 1 && f.slots[in.Slots[0]] != nil {
		return in.Slots[0], true
	}
	n, ok := f.olds[id]
	return n, ok
}

// until is the spend at now, which changes nothing: records read later may be older.
func (f *spendFold) until(now time.Time) Spend {
	sp := f.spend
	sp.At = now
	for _, n := range slices.Sorted(maps.Keys(f.slots)) { // one order: the same sum every time
		s := f.slots[n]
		sp.SoFarUSD += s.usd
		if now.After(s.since) {
			sp.SoFarUSD += s.price * float64(s.extra()) * now.Sub(s.since).Hours()
		}
		sp.HourlyUSD += s.price * float64(s.extra())
		sp.Extra += s.extra()
		if s.off && s.extra() > 0 {
			sp.Kept++
		}
	}
	sp.HourlyUSD = fleet.RoundUSD(sp.HourlyUSD, 5) // a sum of prices; SoFarUSD stays exact (a rollout of seconds costs fractions of a cent)
	return sp
}
