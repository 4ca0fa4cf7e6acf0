package dosim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// listPage is a droplet listing as it travels on the wire.
type listPage struct {
	Droplets []json.RawMessage `json:"droplets"`
	Links    map[string]any    `json:"links"`
	Meta     struct {
		Total *int `json:"total"`
	} `json:"meta"`
}

func rawList(t *testing.T, env *dosimtest.Env, query string) listPage {
	t.Helper()
	resp, body := raw(t, env, http.MethodGet, "/v2/droplets"+query, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v2/droplets%s: %d %s", query, resp.StatusCode, body)
	}
	var p listPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("decode listing: %v", err)
	}
	if p.Meta.Total == nil {
		t.Fatalf("listing has no meta.total: %s", body)
	}
	return p
}

// pages returns links.pages of a listing as strings, or nil when DigitalOcean would send
// an empty links object.
func pages(t *testing.T, p listPage) map[string]string {
	t.Helper()
	pg, ok := p.Links["pages"]
	if !ok {
		return nil
	}
	m, ok := pg.(map[string]any)
	if !ok {
		t.Fatalf("links.pages is %T", pg)
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

func TestPaginationSinglePage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		seed     string
		droplets int
		per      int
		want     int
	}{
		{"empty", 0, 0, 0},
		{"scale", 1, 0, 1},
		{"scale", 200, 200, 200},
		{"scale", 20, 0, 20},
	} {
		t.Run(fmt.Sprintf("%s-%d-per-%d", c.seed, c.droplets, c.per), func(t *testing.T) {
			env := start(t, dosim.Config{Seed: c.seed, Droplets: c.droplets, HealthPort: -1})
			query := ""
			if c.per > 0 {
				query = "?per_page=" + strconv.Itoa(c.per)
			}
			p := rawList(t, env, query)
			if len(p.Droplets) != c.want || *p.Meta.Total != c.want {
				t.Fatalf("got %d droplets, meta.total %d; want %d", len(p.Droplets), *p.Meta.Total, c.want)
			}
			if len(p.Links) != 0 {
				t.Errorf("a single page has links {} on DigitalOcean, got %v", p.Links)
			}
			list, resp, err := env.Client.Droplets.List(context.Background(), &godo.ListOptions{PerPage: c.per})
			if err != nil {
				t.Fatal(err)
			}
			cur, err := resp.Links.CurrentPage()
			if err != nil || cur != 1 || !resp.Links.IsLastPage() || len(list) != c.want || resp.Meta.Total != c.want {
				t.Errorf("godo: current page %d (%v), last %v, %d droplets, total %d", cur, err, resp.Links.IsLastPage(), len(list), resp.Meta.Total)
			}
		})
	}
}

