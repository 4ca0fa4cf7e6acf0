package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// auditDemo is the demo fleet with its extras (the pets, the api pool) on the fixed
// clock, and the account's drift log (the demo seed's hand-changed droplets), read once.
func auditDemo(t *testing.T) ([]fleet.Server, *fleet.DriftLog) {
	t.Helper()
	withExtras.Do(func() {
		env := dosimtest.Start(t, dosim.Config{Now: clock, DemoExtras: true})
		ctx := context.Background()
		if withExtras.servers, withExtras.err = fleet.Load(ctx, env.Client, fleet.LoadOptions{}); withExtras.err != nil {
			return
		}
		normalise(withExtras.servers)
		withExtras.log, _, withExtras.err = fleet.ReadDrift(ctx, env.Client, fleet.DriftOptions{Now: fixedNow})
	})
	if withExtras.err != nil {
		t.Fatalf("read the demo with its extras: %v", withExtras.err)
	}
	return slices.Clone(withExtras.servers), withExtras.log
}

var withExtras struct {
	sync.Once
	servers []fleet.Server
	log     *fleet.DriftLog
	err     error
}

// demoDrift is the demo's drift log (the extras change none of the base seed's).
func demoDrift(t *testing.T) *fleet.DriftLog {
	_, log := auditDemo(t)
	return log
}

// auditMaxAge is the demo's maximum lifetime in these tests, as `molt status --max-age
// 60d` takes it.
const auditMaxAge = 60 * fleet.Day

// withAudit audits with the drift log, a max age of 60 days for every role, and a probe
// that finds every web server healthy but web-fra1-01 (its role's health check, as a
// config file would give it, answers 503 there).
func withAudit(log *fleet.DriftLog) func(*Deps) {
	return func(d *Deps) {
		d.Audit = func(_ context.Context, sp *fleet.Spread, probe bool) (*fleet.Audit, error) {
			opt := fleet.AuditOptions{MaxAge: map[string]time.Duration{fleet.AnyRole: auditMaxAge}, Drift: log}
			if probe {
				opt.Health = map[int]fleet.Health{}
				for _, s := range sp.Servers() {
					if sp.Options.Role(s) != "web" {
						continue
					}
					h := fleet.Health{State: fleet.HealthHealthy, Detail: "HTTP 200", At: fixedNow}
					if s.Name == "web-fra1-01" {
						h = fleet.Health{State: fleet.HealthUnhealthy, Detail: "HTTP 503 from " + s.PublicIP + ":8080/healthz", At: fixedNow}
					}
					opt.Health[s.ID] = h
				}
			}
			return sp.Audit(opt), nil
		}
	}
}

// audited is loaded with the audit run (and its probe) to the end, as the program runs
// them after the first read.
func audited(t *testing.T, w, h int, tweak ...func(*Deps)) Model {
	t.Helper()
	servers, log := auditDemo(t)
	deps := Deps{
		Load:   func(context.Context, func(int, int)) ([]fleet.Server, error) { return servers, nil },
		Engine: idleEngine{}, JournalDir: t.TempDir(), Demo: true, Now: clock, RefreshEvery: -1,
		RateBudget: func() Budget { return Budget{MinuteLeft: 247, MinuteLimit: 250, HourLeft: 4987, HourLimit: 5000} },
	}
	withAudit(log)(&deps)
	for _, f := range tweak {
		f(&deps)
	}
	m := send(t, New(deps), tea.WindowSizeMsg{Width: w, Height: h})
	next, cmd := m.Update(fleetLoadedMsg{gen: 1, servers: servers})
	return settle(t, next.(Model), cmd, auditDone)
}

// auditDone says the audit and its probe have ended.
func auditDone(m Model) bool {
	return !m.audit.running && m.audit.result != nil && m.audit.result.Probed
}

