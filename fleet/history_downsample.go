package fleet

import "time"

// Tier is one step of downsampling: of the samples at most Age old (and older than the
// tier before), one is kept per Every, the last of each Every-long span (spans are
// aligned to UTC: minutes, hours, days).
type Tier struct {
	Age   time.Duration
	Every time.Duration
}

// DefaultTiers keep every sample for two days, at most one a minute; then one an hour
// for 30 days; then one a day for two years. Older samples are dropped. With 50 roles
// that is at most 2,880 + 672 + 701 samples, and a file of a few MB at the very most
// (docs/status.md has the figures).
var DefaultTiers = []Tier{
	{Age: 48 * time.Hour, Every: time.Minute},
	{Age: 30 * 24 * time.Hour, Every: time.Hour},
	{Age: 731 * 24 * time.Hour, Every: 24 * time.Hour},
}

// Downsample returns the samples the tiers keep at now, oldest first. A kept sample is
// the last of its span, so the spread it shows held at the end of the span; the newest
// sample is always kept.
func Downsample(samples []Sample, now time.Time, tiers []Tier) []Sample {
	out := make([]Sample, 0, len(samples))
	for i, s := range samples {
		t, ok := tierOf(s.At, now, tiers)
		if !ok {
			continue // older than the last tier
		}
		if i+1 < len(samples) {
			nt, nok := tierOf(samples[i+1].At, now, tiers)
			if nok && nt == t && samples[i+1].At.Truncate(tiers[t].Every).Equal(s.At.Truncate(tiers[t].Every)) {
				continue // a later sample of the same span stands for this one
			}
		}
		out = append(out, s)
	}
	return out
}

// tierOf is the index of the tier the sample at falls in at now.
func tierOf(at, now time.Time, tiers []Tier) (int, bool) {
	age := now.Sub(at)
	for i, t := range tiers {
		if age <= t.Age {
			return i, true
		}
	}
	return 0, false
}
