package fleet_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// demoAudit reads the demo world with its extras and audits it with opt (its Drift read
// from the world's feed into dir).
func demoAudit(t *testing.T, env *dosimtest.Env, dir string, opt fleet.AuditOptions) (*fleet.Spread, *fleet.Audit) {
	t.Helper()
	servers, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if opt.Drift, _, err = fleet.ReadDrift(t.Context(), env.Client, fleet.DriftOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	sp := fleet.NewSpread(servers, fleet.Options{})
	return sp, sp.Audit(opt)
}

// The demo's four hand-changed droplets are drifted, with the types and times of their
// changes (the seed makes each some days after the droplet's creation, at 03:17); the
// power cycle around the resize is not a change; the pets are the two droplets built
// from distribution images; with a 60-day lifetime, the servers older than 60 days are
// over age.
func TestAuditOfTheDemo(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{DemoExtras: true, HealthPort: -1})
	sp, a := demoAudit(t, env, t.TempDir(), fleet.AuditOptions{MaxAge: map[string]time.Duration{fleet.AnyRole: 60 * fleet.Day}})
	want := map[string]struct {
		days    int
		types   []string
		offsets []time.Duration
	}{
		"worker-nyc3-02": {20, []string{"resize"}, []time.Duration{2 * time.Minute}},
		"edge-fra1-01":   {40, []string{"password_reset"}, []time.Duration{0}},
		"web-nyc3-03":    {30, []string{"rebuild"}, []time.Duration{0}},
		"web-fra1-02":    {12, []string{"change_kernel"}, []time.Duration{0}},
	}
	drifted := map[string]bool{}
	for _, f := range a.Findings {
		if f.Kind != fleet.Drifted {
			continue
		}
		drifted[f.Server.Name] = true
		w, ok := want[f.Server.Name]
		if !ok {
			t.Errorf("%s is drifted (%s), but nobody changed it", f.Server.Name, f.Detail)
			continue
		}
		if len(f.Changes) != len(w.types) {
			t.Fatalf("%s: changes %v, want %v", f.Server.Name, f.Changes, w.types)
		}
		for i, c := range f.Changes {
			at := f.Server.CreatedAt.AddDate(0, 0, w.days).Add(3*time.Hour + 17*time.Minute + w.offsets[i])
			if c.Type != w.types[i] || !c.At.Equal(at) {
				t.Errorf("%s: change %s at %s, want %s at %s", f.Server.Name, c.Type, c.At, w.types[i], at)
			}
		}
		if !f.Since.Equal(f.Changes[0].At) || !strings.Contains(f.Detail, w.types[0]) {
			t.Errorf("%s: since %s, detail %q", f.Server.Name, f.Since, f.Detail)
		}
	}
	if len(drifted) != len(want) {
		t.Errorf("drifted: %v, want the four changed by hand", drifted)
	}
	pets := map[string]string{}
	for _, f := range a.Findings {
		if f.Kind == fleet.Pet {
			pets[f.Server.Name] = f.Detail
		}
	}
	if len(pets) != 2 || !strings.Contains(pets["bastion-nyc3"], "distribution image Ubuntu 22.04") || !strings.Contains(pets["metrics-fra1"], "distribution image") {
		t.Errorf("pets: %v, want bastion-nyc3 and metrics-fra1", pets)
	}
	checkOverAge(t, sp, a, 60*fleet.Day)
}

// checkOverAge holds the over-age findings to the servers' creation times.
func checkOverAge(t *testing.T, sp *fleet.Spread, a *fleet.Audit, limit time.Duration) {
	t.Helper()
	perRole := map[string]int{}
	for _, s := range sp.Servers() {
		if sp.At.Sub(s.CreatedAt) > limit {
			perRole[sp.Options.Role(s)]++
			if !a.Has(s.ID, fleet.OverMaxAge) {
				t.Errorf("%s is %d days old but not over age", s.Name, s.AgeDays(sp.At))
			}
		}
	}
	for _, r := range a.Roles {
		if r.OverMaxAge != perRole[r.Role] {
			t.Errorf("role %s: %d over age, want %d", r.Role, r.OverMaxAge, perRole[r.Role])
		}
	}
	// The demo's ages, as its seed has them: web 1.3.0 and 1.4.0 (142 and 88 days),
	// worker 2.0.0 (120), edge 0.9.0 and 1.0.0 (201 and 95), and the two pets.
	want := map[string]int{"web": 7, "worker": 3, "edge": 4, "bastion": 1, "metrics": 1}
	for role, n := range want {
		if got := a.Role(role).OverMaxAge; got != n {
			t.Errorf("role %s: %d over 60 days, want %d", role, got, n)
		}
	}
}

