package fleet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"time"
)

// Report is the spread as `molt status -o json` prints it. Its shape is a public contract
// (docs/status.md): fields may be added, never renamed or removed.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Target names the account or endpoint read.
	Target    string    `json:"target,omitempty"`
	Selection Selection `json:"selection"`
	// Total is the number of droplets selected.
	Total        int `json:"total"`
	VersionsLive int `json:"versions_live"`
	// OldestImageAgeDays is the age of the oldest live image in whole days.
	OldestImageAgeDays int             `json:"oldest_image_age_days"`
	OldestImage        *ReleaseRef     `json:"oldest_image"`
	Versions           []ReportVersion `json:"versions"`
	Roles              []ReportRole    `json:"roles"`
	Regions            []ReportRegion  `json:"regions"`
	// HourlyUSD and MonthlyUSD are the run rate of every droplet selected (see Cost);
	// Unpriced counts droplets whose size came without a price (left out of the rates).
	HourlyUSD  float64 `json:"hourly_usd"`
	MonthlyUSD float64 `json:"monthly_usd"`
	Unpriced   int     `json:"unpriced,omitempty"`
	// History is the trend, with --since only (see ReportHistory).
	History *ReportHistory `json:"history,omitempty"`
	// Pools are the autoscale pools with members in the selection (see SelectPools).
	Pools []ReportPool `json:"pools"`
	// Audit says what the immutability audit checked against; Findings are its
	// findings, one per server and kind (report_audit.go).
	Audit    ReportAudit     `json:"audit"`
	Findings []ReportFinding `json:"findings"`
	// Stragglers stays the last field, after Findings: encodeReport streams both.
	Stragglers []ReportServer `json:"stragglers"`
}

// ReleaseRef names a release in a Report.
type ReleaseRef struct {
	Key       string `json:"key"`
	ImageID   int    `json:"image_id"`
	ImageName string `json:"image_name"`
	Version   string `json:"version,omitempty"`
}

// ReportVersion is one live release.
type ReportVersion struct {
	ReleaseRef
	CreatedAt    *time.Time     `json:"created_at"`
	AgeDays      int            `json:"age_days"`
	Count        int            `json:"count"`
	Share        float64        `json:"share"`
	Role         string         `json:"role"`
	NewestFor    []string       `json:"newest_for"`
	Roles        map[string]int `json:"roles"`
	Regions      map[string]int `json:"regions"`
	Distribution string         `json:"distribution,omitempty"`
	ImageType    string         `json:"image_type,omitempty"`
	HourlyUSD    float64        `json:"hourly_usd"`
	MonthlyUSD   float64        `json:"monthly_usd"`
}

// ReportRole is one role's summary.
type ReportRole struct {
	Role       string      `json:"role"`
	Count      int         `json:"count"`
	Versions   int         `json:"versions"`
	Newest     *ReleaseRef `json:"newest"`
	Stragglers int         `json:"stragglers"`
	HourlyUSD  float64     `json:"hourly_usd"`
	MonthlyUSD float64     `json:"monthly_usd"`
	// Audit counts the role's servers per finding.
	Audit RoleAuditCounts `json:"audit"`
}

// ReportRegion is one region's servers per release.
type ReportRegion struct {
	Region   string         `json:"region"`
	Count    int            `json:"count"`
	Versions []ReleaseCount `json:"versions"`
}

// ReleaseCount is a count of servers on a release.
type ReleaseCount struct {
	ReleaseRef
	Count int `json:"count"`
}

// ReportServer is a straggler: a server and the release its role is on.
type ReportServer struct {
	ID      int        `json:"id"`
	Name    string     `json:"name"`
	Role    string     `json:"role"`
	Region  string     `json:"region"`
	Status  string     `json:"status"`
	Current ReleaseRef `json:"current"`
	Newest  ReleaseRef `json:"newest"`
	// ImageID and ImageName repeat Current's, for scripts that want them flat.
	ImageID   int    `json:"image_id"`
	ImageName string `json:"image_name"`
	// Pool names the autoscale pool the server is a member of, if any.
	Pool string `json:"pool,omitempty"`
	// AgeDays is the server's age in whole days.
	AgeDays int `json:"age_days"`
}

// Report renders the spread for scripts; target and sel describe what was read. Its
// audit knows pets only (no drift, maximum age or health): see AuditReport.
func (s *Spread) Report(target string, sel Selection) Report {
	return s.AuditReport(target, sel, s.Audit(AuditOptions{}))
}