func TestPaginationTwoPages(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{Seed: "scale", Droplets: 201, HealthPort: -1})
	first := rawList(t, env, "?per_page=200")
	want := map[string]string{
		"next": env.URL + "/v2/droplets?page=2&per_page=200",
		"last": env.URL + "/v2/droplets?page=2&per_page=200",
	}
	if got := pages(t, first); !equalMaps(got, want) || len(first.Droplets) != 200 || *first.Meta.Total != 201 {
		t.Errorf("page 1: %d droplets, total %d, pages %v; want 200, 201, %v", len(first.Droplets), *first.Meta.Total, got, want)
	}
	second := rawList(t, env, "?page=2&per_page=200")
	want = map[string]string{
		"first": env.URL + "/v2/droplets?page=1&per_page=200",
		"prev":  env.URL + "/v2/droplets?page=1&per_page=200",
	}
	if got := pages(t, second); !equalMaps(got, want) || len(second.Droplets) != 1 || *second.Meta.Total != 201 {
		t.Errorf("page 2: %d droplets, total %d, pages %v; want 1, 201, %v", len(second.Droplets), *second.Meta.Total, got, want)
	}
	_, resp, err := env.Client.Droplets.List(context.Background(), &godo.ListOptions{Page: 2, PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	if cur, _ := resp.Links.CurrentPage(); cur != 2 || !resp.Links.IsLastPage() {
		t.Errorf("godo on page 2: current %d, last %v", cur, resp.Links.IsLastPage())
	}
	if got := len(listAll(t, env, "", 200)); got != 201 {
		t.Errorf("listing all pages gave %d droplets, want 201", got)
	}
}

func TestPaginationTenThousand(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{Seed: "scale", Droplets: 10000, HealthPort: -1})
	link := func(page, per int) string {
		return fmt.Sprintf("%s/v2/droplets?page=%d&per_page=%d", env.URL, page, per)
	}
	mid := rawList(t, env, "?page=250")
	want := map[string]string{"first": link(1, 20), "prev": link(249, 20), "next": link(251, 20), "last": link(500, 20)}
	if got := pages(t, mid); !equalMaps(got, want) || len(mid.Droplets) != 20 || *mid.Meta.Total != 10000 {
		t.Errorf("page 250 of 500: %d droplets, pages %v; want 20, %v", len(mid.Droplets), got, want)
	}
	capped := rawList(t, env, "?per_page=1000")
	want = map[string]string{"next": link(2, 200), "last": link(50, 200)}
	if got := pages(t, capped); len(capped.Droplets) != 200 || !equalMaps(got, want) {
		t.Errorf("per_page=1000: %d droplets, pages %v; want 200 and %v", len(capped.Droplets), got, want)
	}
	_, resp, err := env.Client.Droplets.List(context.Background(), &godo.ListOptions{Page: 7, PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	if cur, _ := resp.Links.CurrentPage(); cur != 7 || resp.Links.IsLastPage() || resp.Meta.Total != 10000 {
		t.Errorf("godo on page 7: current %d, last %v, total %d", cur, resp.Links.IsLastPage(), resp.Meta.Total)
	}
	// The whole walk without validating each megabyte page again: page 7 was validated.
	unvalidated := &dosimtest.Env{Client: env.NewClient(t, env.Token, false)}
	seen := map[int]bool{}
	prev := 0
	for _, d := range listAll(t, unvalidated, "", 200) {
		if seen[d.ID] || d.ID < prev {
			t.Fatalf("droplet %d listed twice or out of order", d.ID)
		}
		seen[d.ID], prev = true, d.ID
	}
	if len(seen) != 10000 {
		t.Errorf("listed %d distinct droplets, want 10000", len(seen))
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{HealthPort: -1})
	all := listAll(t, env, "", 200)
	web := listAll(t, env, "role:web", 5)
	wantWeb := 0
	for _, d := range all {
		if hasTag(d.Tags, "role:web") {
			wantWeb++
		}
	}
	if wantWeb == 0 || len(web) != wantWeb {
		t.Fatalf("tag_name=role:web gave %d droplets, want %d", len(web), wantWeb)
	}
	for _, d := range web {
		if !hasTag(d.Tags, "role:web") {
			t.Errorf("droplet %s listed under role:web has tags %v", d.Name, d.Tags)
		}
	}
	p := rawList(t, env, "?tag_name=role:web&per_page=5")
	if got := pages(t, p)["next"]; got != env.URL+"/v2/droplets?page=2&per_page=5&tag_name=role%3Aweb" {
		t.Errorf("next link of a tag listing keeps the filter: got %q", got)
	}
	named, _, err := env.Client.Droplets.ListByName(context.Background(), all[3].Name, nil)
	if err != nil || len(named) != 1 || named[0].ID != all[3].ID {
		t.Errorf("name=%s: got %d droplets (%v)", all[3].Name, len(named), err)
	}
	none, resp, err := env.Client.Droplets.ListByTag(context.Background(), "no-such-tag", nil)
	if err != nil || len(none) != 0 || resp.Meta.Total != 0 {
		t.Errorf("unknown tag: %d droplets, %v", len(none), err)
	}
}

func hasTag(tags []string, tag string) bool {
	for _, x := range tags {
		if x == tag {
			return true
		}
	}
	return false
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestRateLimitPerMinute(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "empty", HealthPort: -1, RatePerMinute: 5})
	ctx := context.Background()
	for i := range 5 {
		_, resp, err := env.Client.Droplets.List(ctx, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		if resp.Rate.Limit != 5000 || resp.Rate.Remaining != 5000-(i+1) || resp.Rate.Reset.IsZero() {
			t.Errorf("request %d: rate %+v", i+1, resp.Rate)
		}
	}
	_, resp, err := env.Client.Droplets.List(ctx, nil)
	er := wantStatus(t, err, http.StatusTooManyRequests)
	if er.Message != "API Rate limit exceeded." {
		t.Errorf("429 message %q", er.Message)
	}
	ra, convErr := strconv.Atoi(resp.Header.Get("retry-after"))
	if convErr != nil || ra < 1 || ra > 60 {
		t.Errorf("retry-after %q, want 1..60 seconds", resp.Header.Get("retry-after"))
	}
	if resp.Rate.Limit != 5000 || resp.Rate.Remaining != 0 {
		t.Errorf("a spent burst allowance shows as ratelimit-remaining 0: %+v", resp.Rate)
	}
	hr, body := raw(t, env, http.MethodGet, "/v2/droplets", "", nil)
	checkErrorBody(t, hr, body, http.StatusTooManyRequests, "too_many_requests")
	hr, body = raw(t, env, http.MethodGet, "/v2/droplets", "wrong", nil)
	checkErrorBody(t, hr, body, http.StatusUnauthorized, "unauthorized")
}

func TestRateLimitPerHour(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "empty", HealthPort: -1, RatePerHour: 3})
	ctx := context.Background()
	for i := range 3 {
		if _, _, err := env.Client.Droplets.List(ctx, nil); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	_, resp, err := env.Client.Droplets.List(ctx, nil)
	wantStatus(t, err, http.StatusTooManyRequests)
	if resp.Rate.Limit != 3 || resp.Rate.Remaining != 0 {
		t.Errorf("hourly limit headers: %+v", resp.Rate)
	}
	// Each request counts for one hour from when it was made: the reset is when the
	// first one expires, and retry-after belongs to the burst limit only.
	if untilReset := time.Until(resp.Rate.Reset.Time); untilReset < 59*time.Minute || untilReset > time.Hour+time.Second {
		t.Errorf("reset in %v, want about an hour", untilReset)
	}
	if ra := resp.Header.Get("retry-after"); ra != "" {
		t.Errorf("retry-after %q on the hourly limit", ra)
	}
}

func TestFaultStatusCount(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	addFault(t, env, map[string]any{"method": "GET", "path": "/v2/droplets", "status": 503, "count": 2})
	for i := range 2 {
		_, _, err := env.Client.Droplets.List(ctx, nil)
		if er := wantStatus(t, err, http.StatusServiceUnavailable); er.RequestID == "" {
			t.Errorf("injected error %d has no request ID", i)
		}
	}
	if _, _, err := env.Client.Droplets.List(ctx, nil); err != nil {
		t.Errorf("the fault outlived its count: %v", err)
	}
	addFault(t, env, map[string]any{"path": "/v2/droplets/*", "status": 500})
	_, _, err := env.Client.Droplets.Get(ctx, 1)
	wantStatus(t, err, http.StatusInternalServerError)
	if _, _, err := env.Client.Droplets.List(ctx, nil); err != nil {
		t.Errorf("a fault on /v2/droplets/* hit /v2/droplets: %v", err)
	}
	if resp, _ := raw(t, env, http.MethodDelete, "/_sim/faults", "", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE /_sim/faults: %d", resp.StatusCode)
	}
	_, _, err = env.Client.Droplets.Get(ctx, 1)
	wantStatus(t, err, http.StatusNotFound)
	for _, bad := range []map[string]any{{"path": "/v2/*"}, {"status": 200}, {"status": 500, "probability": 2}, {"path": "[", "status": 500}} {
		if resp, _ := raw(t, env, http.MethodPost, "/_sim/faults", "", bad); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("fault %v accepted: %d", bad, resp.StatusCode)
		}
	}
}