// A second audit of an unchanged account reads one page of the action feed; a change
// since is seen at the cost of that page; a destroyed droplet leaves the log.
func TestDriftReadsOnlyWhatIsNew(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: 2000, HealthPort: -1, RatePerMinute: 1 << 20, RatePerHour: 1 << 30})
	c := env.NewClient(t, env.Token, false)
	dir := t.TempDir()
	log, first, err := fleet.ReadDrift(t.Context(), c, fleet.DriftOptions{Dir: dir})
	if err != nil || !first.Fresh || first.Pages < 3 || len(log.Droplets) != 0 {
		t.Fatalf("first audit: %v, %+v, %d drifted", err, first, len(log.Droplets))
	}
	var second fleet.DriftRead
	if n := requests(env, func() { _, second, err = fleet.ReadDrift(t.Context(), c, fleet.DriftOptions{Dir: dir}) }); err != nil || n != 1 || second.Fresh {
		t.Fatalf("second audit: %d requests, %+v, %v; want one page", n, second, err)
	}
	ds, _, err := c.Droplets.List(t.Context(), &godo.ListOptions{PerPage: 2})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := c.DropletActions.EnableIPv6(t.Context(), ds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Droplets.Delete(t.Context(), ds[1].ID); err != nil {
		t.Fatal(err)
	}
	if n := requests(env, func() { log, _, err = fleet.ReadDrift(t.Context(), c, fleet.DriftOptions{Dir: dir}) }); err != nil || n != 1 {
		t.Fatalf("third audit: %d requests, %v", n, err)
	}
	got := log.Droplets[ds[0].ID]
	if len(got) != 1 || got[0].Type != "enable_ipv6" || got[0].Action != a.ID || len(log.Droplets) != 1 {
		t.Errorf("after enabling IPv6 on %d: %v", ds[0].ID, log.Droplets)
	}
	t.Logf("first audit %d pages (%d actions), then 1", first.Pages, first.Actions)

	// A refresh of the inventory reads the feed's newest page; the audit after it takes
	// that page and reads nothing, and still sees the change made before the refresh.
	inv := fleet.NewInventory(c, fleet.LoadOptions{})
	if _, err := inv.Refresh(t.Context(), fleet.RefreshOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	b, _, err := c.DropletActions.PasswordReset(t.Context(), ds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	waitAction(t, c, b.ID)
	r, err := inv.Refresh(t.Context(), fleet.RefreshOptions{}, nil)
	if err != nil || len(r.Feed) == 0 {
		t.Fatalf("refresh: %v, a feed page of %d actions", err, len(r.Feed))
	}
	var shared fleet.DriftRead
	if n := requests(env, func() {
		log, shared, err = fleet.ReadDrift(t.Context(), c, fleet.DriftOptions{Dir: dir, FirstPage: r.Feed})
	}); err != nil || n != 0 || !shared.Shared {
		t.Fatalf("audit with the refresh's page: %d requests, %+v, %v; want none", n, shared, err)
	}
	if got := log.Droplets[ds[0].ID]; len(got) != 2 || got[1].Type != "password_reset" {
		t.Errorf("after a password reset on %d: %v", ds[0].ID, got)
	}
}

// A drift log that was torn (the process died while writing it, or the disk filled) is
// read again from the feed, and says so; so is one that knows less than the window asks.
func TestDriftStartsOverFromADamagedLog(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{DemoExtras: true, HealthPort: -1})
	dir := t.TempDir()
	if _, _, err := fleet.ReadDrift(t.Context(), env.Client, fleet.DriftOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "drift.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	var said []string
	logf := func(format string, a ...any) { said = append(said, format) }
	log, r, err := fleet.ReadDrift(t.Context(), env.Client, fleet.DriftOptions{Dir: dir, Logf: logf})
	if err != nil || !r.Fresh || !strings.Contains(r.Why, "damaged") || len(said) == 0 || len(log.Droplets) != 4 {
		t.Fatalf("torn log: %v, %+v, said %q, %d drifted", err, r, said, len(log.Droplets))
	}
	if !log.Complete {
		t.Errorf("the demo's feed fits a page, but the log does not know it all (since %s)", log.From)
	}
	// Pages of ten: the first audit stops once past the window, and knows that far back.
	dir = t.TempDir()
	opt := fleet.DriftOptions{Dir: dir, PerPage: 10}
	if log, r, err = fleet.ReadDrift(t.Context(), env.Client, opt); err != nil || log.Complete || r.Pages > 5 || log.From.After(time.Now().Add(-fleet.DefaultDriftWindow)) {
		t.Fatalf("first audit by pages of ten: %v, %+v, complete %v from %s", err, r, log.Complete, log.From)
	}
	opt.Window = 400 * fleet.Day
	if _, r, err = fleet.ReadDrift(t.Context(), env.Client, opt); err != nil || !r.Fresh || !strings.Contains(r.Why, "further back") {
		t.Fatalf("a wider window: %v, %+v", err, r)
	}
	opt.Window = 0
	if _, r, _ = fleet.ReadDrift(t.Context(), env.Client, opt); r.Fresh {
		t.Errorf("a narrower window than the log knows read afresh: %+v", r)
	}
}