// auditScreens are the fleet screen with the demo's audit, reached by keys.
var auditScreens = []struct {
	name string
	keys []string
}{
	{"audit_fleet", nil},
	{"audit_drifted_details", append(strings.Split("/name:web-nyc3-03", ""), "enter", "j", "j", "enter")},
	{"audit_pet_details", append(strings.Split("/role:bastion", ""), "enter", "j", "j", "enter")},
	{"audit_role_details", append(strings.Split("/role:web", ""), "enter")}, // beside the list at 120
	{"audit_select_drifted", append(strings.Split("/role:web", ""), "enter", "D")},
	{"audit_sorted_by_age", []string{"o", "o", "O"}},
	{"audit_help", []string{"?"}},
}

func TestGoldenAuditScreens(t *testing.T) {
	t.Parallel()
	for _, sc := range auditScreens {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, sz.w, sz.h), func(t *testing.T) {
				t.Parallel()
				golden.RequireEqual(t, []byte(screen(press(t, audited(t, sz.w, sz.h), sc.keys...))))
			})
		}
	}
}

// TestGoldenAuditStage stages the drifted web servers onto the image each runs against
// the simulator on the fixed clock, and pins the plan.
func TestGoldenAuditStage(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("audit_stage_same_image_%dx%d", sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			wd := newWorldAt(t, clock)
			withAudit(demoDrift(t))(&wd.deps)
			m := New(wd.deps)
			m = send(t, m, tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
			m = settle(t, m, m.Init(), nil)
			m = pressSettle(t, m, append(strings.Split("/role:web", ""), "enter", "D", "S")...)
			golden.RequireEqual(t, []byte(screen(m)))
		})
	}
}