func TestFaultProbability(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1, RatePerMinute: 10000})
	ctx := context.Background()
	failures := func(n int) int {
		failed := 0
		for range n {
			if _, _, err := env.Client.Droplets.List(ctx, nil); err != nil {
				wantStatus(t, err, http.StatusBadGateway)
				failed++
			}
		}
		return failed
	}
	addFault(t, env, map[string]any{"method": "GET", "status": 502, "probability": 0})
	if n := failures(20); n != 0 {
		t.Errorf("probability 0 failed %d of 20", n)
	}
	raw(t, env, http.MethodDelete, "/_sim/faults", "", nil)
	addFault(t, env, map[string]any{"method": "GET", "status": 502, "probability": 1})
	if n := failures(20); n != 20 {
		t.Errorf("probability 1 failed %d of 20", n)
	}
	raw(t, env, http.MethodDelete, "/_sim/faults", "", nil)
	addFault(t, env, map[string]any{"method": "GET", "status": 502, "probability": 0.5})
	if n := failures(200); n < 50 || n > 150 {
		t.Errorf("probability 0.5 failed %d of 200", n)
	}
}

func TestFaultDropAndDelay(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	addFault(t, env, map[string]any{"method": "POST", "path": "/v2/droplets", "drop": true, "count": 1})
	d, resp, err := env.Client.Droplets.Create(ctx, createReq("dropped"))
	var er *godo.ErrorResponse
	if err == nil || errors.As(err, &er) || resp != nil || d != nil {
		t.Fatalf("a dropped connection gave a response: %v %v", resp, err)
	}
	if st := env.Sim.Stats(); st.Droplets != 0 {
		t.Errorf("a create dropped before it ran made %d droplets", st.Droplets)
	}
	addFault(t, env, map[string]any{"method": "GET", "path": "/v2/droplets", "delay": "150ms", "count": 1})
	start := time.Now()
	if _, _, err := env.Client.Droplets.List(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("delayed request took %v", el)
	}
	start = time.Now()
	if _, _, err := env.Client.Droplets.List(ctx, nil); err != nil || time.Since(start) > 100*time.Millisecond {
		t.Errorf("the delay outlived its count: %v, %v", time.Since(start), err)
	}
}

