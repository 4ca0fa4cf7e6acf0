package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// auditJSON is the audit's part of the -o json contract.
type auditJSON struct {
	Audit struct {
		DriftSince *time.Time        `json:"drift_since"`
		MaxAge     map[string]string `json:"max_age"`
		Probed     bool              `json:"probed"`
	} `json:"audit"`
	Roles []struct {
		Role  string         `json:"role"`
		Count int            `json:"count"`
		Audit map[string]int `json:"audit"`
	} `json:"roles"`
	Findings []struct {
		ID      int        `json:"id"`
		Name    string     `json:"name"`
		Role    string     `json:"role"`
		Kind    string     `json:"kind"`
		Since   *time.Time `json:"since"`
		Detail  string     `json:"detail"`
		AgeDays int        `json:"age_days"`
		Changes []struct {
			Type string    `json:"type"`
			At   time.Time `json:"at"`
		} `json:"changes"`
	} `json:"findings"`
	Stragglers []struct {
		AgeDays *int `json:"age_days"`
	} `json:"stragglers"`
}

func decodeAudit(t *testing.T, out string) auditJSON {
	t.Helper()
	var a auditJSON
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out)
	}
	return a
}

// roleAudit is one role's audit counts.
func (a auditJSON) roleAudit(role string) map[string]int {
	for _, r := range a.Roles {
		if r.Role == role {
			return r.Audit
		}
	}
	return nil
}

// drifted lists the drifted servers' changes, "type" per name.
func (a auditJSON) drifted() map[string]string {
	out := map[string]string{}
	for _, f := range a.Findings {
		if f.Kind == "drifted" {
			var types []string
			for _, c := range f.Changes {
				types = append(types, c.Type)
			}
			out[f.Name] = strings.Join(types, ",")
		}
	}
	return out
}

// The demo seed's audit, as `molt status -o json --max-age 60d` reports it: the four
// droplets changed by hand are drifted, with the change and when it was made; the two
// built from distribution images are pets; the servers over 60 days are counted per
// role as their creation times say.
func TestStatusAuditsTheDemo(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{DemoExtras: true, HealthPort: -1})
	code, out, errOut := molt(t, args(conn, []string{"status", "-o", "json", "--max-age", "60d"})...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	a := decodeAudit(t, out)
	created := map[string]time.Time{}
	ds, _, err := env.Client.Droplets.List(t.Context(), &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		created[d.Name], _ = time.Parse(time.RFC3339, d.Created)
	}
	// The seed's hand changes: days after the droplet's creation, at 03:17 (the resize
	// two minutes after the power-off that preceded it).
	want := map[string]struct {
		typ  string
		days int
		plus time.Duration
	}{"worker-nyc3-02": {"resize", 20, 2 * time.Minute}, "edge-fra1-01": {"password_reset", 40, 0},
		"web-nyc3-03": {"rebuild", 30, 0}, "web-fra1-02": {"change_kernel", 12, 0}}
	for _, f := range a.Findings {
		w, ok := want[f.Name]
		if f.Kind != "drifted" {
			continue
		}
		at := created[f.Name].AddDate(0, 0, w.days).Add(3*time.Hour + 17*time.Minute + w.plus)
		if !ok || len(f.Changes) != 1 || f.Changes[0].Type != w.typ || !f.Changes[0].At.Equal(at) || !f.Since.Equal(at) {
			t.Errorf("drifted %s: %+v; want %s at %s", f.Name, f.Changes, w.typ, at)
		}
	}
	if d := a.drifted(); len(d) != 4 {
		t.Errorf("drifted: %v, want the four changed by hand", d)
	}
	pets := map[string]string{}
	for _, f := range a.Findings {
		if f.Kind == "pet" {
			pets[f.Name] = f.Role
		}
	}
	if fmt.Sprint(pets) != "map[bastion-nyc3:bastion metrics-fra1:metrics]" {
		t.Errorf("pets: %v", pets)
	}
	over := map[string]int{}
	for name, c := range created {
		if time.Since(c) > 60*24*time.Hour {
			over[strings.SplitN(name, "-", 2)[0]]++
		}
	}
	for role, n := range map[string]int{"web": 7, "worker": 3, "edge": 4, "bastion": 1, "metrics": 1, "api": 0} {
		if got := a.roleAudit(role)["over_max_age"]; got != n || over[role] != n {
			t.Errorf("%s: %d over 60 days (by creation times %d), want %d", role, got, over[role], n)
		}
	}
	if r := a.roleAudit("web"); r["drifted"] != 2 || r["pets"] != 0 || r["unhealthy"] != 0 {
		t.Errorf("web's audit: %v", r)
	}
	if a.Audit.DriftSince == nil || a.Audit.MaxAge["*"] != "60d" || a.Audit.Probed || len(a.Stragglers) == 0 || a.Stragglers[0].AgeDays == nil {
		t.Errorf("audit %+v; stragglers' age_days %v", a.Audit, a.Stragglers[0].AgeDays)
	}
}

