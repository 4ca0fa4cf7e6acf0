package fleet_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// progress records what Load reports.
type progress struct {
	mu    sync.Mutex
	calls [][2]int
}

func (p *progress) record(done, total int) {
	p.mu.Lock()
	p.calls = append(p.calls, [2]int{done, total})
	p.mu.Unlock()
}

func TestLoadDemoSpread(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	var p progress
	servers, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{OnProgress: p.record})
	if err != nil {
		t.Fatal(err)
	}
	if len(servers) != 48 || len(p.calls) != 1 || p.calls[0] != [2]int{1, 1} {
		t.Fatalf("loaded %d servers with progress %v, want the demo's 48 in one page", len(servers), p.calls)
	}
	s := fleet.NewSpread(servers, fleet.Options{})
	if len(s.Releases) != 11 || s.Total != 48 || len(s.Stragglers) != 41 {
		t.Fatalf("spread: %d releases, %d servers, %d stragglers; want 11, 48, 41", len(s.Releases), s.Total, len(s.Stragglers))
	}
	want := map[string]struct {
		count, stragglers int
		newest            string
		releases          []string
	}{
		"edge":   {11, 10, "edge-1.2.0", []string{"edge-1.2.0", "edge-1.1.0", "edge-1.0.0", "edge-0.9.0"}},
		"web":    {21, 19, "web-1.6.0", []string{"web-1.6.0", "web-1.5.0", "web-1.4.0", "web-1.3.0"}},
		"worker": {16, 12, "worker-2.2.0", []string{"worker-2.2.0", "worker-2.1.0", "worker-2.0.0"}},
	}
	for _, rs := range s.Roles {
		w := want[rs.Role]
		var got []string
		for _, r := range rs.Releases {
			got = append(got, r.Label)
		}
		if rs.Count != w.count || rs.Stragglers != w.stragglers || rs.Newest.Label != w.newest || strings.Join(got, " ") != strings.Join(w.releases, " ") {
			t.Errorf("role %s: %d servers, %d stragglers, newest %s, releases %v; want %+v",
				rs.Role, rs.Count, rs.Stragglers, rs.Newest.Label, got, w)
		}
	}
	if s.Oldest.Label != "edge-0.9.0" || s.OldestAge/(24*time.Hour) != 201 {
		t.Errorf("oldest image = %s, %s old; want edge-0.9.0, 201 days", s.Oldest.Label, s.OldestAge)
	}
	web15 := s.Releases[indexOf(s, "web-1.5.0")]
	if web15.Count != 12 || web15.Regions["nyc3"]+web15.Regions["fra1"] != 12 || web15.Regions["sfo3"] != 0 {
		t.Errorf("web-1.5.0: %d servers in %v; want 12 across nyc3 and fra1", web15.Count, web15.Regions)
	}
	if edge12 := s.Releases[indexOf(s, "edge-1.2.0")]; edge12.Regions["sfo3"] != 0 {
		t.Errorf("edge-1.2.0 was not copied to sfo3, yet has servers there: %v", edge12.Regions)
	}
	if s.Regions[0] != "fra1" || len(s.Regions) != 3 {
		t.Errorf("regions = %v, want fra1 nyc3 sfo3", s.Regions)
	}
}

func indexOf(s *fleet.Spread, label string) int {
	for i, r := range s.Releases {
		if r.Label == label {
			return i
		}
	}
	return -1
}

func TestLoadShowsImagesThatNoLongerExist(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	servers, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{Tag: "role:edge"})
	if err != nil {
		t.Fatal(err)
	}
	old := fleet.NewSpread(servers, fleet.Options{}).Roles[0].Releases[3] // edge-0.9.0
	if _, err := env.Client.Images.Delete(t.Context(), old.Image.ImageID); err != nil {
		t.Fatal(err)
	}
	servers, err = fleet.Load(t.Context(), env.Client, fleet.LoadOptions{Tag: "role:edge"})
	if err != nil {
		t.Fatal(err)
	}
	// The droplet's own image object is all there is: the simulator keeps the ID and marks
	// the image deleted.
	r := fleet.NewSpread(servers, fleet.Options{}).Release(old.Key)
	if r == nil || r.Count != 1 || r.Image.ImageID != old.Image.ImageID || r.Label == "" {
		t.Fatalf("after deleting its image, the release is %+v; want it still counted", r)
	}
}

