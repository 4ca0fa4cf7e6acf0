package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
	"github.com/molt-sh/molt/ui"
)

// historyJSON is the history part of the -o json contract.
type historyJSON struct {
	History *struct {
		Samples []struct {
			At    time.Time                 `json:"at"`
			Roles map[string]map[string]int `json:"roles"`
		} `json:"samples"`
		Versions []struct {
			Key           string     `json:"key"`
			Role          string     `json:"role"`
			FirstSeen     *time.Time `json:"first_seen"`
			Reached50     *time.Time `json:"reached_50"`
			Reached100    *time.Time `json:"reached_100"`
			LagServerDays *float64   `json:"lag_server_days"`
		} `json:"versions"`
	} `json:"history"`
	HourlyUSD  *float64 `json:"hourly_usd"`
	MonthlyUSD *float64 `json:"monthly_usd"`
	Roles      []struct {
		Role       string   `json:"role"`
		HourlyUSD  *float64 `json:"hourly_usd"`
		MonthlyUSD *float64 `json:"monthly_usd"`
	} `json:"roles"`
	Versions []struct {
		HourlyUSD  *float64 `json:"hourly_usd"`
		MonthlyUSD *float64 `json:"monthly_usd"`
	} `json:"versions"`
}

func statusAt(t *testing.T, env *dosimtest.Env, args ...string) historyJSON {
	t.Helper()
	code, out, errOut := molt(t, append([]string{"status", "-o", "json", "--access-token", env.Token, "--api-url", env.URL}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var h historyJSON
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func sampleTotal(roles map[string]map[string]int) int {
	n := 0
	for _, counts := range roles {
		for _, c := range counts {
			n += c
		}
	}
	return n
}

// Each run of molt status is a read the account's history keeps (one process after
// another: the samples outlive them), and --since shows it; two accounts never mix.
func TestStatusSinceShowsTheAccountsHistory(t *testing.T) {
	noCredentials(t)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	a := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	b := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: 30, HealthPort: -1})
	statusAt(t, a)
	statusAt(t, b)
	statusAt(t, a) // unchanged: no new sample
	// A new web droplet on web-1.6.0 joins account a.
	img := a.ImageID(t, "web-1.6.0")
	if _, _, err := a.Client.Droplets.Create(t.Context(), &godo.DropletCreateRequest{Name: "web-extra", Region: "nyc3",
		Size: "s-2vcpu-4gb", Image: godo.DropletCreateImage{ID: img}, Tags: []string{"role:web"}, SSHKeys: []godo.DropletCreateSSHKey{{ID: 1234}}}); err != nil {
		t.Fatal(err)
	}
	got := statusAt(t, a, "--since", "1d")
	h := got.History
	if h == nil || len(h.Samples) != 2 || sampleTotal(h.Samples[0].Roles) != 48 || sampleTotal(h.Samples[1].Roles) != 49 {
		t.Fatalf("account a's history: %+v; want two samples, 48 then 49 droplets", h)
	}
	if n := h.Samples[1].Roles["web"]["image:"+strconv.Itoa(img)]; n != 3 {
		t.Fatalf("web-1.6.0 runs %d web servers in the last sample, want 3", n)
	}
	for _, v := range h.Versions {
		if v.FirstSeen == nil || v.LagServerDays == nil || (v.Role == "web" && v.Key == "image:"+strconv.Itoa(img) && v.Reached50 != nil) {
			t.Errorf("version %+v: first_seen and lag_server_days are always there; web-1.6.0 has not reached 50%%", v)
		}
	}
	if hb := statusAt(t, b, "--since", "30d").History; len(hb.Samples) != 1 || sampleTotal(hb.Samples[0].Roles) != 30 {
		t.Fatalf("account b's history: %+v; want one sample of its 30 droplets", hb)
	}
	dirs, err := os.ReadDir(filepath.Join(state, "molt", "accounts"))
	if err != nil || len(dirs) != 2 {
		t.Fatalf("accounts directories %v (%v), want one per account", dirs, err)
	}
	if _, err := os.Stat(filepath.Join(state, "molt", "accounts", a.Sim.AccountUUID(), "spread.jsonl")); err != nil {
		t.Fatalf("account a's history is not under its UUID: %v", err)
	}
	if got.HourlyUSD == nil || got.MonthlyUSD == nil || got.Roles[0].HourlyUSD == nil || got.Versions[0].MonthlyUSD == nil {
		t.Fatalf("the report lacks hourly_usd/monthly_usd at the top, per role or per version")
	}
}

// A read of one role's tag is kept for that role; a read of another tag is not kept.
func TestStatusByTagKeepsOnlyWhatTheReadCovers(t *testing.T) {
	noCredentials(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	statusAt(t, env, "--tag", "env:prod")
	if h := statusAt(t, env, "--tag", "role:web", "--since", "1d").History; len(h.Samples) != 1 || len(h.Samples[0].Roles) != 1 ||
		sampleTotal(h.Samples[0].Roles) != 21 {
		t.Fatalf("history %+v; want one sample of web's 21 servers only", h)
	}
}

func TestStatusSinceText(t *testing.T) {
	noCredentials(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	for _, format := range []string{"text", "markdown"} {
		code, out, errOut := molt(t, "status", "--since", "2w", "-o", format)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, want := range []string{"Trend over 14 days", "FIRST SEEN", "NOW", "Version lag", "a month", "$/MONTH"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s output lacks %q:\n%s", format, want, out)
			}
		}
	}
	for _, bad := range []string{"3x", "0d", "-2h", "d"} {
		code, _, errOut := molt(t, "status", "--since", bad)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "--since") {
			t.Errorf("--since %s: exit %d, stderr %q; want exit 2 and one sentence", bad, code, errOut)
		}
	}
}

// cockpitDeps are the cockpit's dependencies on env, as `molt` makes them.
func cockpitDeps(t *testing.T, env *dosimtest.Env) ui.Deps {
	t.Helper()
	ctx := t.Context()
	a := &app{build: testBuild}
	root := a.rootCmd()
	for flag, v := range map[string]string{flagAPIURL: env.URL, flagAccessToken: env.Token} {
		if err := root.PersistentFlags().Set(flag, v); err != nil {
			t.Fatal(err)
		}
	}
	s, err := a.connect(ctx, root, connectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	eng, err := newEngine(ctx, s, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(context.Background()) })
	return tuiDeps(ctx, root, s, eng)
}

// The cockpit's refreshes (the TUI's and molt serve's loads) keep the spread history.
func TestTUILoadsKeepTheSpreadHistory(t *testing.T) {
	env, _ := engineSim(t, dosim.Config{HealthPort: -1})
	ctx := t.Context()
	deps := cockpitDeps(t, env)
	if _, err := deps.Load(ctx, nil); err != nil {
		t.Fatal(err)
	}
	img := env.ImageID(t, "worker-2.2.0")
	if _, _, err := env.Client.Droplets.Create(ctx, &godo.DropletCreateRequest{Name: "worker-extra", Region: "nyc3",
		Size: "s-4vcpu-8gb", Image: godo.DropletCreateImage{ID: img}, Tags: []string{"role:worker"}, SSHKeys: []godo.DropletCreateSSHKey{{ID: 1234}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := deps.Load(ctx, nil); err != nil { // a refresh through the action feed
		t.Fatal(err)
	}
	h := statusAt(t, env, "--since", "1h").History
	if len(h.Samples) != 2 || h.Samples[1].Roles["worker"]["image:"+strconv.Itoa(img)] != h.Samples[0].Roles["worker"]["image:"+strconv.Itoa(img)]+1 {
		t.Fatalf("history after two refreshes: %+v; want the fleet, then one more worker on worker-2.2.0", h.Samples)
	}
}

// A cockpit refresh and the two audits after it (the marks, then health) read the action
// feed once between them.
func TestCockpitRefreshAndAuditShareTheFeed(t *testing.T) {
	env, _ := engineSim(t, dosim.Config{HealthPort: -1})
	ctx := t.Context()
	deps := cockpitDeps(t, env)
	feedReads := func(f func()) int {
		before := env.Sim.Stats().ByRoute["GET /v2/actions"]
		f()
		return env.Sim.Stats().ByRoute["GET /v2/actions"] - before
	}
	cycle := func() {
		servers, err := deps.Load(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		sp := fleet.NewSpread(servers, fleet.Options{})
		for _, probe := range []bool{false, true} { // as the cockpit runs them: marks, then health
			if _, err := deps.Audit(ctx, sp, probe); err != nil {
				t.Fatal(err)
			}
		}
	}
	cycle() // the first read and the first audit (which reads the drift window back)
	if n := feedReads(cycle); n != 1 {
		t.Fatalf("a refresh and its audit read the feed %d times; want once", n)
	}
}