func TestFaultAfterCommit(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	addFault(t, env, map[string]any{"method": "POST", "path": "/v2/droplets", "status": 500, "after": true, "count": 1})
	_, _, err := env.Client.Droplets.Create(ctx, createReq("ghost", "slot:7"))
	wantStatus(t, err, http.StatusInternalServerError)
	byTag, _, err := env.Client.Droplets.ListByTag(ctx, "slot:7", nil)
	if err != nil || len(byTag) != 1 || byTag[0].Name != "ghost" {
		t.Fatalf("a create answered 500 after commit is not listed by tag: %d, %v", len(byTag), err)
	}
	byName, _, err := env.Client.Droplets.ListByName(ctx, "ghost", nil)
	if err != nil || len(byName) != 1 || byName[0].ID != byTag[0].ID {
		t.Errorf("by name: %d, %v", len(byName), err)
	}
	waitStatus(t, env, byTag[0].ID, "active")
}

func TestFaultLateCommit(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	addFault(t, env, map[string]any{"method": "POST", "path": "/v2/droplets", "status": 500, "late": true, "delay": "150ms", "count": 1})
	start := time.Now()
	_, _, err := env.Client.Droplets.Create(ctx, createReq("late", "slot:8"))
	wantStatus(t, err, http.StatusInternalServerError)
	if el := time.Since(start); el > 100*time.Millisecond {
		t.Errorf("a late fault answered after %v, want at once", el)
	}
	byTag, _, err := env.Client.Droplets.ListByTag(ctx, "slot:8", nil)
	if err != nil || len(byTag) != 0 {
		t.Fatalf("a late create is listed before its delay: %d, %v", len(byTag), err)
	}
	waitFor(t, 2*time.Second, "the late create", func() bool {
		byTag, _, err = env.Client.Droplets.ListByTag(ctx, "slot:8", nil)
		return err == nil && len(byTag) == 1
	})
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("the late create landed after %v, before its delay", el)
	}
	if byTag[0].Name != "late" {
		t.Errorf("the late create made %q", byTag[0].Name)
	}
	if st := env.Sim.Stats(); st.DropletsCreated != 1 || st.Droplets != 1 || st.ByRoute["POST /v2/droplets"] != 1 {
		t.Errorf("stats after a late create: %+v", st)
	}
	waitStatus(t, env, byTag[0].ID, "active")

	// Dropped, and the simulator closed before the delay: nothing is made.
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "POST", Path: "/v2/droplets", Drop: true, Late: true, Delay: 100 * time.Millisecond, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Client.Droplets.Create(ctx, createReq("never")); err == nil {
		t.Fatal("a dropped late create was answered")
	}
	env.Sim.Close()
	time.Sleep(200 * time.Millisecond)
	if st := env.Sim.Stats(); st.DropletsCreated != 1 {
		t.Errorf("a late create ran after the simulator closed: %d created", st.DropletsCreated)
	}

	for _, bad := range []dosim.Fault{
		{Status: 500, Late: true},
		{Delay: time.Second, Late: true},
		{Status: 500, Delay: time.Second, Late: true, After: true},
	} {
		if _, err := env.Sim.AddFault(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if f, err := dosim.ParseFault("POST /v2/droplets status=503 late delay=2s"); err != nil || !f.Late || f.Delay != 2*time.Second {
		t.Errorf("parse a late fault: %+v, %v", f, err)
	}
}

func TestStuckImage(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	probe := waitStatus(t, env, create(t, env, createReq("probe")).ID, "active")
	path := "/_sim/images/" + strconv.Itoa(probe.Image.ID)
	resp, body := raw(t, env, http.MethodPost, path, "", map[string]any{"stuck": true})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("mark stuck: %d %s", resp.StatusCode, body)
	}
	stuck := create(t, env, createReq("stuck"))
	time.Sleep(100 * time.Millisecond) // five provisioning delays
	if d := getDroplet(t, env, stuck.ID); d.Status != "new" || len(d.Networks.V4) != 0 {
		t.Errorf("a droplet of a stuck image is %s", d.Status)
	}
	if d := getDroplet(t, env, probe.ID); d.Status != "active" {
		t.Errorf("a droplet active before the mark is %s", d.Status)
	}
	raw(t, env, http.MethodPost, path, "", map[string]any{"stuck": false})
	waitStatus(t, env, stuck.ID, "active")
	if resp, _ := raw(t, env, http.MethodPost, "/_sim/images/1", "", map[string]any{"stuck": true}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("flags on an unknown image: %d", resp.StatusCode)
	}
}