func TestAuditMarksCountsAndSelection(t *testing.T) {
	m := audited(t, 80, 24)
	a := m.audit.result
	web := a.Role("web")
	if web.Drifted != 2 || web.OverMaxAge == 0 || web.Unhealthy != 1 {
		t.Fatalf("web's audit: %+v, want 2 drifted, some past max age, 1 unhealthy", web)
	}
	if s := screen(m); !strings.Contains(s, fmt.Sprintf("±%d", web.Drifted)) || !strings.Contains(s, "audit: drift") {
		t.Fatalf("the spread line or the status line lacks the audit:\n%s", s)
	}
	m = press(t, m, append(strings.Split("/role:web", ""), "enter", "D")...)
	var want []int
	for _, f := range a.Findings {
		if f.Kind == fleet.Drifted && f.Role == "web" {
			want = append(want, f.Server.ID)
		}
	}
	var got []int
	for _, s := range m.Selected() {
		got = append(got, s.ID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("D selected %v, want web's drifted %v", got, want)
	}
	if m = press(t, m, "D"); len(m.Selected()) != 0 {
		t.Fatalf("D again kept %d selected, want it to clear them", len(m.Selected()))
	}
	if m = press(t, m, "U"); len(m.Selected()) != 1 || m.Selected()[0].Name != "web-fra1-01" {
		t.Fatalf("U selected %v, want web-fra1-01", m.Selected())
	}
}

func TestAuditKeysSayWhyWithoutAnAudit(t *testing.T) {
	m := press(t, loaded(t, demoServers(t), 80, 24), "D")
	if !strings.Contains(m.notice.text, "no audit") || len(m.Selected()) != 0 {
		t.Fatalf("D without an audit: notice %q, %d selected", m.notice.text, len(m.Selected()))
	}
	if strings.Contains(screen(press(t, m, "?")), "drifted") {
		t.Fatalf("the help lists the audit's keys without an audit")
	}
}

func TestAuditResultsOfAnOlderAuditAreDropped(t *testing.T) {
	m := audited(t, 80, 24)
	old := m.audit.result
	m = send(t, m, auditMsg{gen: m.audit.gen - 1, audit: &fleet.Audit{}})
	if m.audit.result != old {
		t.Fatalf("an older audit's result replaced the newest")
	}
}

func TestAuditFailureKeepsTheLastResultAndSaysWhy(t *testing.T) {
	m := audited(t, 80, 24)
	old := m.audit.result
	m.audit.gen++
	m = send(t, m, auditMsg{gen: m.audit.gen, err: fmt.Errorf("read the action feed: 503")})
	if m.audit.result != old || !strings.Contains(screen(m), "audit failed: read the action feed: 503") {
		t.Fatalf("a failed audit: result kept %v, screen:\n%s", m.audit.result == old, screen(m))
	}
}

func TestExportCarriesTheAudit(t *testing.T) {
	dir := t.TempDir()
	var mdAudit *fleet.Audit
	m := audited(t, 120, 40, func(d *Deps) {
		d.ExportDir = dir
		d.Markdown = func(_ *fleet.Spread, a *fleet.Audit) ([]byte, error) { mdAudit = a; return []byte("# audit\n"), nil }
	})
	m = press(t, m, append(strings.Split("/role:web", ""), "enter")...)
	next, cmd := press(t, m, "x").Update(keyMsg("enter"))
	send(t, next.(Model), cmd())
	data, err := os.ReadFile(filepath.Join(dir, "molt-audit-20260314-092653.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Roles []struct {
			Role  string         `json:"role"`
			Audit map[string]int `json:"audit"`
		} `json:"roles"`
		Findings []struct {
			Name, Role, Kind string
			Changes          []struct{ Type string } `json:"changes"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, f := range doc.Findings {
		if f.Role != "web" {
			t.Fatalf("the export of web lists a finding of %s: %+v", f.Role, f)
		}
		kinds[f.Kind]++
	}
	if kinds["drifted"] != 2 || kinds["unhealthy"] != 1 || kinds["over_max_age"] == 0 {
		t.Fatalf("the export's findings: %v\n%s", kinds, data)
	}
	if len(doc.Roles) != 1 || doc.Roles[0].Audit["drifted"] != 2 {
		t.Fatalf("the export's roles: %+v", doc.Roles)
	}
	if mdAudit == nil || mdAudit.Count(fleet.Drifted) != 2 {
		t.Fatalf("the markdown was not rendered with the audit of web")
	}
}

// TestFlowDriftedWebOntoTheirOwnImage selects the drifted web servers with D, stages
// them onto the image each runs with S, sees the plan, runs it, and sees web with no
// drifted server after the audit that follows.
func TestFlowDriftedWebOntoTheirOwnImage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	w.deps.Audit = func(ctx context.Context, sp *fleet.Spread, probe bool) (*fleet.Audit, error) {
		log, _, err := fleet.ReadDrift(ctx, w.env.Client, fleet.DriftOptions{Dir: dir})
		if err != nil {
			return nil, err
		}
		return sp.Audit(fleet.AuditOptions{Drift: log}), nil
	}
	tm := drive(t, New(w.deps), 80, 24)
	waitFor(t, tm, "newest 1.2.0", "audit: drift")
	keys(tm, "/")
	tm.typeText("role:web")
	keys(tm, "enter", "D")
	waitFor(t, tm, "selected 2 drifted in web · S: onto their own image", "✓ 2 selected")
	keys(tm, "S")
	waitFor(t, tm, "→ the image each runs", "2 replacements", "onto the image each runs · the audit found 2 drifted")
	keys(tm, "enter")
	waitFor(t, tm, "with the image each runs?", "to start")
	tm.typeText("web")
	keys(tm, "enter")
	waitFor(t, tm, "finished: done")
	keys(tm, "esc")
	tm.waitFor("web without drifted servers", func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "web ") {
				return !strings.Contains(l, "±")
			}
		}
		return false
	})
	m := finalModel(t, tm)
	if n := m.audit.result.Role("web").Drifted; n != 0 {
		t.Fatalf("after the rollout web has %d drifted servers", n)
	}
	if m.live.done == nil || m.live.done.State != actions.StateDone || m.live.done.Replaced != 2 || !m.live.run.Plan().SameImage {
		t.Fatalf("the rollout did not replace 2 servers onto their own image: %+v", m.live.done)
	}
}