func TestLoadByTagFiltersOnTheAPI(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	servers, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{Tag: "role:worker"})
	if err != nil {
		t.Fatal(err)
	}
	if len(servers) != 16 {
		t.Fatalf("loaded %d workers, want 16", len(servers))
	}
}

func TestLoadScaleTenThousand(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: 10000, HealthPort: -1})
	var p progress
	servers, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{OnProgress: p.record})
	if err != nil {
		t.Fatal(err)
	}
	if len(servers) != 10000 {
		t.Fatalf("loaded %d servers, want 10000", len(servers))
	}
	seen := map[int]bool{}
	for _, s := range servers {
		seen[s.ID] = true
	}
	if len(seen) != 10000 {
		t.Fatalf("%d distinct droplets, want 10000", len(seen))
	}
	if len(p.calls) != 50 || p.calls[0] != [2]int{1, 50} || p.calls[49] != [2]int{50, 50} {
		t.Fatalf("progress reported %d times (first %v), want 50 from 1/50 to 50/50", len(p.calls), p.calls[0])
	}
	s := fleet.NewSpread(servers, fleet.Options{})
	if len(s.Roles) != 3 || s.Roles[1].Count != 3334 || s.Roles[0].Count != 3333 {
		t.Fatalf("roles = %s %d, %s %d; want edge 3333, web 3334", s.Roles[0].Role, s.Roles[0].Count, s.Roles[1].Role, s.Roles[1].Count)
	}
}

func TestLoadFailedPageIsAnErrorNotASmallerFleet(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: 2000, HealthPort: -1})
	opt := fleet.LoadOptions{OnProgress: func(done, total int) {
		if done == 1 { // the first page is in: fail one of the others
			if _, err := env.Sim.AddFault(dosim.Fault{Method: "GET", Path: "/v2/droplets", Status: 500, Count: 1}); err != nil {
				t.Error(err)
			}
		}
	}}
	servers, err := fleet.Load(t.Context(), env.Client, opt)
	if err == nil || servers != nil {
		t.Fatalf("Load = %d servers, %v; want no servers and an error", len(servers), err)
	}
	var pe *fleet.PageError
	if !errors.As(err, &pe) || pe.Page < 2 || pe.Pages != 10 {
		t.Fatalf("error = %v, want a PageError for a page after the first of 10", err)
	}
	msg := fleet.Explain(err, fleet.Credentials{APIURL: env.URL}).Error()
	if !strings.Contains(msg, "500 Internal Server Error") || !strings.Contains(msg, "nothing is shown") {
		t.Fatalf("explained as %q", msg)
	}
}

// createOnFirstPage creates a droplet each time Load has read a first page, up to times.
func createOnFirstPage(t *testing.T, env *dosimtest.Env, times int) func(done, total int) {
	t.Helper()
	ds, _, err := env.Client.Droplets.List(t.Context(), &godo.ListOptions{PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	req := &godo.DropletCreateRequest{Region: ds[0].Region.Slug, Size: ds[0].SizeSlug, Image: godo.DropletCreateImage{ID: ds[0].Image.ID}}
	return func(done, total int) {
		if done != 1 || times == 0 {
			return
		}
		times--
		req.Name = "late-" + strconv.Itoa(times)
		if _, _, err := env.Client.Droplets.Create(t.Context(), req); err != nil {
			t.Error(err)
		}
	}
}

func TestLoadRereadsAFleetThatChangedMidway(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: 1000, HealthPort: -1})
	servers, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{OnProgress: createOnFirstPage(t, env, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(servers) != 1001 {
		t.Fatalf("loaded %d servers, want the 1001 there are after the create", len(servers))
	}
}

func TestLoadRefusesAFleetThatKeepsChanging(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: 1000, HealthPort: -1})
	servers, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{OnProgress: createOnFirstPage(t, env, 2)})
	if !errors.Is(err, fleet.ErrFleetChanged) || servers != nil {
		t.Fatalf("Load = %d servers, %v; want ErrFleetChanged", len(servers), err)
	}
}

func TestLoadWrongTokenNamesTheSource(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	const bad = "dop_v1_0000000000000000000000000000000000000000000000000000000000000000"
	_, err := fleet.Load(t.Context(), env.NewClient(t, bad, true), fleet.LoadOptions{})
	creds := fleet.Credentials{Token: bad, Source: fleet.SourceEnv, APIURL: env.URL}
	msg := fleet.Explain(err, creds).Error()
	for _, want := range []string{"401 Unauthorized", "DIGITALOCEAN_ACCESS_TOKEN", env.URL} {
		if !strings.Contains(msg, want) {
			t.Errorf("explained as %q; want it to mention %q", msg, want)
		}
	}
	if strings.Contains(msg, bad) || strings.Contains(err.Error(), bad) {
		t.Errorf("the token leaked into %q", msg)
	}
}

func TestLoadUnreachableNamesTheURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	creds := fleet.Credentials{Token: "t", APIURL: url}
	c, err := fleet.NewClient(creds, fleet.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = fleet.Load(t.Context(), c, fleet.LoadOptions{})
	msg := fleet.Explain(err, creds).Error()
	if !strings.Contains(msg, "cannot reach the API at "+url) || !strings.Contains(msg, "connection refused") {
		t.Fatalf("explained as %q", msg)
	}
}

// rateGate answers some requests of a simulator the way DigitalOcean answers a client over
// its burst limit: 429, no requests remaining, retry-after one second. (The simulator's own
// limiter counts a sliding minute, so its 429s ask for waits too long for a test.)
type rateGate struct {
	sim         http.Handler
	mu          sync.Mutex
	n, from, to int
}

func (g *rateGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.n++
	limited := g.n >= g.from && g.n <= g.to
	g.mu.Unlock()
	if !limited {
		g.sim.ServeHTTP(w, r)
		return
	}
	h := w.Header()
	h.Set("ratelimit-limit", "5000")
	h.Set("ratelimit-remaining", "0")
	h.Set("ratelimit-reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	h.Set("retry-after", "1")
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(`{"id":"too_many_requests","message":"API Rate limit exceeded.","request_id":"4d9d8375-3c56-4925-a3e7-eb137fed17e9"}`))
}

func TestLoadWaitsOutRateLimits(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: 2000, HealthPort: -1})
	srv := httptest.NewServer(&rateGate{sim: env.Sim, from: 3, to: 6}) // during the parallel round
	t.Cleanup(srv.Close)
	gated := *env
	gated.URL = srv.URL
	var (
		mu    sync.Mutex
		waits []time.Duration
	)
	start := time.Now()
	servers, err := fleet.Load(t.Context(), gated.NewClient(t, env.Token, true), fleet.LoadOptions{OnWait: func(d time.Duration) {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(servers) != 2000 {
		t.Fatalf("loaded %d servers after the rate limit, want 2000", len(servers))
	}
	if len(waits) != 1 || waits[0] != time.Second {
		t.Fatalf("waits reported: %v; want one one-second wait for the workers limited together", waits)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Fatalf("load took %s: it did not wait for the retry time", elapsed)
	}
}

func TestLoadHonoursCancellation(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: 1000, HealthPort: -1, Latency: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := fleet.Load(ctx, env.Client, fleet.LoadOptions{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if time.Since(start) > 150*time.Millisecond {
		t.Fatalf("Load returned %s after its context ended", time.Since(start))
	}
}

func TestClientSharesItsLimiter(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: 1000, HealthPort: -1})
	lim := fleet.NewLimiter(250)
	c, err := fleet.NewClient(fleet.Credentials{Token: fleet.Secret(env.Token), APIURL: env.URL},
		fleet.ClientOptions{Limiter: lim, UserAgent: "molt/test"})
	if err != nil {
		t.Fatal(err)
	}
	servers, err := fleet.Load(t.Context(), c, fleet.LoadOptions{Limiter: lim})
	if err != nil || len(servers) != 1000 {
		t.Fatalf("Load = %d servers, %v", len(servers), err)
	}
	if got := lim.Available(); got < 240 || got > 245 {
		t.Fatalf("limiter has %d requests left after 5 pages, want about 245", got)
	}
}

func TestLimiterPausesAfterA429(t *testing.T) {
	lim := fleet.NewLimiter(250)
	h := http.Header{}
	h.Set("Retry-After", "2")
	h.Set("RateLimit-Remaining", "0")
	lim.Observe(http.StatusTooManyRequests, h)
	if lim.Available() != 0 {
		t.Fatalf("Available = %d during a pause, want 0", lim.Available())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := lim.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait during a two-second pause = %v, want it to block until the context ends", err)
	}
}

func TestLimiterBoundsByTheHourlyAllowance(t *testing.T) {
	lim := fleet.NewLimiter(250)
	h := http.Header{}
	h.Set("RateLimit-Remaining", "7")
	lim.Observe(http.StatusOK, h)
	if lim.Available() != 7 {
		t.Fatalf("Available = %d, want the 7 the API said were left this hour", lim.Available())
	}
}
