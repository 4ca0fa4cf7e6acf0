package actions

import (
	"math"
	"time"
)

// Estimate is how long a plan should take and how many API calls it needs.
type Estimate struct {
	// Duration counts provisioning, health checks, soak, drain and timed pauses;
	// checkpoints that wait for the operator (ManualPauses) are not counted.
	Duration     Duration `json:"duration"`
	ManualPauses int      `json:"manual_pauses,omitempty"`
	APICalls     int      `json:"api_calls"`
	// RateRemaining is the hourly allowance the API last reported (0: unknown).
	RateRemaining int `json:"rate_remaining,omitempty"`
	// RateFloor is the shortest the calls can take within the per-minute limit.
	RateFloor Duration `json:"rate_floor,omitempty"`
}

// DefaultProvisionTime is a typical time for a droplet to go from new to active.
const DefaultProvisionTime = 45 * time.Second

// pollsPerGroup is what waiting for a create group costs once the provisioning time
// is learnt.
const pollsPerGroup = 2

func estimate(in PlanInput, p Plan) Estimate {
	e := Estimate{RateRemaining: in.Rate.Remaining}
	if len(p.Waves) == 0 {
		return e
	}
	d := pauseTime(in.Strategy, p, &e)
	for _, w := range p.Waves {
		d += waveTime(in) + drainTime(in.Strategy, w)
	}
	e.Duration = Duration(d)
	e.APICalls = 2
	for _, w := range p.Waves {
		e.APICalls += waveCalls(in.Strategy, w)
	}
	perMinute := in.Rate.PerMinute
	if perMinute <= 0 {
		perMinute = 250
	}
	e.RateFloor = Duration(time.Duration(math.Ceil(float64(e.APICalls)/float64(perMinute)*60)) * time.Second)
	e.Duration = max(e.Duration, e.RateFloor)
	return e
}

func waveTime(in PlanInput) time.Duration {
	t := in.ProvisionTime
	if t <= 0 {
		t = DefaultProvisionTime
	}
	h := in.Strategy.Health
	if h.Kind != HealthNone {
		t += h.Grace.D() + time.Duration(max(h.Threshold-1, 0))*h.Interval.D()
	}
	return t + in.Strategy.MinReady.D()
}

// drainTime is how long a wave's old droplets drain after their soak: what is left of
// the drain since the handover, and the whole drain after leaving tag-based load
// balancers, which they leave only then.
func drainTime(s Strategy, w Wave) time.Duration {
	d := s.Drain.D()
	var byID, byTag bool
	for _, r := range w.Replacements {
		byTag = byTag || len(r.TagLBs) > 0
		byID = byID || len(r.TagLBs) == 0 && (len(r.LBs) > 0 || r.ReservedIP != "")
	}
	var t time.Duration
	if byID {
		t += max(d-s.MinReady.D(), 0)
	}
	if byTag {
		t += d
	}
	return t
}

func pauseTime(s Strategy, p Plan, e *Estimate) time.Duration {
	checkpoints := len(p.Waves) - 1
	switch s.Pause.Mode {
	case PauseManual:
		e.ManualPauses = checkpoints
	case PauseTimed:
		return time.Duration(checkpoints) * s.Pause.For.D()
	}
	return 0
}

func waveCalls(s Strategy, w Wave) int {
	groups := map[int]bool{}
	lbs := map[string]bool{}
	calls := 0
	tagLBs := map[string]bool{}
	for _, r := range w.Replacements {
		groups[r.Group] = true
		for _, id := range r.LBs {
			lbs[id] = true
		}
		if r.ReservedIP != "" {
			calls++
		}
		calls += 3 * len(r.Volumes) // detach, attach, and a look at the attach
		calls++                     // destroy, or power off
		for _, t := range r.TagLBs {
			tagLBs[t] = true
		}
	}
	calls += len(groups)*(1+pollsPerGroup) + 2*len(lbs)
	calls++ // the identity check of the old droplets before they retire
	if len(tagLBs) > 0 && (s.Retire.Mode == RetireKeep || s.Drain > 0) {
		calls += len(tagLBs) // out of tag-based load balancers
		if s.Drain > 0 {
			calls++ // the identity check again after their drain
		}
	}
	return calls
}