// simStats reads the simulator's /_sim/stats, as any client of `molt sim` can.
func simStats(t *testing.T, env *dosimtest.Env) dosim.Stats {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, env.URL+"/_sim/stats", nil)
	req.Header.Set("Authorization", "Bearer "+env.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st dosim.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// The first audit of an account reads its action feed back over the window; a second
// on the unchanged account reads one page of it, and finds what the first found.
func TestSecondAuditReadsOnePage(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{Seed: "scale", Droplets: 2000, HealthPort: -1})
	feed := func() int { return simStats(t, env).ByRoute["GET /v2/actions"] }
	var outs []string
	var pages []int
	for range 2 {
		before := feed()
		code, out, errOut := molt(t, args(conn, []string{"status", "-o", "json"})...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		pages, outs = append(pages, feed()-before), append(outs, out)
	}
	if pages[0] < 3 || pages[1] != 1 {
		t.Errorf("pages of the action feed read: %v; want the window's first, then one", pages)
	}
	first, second := decodeAudit(t, outs[0]), decodeAudit(t, outs[1])
	if !first.Audit.DriftSince.Equal(*second.Audit.DriftSince) || time.Since(*first.Audit.DriftSince) < 90*24*time.Hour {
		t.Errorf("drift known since %s, then %s; want 90 days back or more, both times", first.Audit.DriftSince, second.Audit.DriftSince)
	}
	entries, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "molt", "accounts", env.Sim.AccountUUID(), "drift.json"))
	if len(entries) != 1 {
		t.Errorf("no drift log kept under the account's UUID")
	}
	t.Logf("action feed pages: first audit %d, second %d", pages[0], pages[1])
}

// Text and markdown carry the audit: what it checked, a line per role, the findings.
func TestStatusAuditTextAndMarkdown(t *testing.T) {
	_, conn := engineSim(t, dosim.Config{DemoExtras: true, HealthPort: -1})
	for output, want := range map[string][]string{
		"text":     {"Audit", "max age: web 30d, others 90d", "OVER AGE", "worker-nyc3-02", "resize", "pet", "health: not probed"},
		"markdown": {"#### Immutability audit", "| ROLE | SERVERS | VERSIONS | OVER AGE | DRIFTED | PETS | UNHEALTHY |", "| web | 21 | 4 | 19 | 2 | 0 | - |", "#### Findings ("},
	} {
		writeConfig(t, "max_age:\n  \"*\": 90d\n  web: 30d\n")
		code, out, errOut := molt(t, args(conn, []string{"status", "-o", output})...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", output, code, errOut)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", output, w, out)
			}
		}
	}
}

// writeConfig writes molt's config file.
func writeConfig(t *testing.T, content string) {
	t.Helper()
	dir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "molt")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// `molt status --probe` probes each role's health check from the config file once:
// the servers of an image that fails its health check are unhealthy.
func TestStatusProbe(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	writeConfig(t, fmt.Sprintf("health:\n  web: http:%d/healthz\n", env.Sim.HealthPort()))
	im := env.ImageID(t, "web-1.5.0")
	if err := env.Sim.SetImageFlags(im, true, false); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := molt(t, args(conn, []string{"status", "-o", "json", "--probe", "--drift-window", "0"})...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	a := decodeAudit(t, out)
	if r := a.roleAudit("web"); !a.Audit.Probed || r["unhealthy"] != 12 || a.Audit.DriftSince != nil || a.roleAudit("worker")["unhealthy"] != 0 {
		t.Errorf("probed %v, web %v, drift since %v", a.Audit.Probed, r, a.Audit.DriftSince)
	}
	for _, f := range a.Findings {
		if f.Kind == "unhealthy" && (f.Role != "web" || !strings.Contains(f.Detail, "HTTP 500")) {
			t.Errorf("finding %+v", f)
		}
	}
}

// Bad audit input is one sentence and exit 2.
func TestAuditUsageErrors(t *testing.T) {
	_, conn := engineSim(t, dosim.Config{HealthPort: -1})
	for _, c := range []struct {
		config string
		args   []string
	}{
		{"", []string{"status", "--max-age", "sixty"}},
		{"", []string{"status", "--drift-window", "-1d"}},
		{"max_age:\n  web: soon\n", []string{"status"}},
		{"health:\n  web: http:0/x\n", []string{"status", "--probe"}},
	} {
		writeConfig(t, c.config)
		code, _, errOut := molt(t, args(conn, c.args)...)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v with %q: exit %d, %q; want exit 2 and one line", c.args, c.config, code, errOut)
		}
	}
}