func TestStats(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	d := create(t, env, createReq("counted"))
	getDroplet(t, env, d.ID)
	getDroplet(t, env, d.ID)
	if _, err := env.Client.Droplets.Delete(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	raw(t, env, http.MethodGet, "/v2/nowhere", "", nil)
	resp, body := raw(t, env, http.MethodGet, "/_sim/stats", "", nil)
	var st dosim.Stats
	if err := json.Unmarshal(body, &st); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_sim/stats: %d %s", resp.StatusCode, body)
	}
	want := dosim.Stats{Requests: 5, DropletsCreated: 1, DropletsDeleted: 1,
		ByMethod: map[string]int{"GET": 3, "POST": 1, "DELETE": 1},
		ByRoute:  map[string]int{"POST /v2/droplets": 1, "GET /v2/droplets/{id}": 2, "DELETE /v2/droplets/{id}": 1, "notfound": 1}}
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Errorf("stats:\n got %+v\nwant %+v", st, want)
	}
}

// summary is what a state round trip must keep of a droplet.
func summary(d godo.Droplet) string {
	return fmt.Sprintf("%d %s %s %v %d %s", d.ID, d.Name, d.Status, d.Tags, d.Image.ID, d.Region.Slug)
}

func TestStateRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "world.json")
	cfg := dosim.Config{Seed: "empty", HealthPort: -1, StatePath: path, Provision: 2 * time.Second, ActionDelay: 2 * time.Second}
	first := dosimtest.Start(t, cfg)
	ctx := context.Background()
	kept := create(t, first, createReq("kept", "role:web"))
	gone := create(t, first, createReq("gone"))
	if _, err := first.Client.Droplets.Delete(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, first, kept.ID, "active")
	pending := create(t, first, createReq("pending", "role:web", "slot:1"))
	if _, _, err := first.Client.DropletActions.PowerOff(ctx, kept.ID); err != nil {
		t.Fatal(err)
	}
	before := listAll(t, first, "", 200)
	first.Server.Close()
	first.Sim.Close()

	second := dosimtest.Start(t, cfg)
	after := listAll(t, second, "", 200)
	if len(after) != len(before) {
		t.Fatalf("%d droplets before, %d after", len(before), len(after))
	}
	for i := range before {
		if summary(before[i]) != summary(after[i]) {
			t.Errorf("droplet %d: before %s, after %s", i, summary(before[i]), summary(after[i]))
		}
	}
	if d := getDroplet(t, second, pending.ID); d.Status != "new" {
		t.Errorf("a droplet saved while new is %s right after the load", d.Status)
	}
	if d := getDroplet(t, second, kept.ID); !d.Locked || d.Status != "active" {
		t.Errorf("a droplet saved during its power_off: locked %v, %s", d.Locked, d.Status)
	}
	waitStatus(t, second, pending.ID, "active")
	if d := waitStatus(t, second, kept.ID, "off"); d.Locked {
		t.Errorf("still locked once its action completed")
	}
	next := create(t, second, createReq("next"))
	if next.ID <= pending.ID {
		t.Errorf("IDs restart after a load: %d after %d", next.ID, pending.ID)
	}
	if st := second.Sim.Stats(); st.DropletsCreated != 4 || st.DropletsDeleted != 1 {
		t.Errorf("counters after a load: %+v", st)
	}
}