// AuditReport renders the spread and its audit a for scripts.
func (s *Spread) AuditReport(target string, sel Selection, a *Audit) Report {
	r := Report{GeneratedAt: s.At.UTC().Truncate(time.Second), Target: target, Selection: sel, Total: s.Total,
		VersionsLive: len(s.Releases), Versions: []ReportVersion{}, Roles: []ReportRole{},
		Regions: []ReportRegion{}, Pools: reportPools(s.Pools), Stragglers: []ReportServer{},
		HourlyUSD: s.Cost.HourlyUSD(), MonthlyUSD: s.Cost.MonthlyUSD(), Unpriced: s.Cost.Unpriced,
		Audit: reportAudit(a), Findings: reportFindings(a)}
	if s.Oldest != nil {
		r.OldestImageAgeDays = days(s.OldestAge)
		r.OldestImage = refPtr(s.Oldest)
	}
	for _, rel := range s.Releases {
		r.Versions = append(r.Versions, s.reportVersion(rel))
	}
	for _, rs := range s.Roles {
		r.Roles = append(r.Roles, ReportRole{Role: rs.Role, Count: rs.Count, Versions: len(rs.Releases),
			Newest: refPtr(rs.Newest), Stragglers: rs.Stragglers, HourlyUSD: rs.Cost.HourlyUSD(), MonthlyUSD: rs.Cost.MonthlyUSD(),
			Audit: roleAuditCounts(a.Role(rs.Role))})
	}
	for _, region := range s.Regions {
		r.Regions = append(r.Regions, s.reportRegion(region))
	}
	refs := make([]ReleaseRef, len(s.Releases)) // each release's ref, built once
	for i, rel := range s.Releases {
		refs[i] = ref(rel)
	}
	r.Stragglers = make([]ReportServer, len(s.Stragglers))
	for i, st := range s.Stragglers {
		r.Stragglers[i] = reportServer(st, refs[st.On.index], refs[st.Newest.index], s.At)
	}
	return r
}

// reportRegion counts the region's servers per release from the releases' own tallies,
// which is what Groups(ByRegion) would count, without placing every server in a group.
func (s *Spread) reportRegion(region string) ReportRegion {
	reg := ReportRegion{Region: region, Versions: []ReleaseCount{}}
	for _, rel := range s.Releases {
		if n := rel.Regions[region]; n > 0 {
			reg.Count += n
			reg.Versions = append(reg.Versions, ReleaseCount{ReleaseRef: ref(rel), Count: n})
		}
	}
	return reg
}

func (s *Spread) reportVersion(rel *Release) ReportVersion {
	v := ReportVersion{ReleaseRef: ref(rel), AgeDays: days(rel.Age(s.At)), Count: rel.Count,
		Share: math.Round(rel.Share*10000) / 10000, Role: rel.Role, NewestFor: rel.NewestFor,
		Roles: rel.Roles, Regions: rel.Regions, Distribution: rel.Image.Distribution, ImageType: rel.Image.Type,
		HourlyUSD: rel.Cost.HourlyUSD(), MonthlyUSD: rel.Cost.MonthlyUSD()}
	if v.NewestFor == nil {
		v.NewestFor = []string{}
	}
	if !rel.CreatedAt.IsZero() {
		t := rel.CreatedAt.UTC()
		v.CreatedAt = &t
	}
	return v
}

func reportServer(st Straggler, on, newest ReleaseRef, now time.Time) ReportServer {
	return ReportServer{ID: st.Server.ID, Name: st.Server.Name, Role: st.Role, Region: st.Server.Region,
		Status: st.Server.Status, Current: on, Newest: newest,
		ImageID: st.On.Image.ImageID, ImageName: st.On.Image.Name, Pool: st.Server.Pool, AgeDays: st.Server.AgeDays(now)}
}

func ref(r *Release) ReleaseRef {
	out := ReleaseRef{Key: r.Key, ImageID: r.Image.ImageID, ImageName: r.Image.Name}
	switch {
	case r.Semver != nil:
		out.Version = r.Semver.String()
	case strings.HasPrefix(r.Key, "tag:"):
		out.Version = r.Label
	}
	return out
}

func refPtr(r *Release) *ReleaseRef {
	if r == nil {
		return nil
	}
	out := ref(r)
	return &out
}

func days(d time.Duration) int { return int(d / (24 * time.Hour)) }

// EncodeReport writes s.Report(target, sel) as EncodeAuditReport does.
func (s *Spread) EncodeReport(w io.Writer, target string, sel Selection) error {
	return encodeReport(w, s.Report(target, sel))
}

// EncodeAuditReport writes s.AuditReport(target, sel, a) as EncodeReport does.
func (s *Spread) EncodeAuditReport(w io.Writer, target string, sel Selection, a *Audit) error {
	return encodeReport(w, s.AuditReport(target, sel, a))
}

// Encode writes r as JSON exactly as a json.Encoder indenting by two spaces writes it,
// but streams the findings and the stragglers (the bulk of a big fleet's report) one at
// a time instead of building the whole document in memory first.
func (r Report) Encode(w io.Writer) error { return encodeReport(w, r) }

// encodeReport writes r as Report.Encode does.
func encodeReport(w io.Writer, r Report) error {
	findings, stragglers := r.Findings, r.Stragglers
	r.Findings, r.Stragglers = []ReportFinding{}, []ReportServer{}
	head, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	const empty = "\"findings\": [],\n  \"stragglers\": []\n}"
	if !bytes.HasSuffix(head, []byte(empty)) {
		return errors.New("report: the findings and stragglers are not the report's last fields")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head[:len(head)-len(empty)])
	if err := streamArray(bw, "findings", findings, ",\n  "); err != nil {
		return err
	}
	if err := streamArray(bw, "stragglers", stragglers, "\n}\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// streamArray writes the field name with items as an array indented as the report's
// fields are, then after.
func streamArray[T any](bw *bufio.Writer, name string, items []T, after string) error {
	bw.WriteString("\"" + name + "\": [")
	for i := range items {
		if i > 0 {
			bw.WriteByte(',')
		}
		b, err := json.MarshalIndent(&items[i], "    ", "  ")
		if err != nil {
			return err
		}
		bw.WriteString("\n    ")
		bw.Write(b)
	}
	if len(items) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]" + after)
	return nil
}