// demoView is the demo's status view as molt status builds it, read through godo:
// the fleet, its drift from the action feed, and servers over 60 days.
func demoView(t *testing.T, env *dosimtest.Env) statusView {
	t.Helper()
	servers, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	log, _, err := fleet.ReadDrift(t.Context(), env.Client, fleet.DriftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spread := fleet.NewSpread(servers, fleet.Options{RolePrefix: "role:"})
	found := spread.Audit(fleet.AuditOptions{MaxAge: map[string]time.Duration{fleet.AnyRole: 60 * fleet.Day}, Drift: log})
	return statusView{spread: spread, audit: found, by: fleet.ByRole, target: "demo"}
}

// The audit fits the terminal: its facts wrap, and its findings' details are cut short
// to the width, keeping their start, and saying so; with no width (a pipe) nothing is.
func TestAuditTextFitsTheWidth(t *testing.T) {
	env, _ := engineSim(t, dosim.Config{DemoExtras: true, HealthPort: -1})
	complete := demoView(t, env)
	partial := complete // a drift log that knows a window, not the whole feed: the longest fact
	log := *complete.audit.Options.Drift
	log.Complete = false
	partial.audit = complete.spread.Audit(fleet.AuditOptions{MaxAge: complete.audit.Options.MaxAge, Drift: &log})
	details := map[string]bool{}
	for _, f := range complete.audit.Findings {
		details[textDetail(f)] = true
	}
	for _, c := range []struct {
		name    string
		v       statusView
		width   int
		wantCut bool
	}{
		{"a pipe", partial, 0, false},
		{"80 columns", complete, 80, true},
		{"80 columns, a drift window", partial, 80, true},
		{"120 columns", partial, 120, true},
		{"200 columns", complete, 200, false},
	} {
		var b strings.Builder
		if err := writeText(&b, c.v, newStatusStyles(false), c.width); err != nil {
			t.Fatal(err)
		}
		section := b.String()[strings.Index(b.String(), "\nAudit\n"):]
		cut := 0
		for _, line := range strings.Split(section, "\n") {
			if w := ansi.StringWidth(line); c.width > 0 && w > c.width {
				t.Errorf("%s: a line of the audit is %d columns: %q", c.name, w, line)
			}
			detail, ok := findingDetail(line)
			if !ok {
				continue
			}
			if short, ok := strings.CutSuffix(detail, "…"); ok {
				cut++
				if !startsADetail(details, short) {
					t.Errorf("%s: %q is no detail's start", c.name, detail)
				}
			} else if !details[detail] {
				t.Errorf("%s: %q is no detail", c.name, detail)
			}
		}
		said := strings.Contains(section, "details cut to the terminal's width")
		if (cut > 0) != c.wantCut || said != c.wantCut {
			t.Errorf("%s: %d details cut short (said so: %v); want some: %v", c.name, cut, said, c.wantCut)
		}
		if !strings.Contains(section, "resize 20") || !strings.Contains(section, "as far back as") && c.v.audit == partial.audit {
			t.Errorf("%s: the drift's changes or the window's words are lost:\n%s", c.name, section)
		}
	}
}

// findingDetail is the DETAIL cell of a findings row: what follows its SINCE date.
func findingDetail(line string) (string, bool) {
	m := regexp.MustCompile(`  (\d{4}-\d\d-\d\d|-)  (.+)$`).FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return m[2], true
}

func startsADetail(details map[string]bool, prefix string) bool {
	for d := range details {
		if strings.HasPrefix(d, prefix) && len(prefix) < len(d) {
			return true
		}
	}
	return false
}