// TestStateAtomic reads the state file while droplets are created: every read must be a
// whole world, and no temporary file may be left behind.
func TestStateAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "world.json")
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1, StatePath: path})
	done := make(chan struct{})
	reads := make(chan int)
	go func() {
		n := 0
		defer func() { reads <- n }()
		for {
			select {
			case <-done:
				return
			default:
			}
			data, err := os.ReadFile(path)
			if err != nil {
				continue // not written yet
			}
			var w map[string]json.RawMessage
			if err := json.Unmarshal(data, &w); err != nil {
				t.Errorf("read a partial state file (%d bytes): %v", len(data), err)
				return
			}
			n++
		}
	}()
	for i := range 30 {
		create(t, env, createReq(fmt.Sprintf("d-%d", i)))
	}
	close(done)
	if n := <-reads; n == 0 {
		t.Fatal("the reader never saw the state file")
	}
	// Activation timers save too; Close waits for a save in progress and stops the rest.
	env.Sim.Close()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "world.json" {
		t.Errorf("state directory holds %v", entries)
	}
}

// A world saved by an older simulator, before SSH keys and VPCs were served, loads with
// the seeded keys and the default VPCs its droplets name, so that creates which worked
// against it (naming a seeded key, copying a droplet's VPC) go on working.
func TestStateFromAnOlderSimulator(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "world.json")
	cfg := dosim.Config{Seed: "empty", HealthPort: -1, StatePath: path}
	first := dosimtest.Start(t, cfg)
	d := create(t, first, createReq("old"))
	first.Server.Close()
	first.Sim.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var w map[string]json.RawMessage
	if err := json.Unmarshal(data, &w); err != nil {
		t.Fatal(err)
	}
	delete(w, "ssh_keys")
	delete(w, "vpcs")
	if data, err = json.Marshal(w); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	second := dosimtest.Start(t, cfg)
	req := createReq("new")
	req.SSHKeys = []godo.DropletCreateSSHKey{{ID: 12345}}
	req.VPCUUID = getDroplet(t, second, d.ID).VPCUUID
	create(t, second, req)
}
