package fleet

import "time"

// ReportAudit says what the audit in a Report checked against.
type ReportAudit struct {
	// DriftSince is how far back changes are known (the window the account's first
	// audit read); null when the action feed was not read.
	DriftSince *time.Time `json:"drift_since"`
	// MaxAge is the maximum lifetime per role ("60d"; "*" for every other role).
	MaxAge map[string]string `json:"max_age"`
	// Probed says whether health was probed; without it, unhealthy counts are 0.
	Probed bool `json:"probed"`
}

// RoleAuditCounts is a role's servers per finding.
type RoleAuditCounts struct {
	OverMaxAge int `json:"over_max_age"`
	Drifted    int `json:"drifted"`
	Pets       int `json:"pets"`
	Unhealthy  int `json:"unhealthy"`
}

// ReportFinding is one server and one finding.
type ReportFinding struct {
	ID   int         `json:"id"`
	Name string      `json:"name"`
	Role string      `json:"role"`
	Kind FindingKind `json:"kind"`
	// Since is when the finding began (see Finding.Since); null when unknown.
	Since  *time.Time `json:"since"`
	Detail string     `json:"detail"`
	// Changes are a drifted server's changes, oldest first.
	Changes []Change `json:"changes,omitempty"`
	// Region, AgeDays and ImageName say more of the server.
	Region    string `json:"region"`
	AgeDays   int    `json:"age_days"`
	ImageName string `json:"image_name"`
}

func reportAudit(a *Audit) ReportAudit {
	r := ReportAudit{MaxAge: map[string]string{}, Probed: a.Probed}
	if !a.DriftFrom.IsZero() {
		t := a.DriftFrom.UTC().Truncate(time.Second)
		r.DriftSince = &t
	}
	for role, d := range a.Options.MaxAge {
		if d > 0 {
			r.MaxAge[role] = FormatAge(d)
		}
	}
	return r
}

func roleAuditCounts(r RoleAudit) RoleAuditCounts {
	return RoleAuditCounts{OverMaxAge: r.OverMaxAge, Drifted: r.Drifted, Pets: r.Pets, Unhealthy: r.Unhealthy}
}

func reportFindings(a *Audit) []ReportFinding {
	out := make([]ReportFinding, len(a.Findings))
	for i, f := range a.Findings {
		out[i] = ReportFinding{ID: f.Server.ID, Name: f.Server.Name, Role: f.Role, Kind: f.Kind, Detail: f.Detail,
			Changes: f.Changes, Region: f.Server.Region, AgeDays: f.Server.AgeDays(a.At), ImageName: f.Server.Image.Name}
		if !f.Since.IsZero() {
			t := f.Since.UTC().Truncate(time.Second)
			out[i].Since = &t
		}
	}
	return out
}
