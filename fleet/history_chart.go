package fleet

import "time"

// Column is one column of a spread-over-time chart: a span of the window and each
// version's share of the role's servers over it, weighted by time (a version on half the
// servers for half the span has a share of a quarter).
type Column struct {
	From, To time.Time
	// Shares are per version key, 0 to 1; together 1 when Known for the whole span.
	Shares map[string]float64
	// Known is the part of the span (0 to 1) the history covers: 0 before it began.
	Known float64
}

// Columns cuts the window into n equal spans and gives role's shares in each, for a
// stacked chart of the role's versions (the samples held as steps, as the lag counts
// them).
func (t Trend) Columns(role string, n int) []Column {
	if n <= 0 || !t.Until.After(t.Since) {
		return nil
	}
	out := make([]Column, n)
	span := t.Until.Sub(t.Since)
	for i := range out {
		c := &out[i]
		c.From, c.To = t.Since.Add(span*time.Duration(i)/time.Duration(n)), t.Since.Add(span*time.Duration(i+1)/time.Duration(n))
		c.Shares = map[string]float64{}
		t.fill(c, role)
	}
	return out
}

// fill weighs each sample holding within the column's span by the time it held.
func (t Trend) fill(c *Column, role string) {
	width := c.To.Sub(c.From).Seconds()
	for i, s := range t.Samples {
		from, to := maxTime(s.At, c.From), c.To
		if i+1 < len(t.Samples) && t.Samples[i+1].At.Before(to) {
			to = t.Samples[i+1].At
		}
		if !to.After(from) {
			continue
		}
		w := to.Sub(from).Seconds() / width
		c.Known += w
		total := s.RoleTotal(role)
		for key, n := range s.Roles[role] {
			c.Shares[key] += w * float64(n) / float64(total)
		}
	}
}
