package fleet

import (
	"io"
	"maps"
	"slices"
	"time"
)

// ReportHistory is the trend in `molt status -o json --since` (docs/status.md): the
// samples of the window and, per version of each role, its milestones and lag.
type ReportHistory struct {
	// Since and Until are the window; From is the oldest sample the history holds.
	Since   time.Time      `json:"since"`
	Until   time.Time      `json:"until"`
	From    *time.Time     `json:"from"`
	Samples []ReportSample `json:"samples"`
	// Versions are each role's versions live in the window, by role, newest first.
	Versions []ReportTrendVersion `json:"versions"`
}

// ReportSample is the spread at one time: per role, servers per version key.
type ReportSample struct {
	At    time.Time                 `json:"at"`
	Roles map[string]map[string]int `json:"roles"`
}

// ReportTrendVersion is one version of one role in the trend; the times are null when
// the version has not reached them.
type ReportTrendVersion struct {
	Key           string     `json:"key"`
	Role          string     `json:"role"`
	ImageName     string     `json:"image_name"`
	FirstSeen     *time.Time `json:"first_seen"`
	Reached50     *time.Time `json:"reached_50"`
	Reached100    *time.Time `json:"reached_100"`
	LagServerDays float64    `json:"lag_server_days"`
}

// Report renders the trend for JSON, keeping only roles (all when roles is nil).
func (t Trend) Report(roles []string) *ReportHistory {
	keep := func(role string) bool { return roles == nil || slices.Contains(roles, role) }
	r := &ReportHistory{Since: t.Since.UTC(), Until: t.Until.UTC(), From: timePtr(t.From),
		Samples: []ReportSample{}, Versions: []ReportTrendVersion{}}
	for _, s := range t.Samples {
		rs := ReportSample{At: s.At.UTC(), Roles: map[string]map[string]int{}}
		for role, counts := range s.Roles {
			if keep(role) {
				rs.Roles[role] = maps.Clone(counts)
			}
		}
		r.Samples = append(r.Samples, rs)
	}
	for _, v := range t.Versions {
		if keep(v.Role) {
			r.Versions = append(r.Versions, ReportTrendVersion{Key: v.Key, Role: v.Role, ImageName: v.Label,
				FirstSeen: timePtr(v.FirstSeen), Reached50: timePtr(v.Reached50), Reached100: timePtr(v.Reached100),
				LagServerDays: RoundUSD(v.LagServerDays, 2)})
		}
	}
	return r
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// EncodeReportWithHistory is EncodeReport with the trend (nil: none) in the report.
func (s *Spread) EncodeReportWithHistory(w io.Writer, target string, sel Selection, h *ReportHistory) error {
	r := s.Report(target, sel)
	r.History = h
	return encodeReport(w, r)
}
