package fleet_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// feedWorld is a scale world of n droplets and an inventory over it, after its first
// (full) refresh.
func feedWorld(t *testing.T, n int, provision time.Duration) (*dosimtest.Env, *godo.Client, *fleet.Inventory) {
	t.Helper()
	env := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: n, HealthPort: -1, RatePerMinute: 1 << 20, RatePerHour: 1 << 30,
		Provision: provision})
	c := env.NewClient(t, env.Token, false) // 50 pages: validated elsewhere, counted here
	inv := fleet.NewInventory(c, fleet.LoadOptions{})
	r, err := inv.Refresh(t.Context(), fleet.RefreshOptions{}, nil)
	if err != nil || !r.Full || len(r.Servers) != n {
		t.Fatalf("first refresh: %v, full %v, %d servers", err, r.Full, len(r.Servers))
	}
	return env, c, inv
}

// requests counts the API requests f makes, from the simulator's own stats.
func requests(env *dosimtest.Env, f func()) int {
	before := env.Sim.Stats().Requests
	f()
	return env.Sim.Stats().Requests - before
}

// waitAction waits until action id of the account has ended.
func waitAction(t *testing.T, c *godo.Client, id int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		a, _, err := c.Actions.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != "in-progress" {
			return
		}
		select {
		case <-t.Context().Done():
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatalf("action %d still running", id)
}

// sameFleet fails t unless got and want hold the same droplets with the same names,
// statuses, sizes and images.
func sameFleet(t *testing.T, got, want []fleet.Server) {
	t.Helper()
	key := func(s fleet.Server) string {
		return fmt.Sprintf("%d %s %s %s %d", s.ID, s.Name, s.Status, s.Size, s.Image.ImageID)
	}
	g, w := make([]string, len(got)), make([]string, len(want))
	for i := range got {
		g[i] = key(got[i])
	}
	for i := range want {
		w[i] = key(want[i])
	}
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Fatalf("the refreshed fleet (%d) differs from a full read (%d)", len(got), len(want))
	}
}

// A refresh of a 10,000-droplet fleet where nothing changed reads only the feed's
// newest page; with five droplets changed it reads the feed and those five, and ends
// with the fleet a full read gives.
func TestRefreshThroughTheActionFeed(t *testing.T) {
	// Droplets take a second to provision, so that the create is under way at the
	// second refresh.
	env, c, inv := feedWorld(t, 10000, time.Second)
	ctx := t.Context()
	var r fleet.Refreshed
	var err error
	if n := requests(env, func() { r, err = inv.Refresh(ctx, fleet.RefreshOptions{}, nil) }); err != nil || r.Full || n > 2 {
		t.Fatalf("refresh with nothing changed: %v, full %v (%s), %d requests; want at most 2", err, r.Full, r.Why, n)
	}

	servers, _ := inv.Snapshot()
	var actions []int
	for _, s := range servers[:2] {
		a, _, err := c.DropletActions.PowerOff(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		actions = append(actions, a.ID)
	}
	a, _, err := c.DropletActions.Rename(ctx, servers[2].ID, "renamed-by-hand")
	if err != nil {
		t.Fatal(err)
	}
	actions = append(actions, a.ID)
	if _, err := c.Droplets.Delete(ctx, servers[3].ID); err != nil {
		t.Fatal(err)
	}
	d, _, err := c.Droplets.Create(ctx, &godo.DropletCreateRequest{Name: "made-by-hand", Region: servers[4].Region,
		Size: servers[4].Size, Image: godo.DropletCreateImage{ID: servers[4].Image.ImageID}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range actions {
		waitAction(t, c, id)
	}
	n := requests(env, func() { r, err = inv.Refresh(ctx, fleet.RefreshOptions{}, nil) })
	if err != nil || r.Full || r.Changed != 5 || n > 8 || !slices.ContainsFunc(r.Servers, func(s fleet.Server) bool { return s.ID == d.ID && s.Status == "new" }) {
		t.Fatalf("refresh with 5 changed: %v, full %v (%s), %d changed, %d requests; want 5 read, at most 8 requests", err, r.Full, r.Why, r.Changed, n)
	}
	// The new droplet's create was still running: the next refresh reads it again.
	for deadline := time.Now().Add(30 * time.Second); ; {
		got, _, err := c.Droplets.Get(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == "active" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new droplet never turned active")
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Millisecond):
		}
	}
	if r, err = inv.Refresh(ctx, fleet.RefreshOptions{}, nil); err != nil || r.Full || r.Changed != 1 {
		t.Fatalf("refresh after the create ended: %v, full %v, %d changed; want the new droplet read again", err, r.Full, r.Changed)
	}
	full, err := fleet.Load(ctx, c, fleet.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameFleet(t, r.Servers, full)
}

// The feed cannot see everything: a full read comes when many droplets changed, and
// when the last full read is older than FullEvery.
func TestRefreshFallsBackToAFullRead(t *testing.T) {
	env, c, inv := feedWorld(t, 300, 0)
	ctx := t.Context()
	servers, _ := inv.Snapshot()
	for _, s := range servers[:4] {
		if _, _, err := c.DropletActions.PowerOff(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	r, err := inv.Refresh(ctx, fleet.RefreshOptions{MaxChanged: 3}, nil)
	if err != nil || !r.Full || r.Why != "4 droplets changed" {
		t.Fatalf("4 changed with 3 allowed: %v, full %v (%q)", err, r.Full, r.Why)
	}
	n := requests(env, func() { r, err = inv.Refresh(ctx, fleet.RefreshOptions{FullEvery: time.Nanosecond}, nil) })
	if err != nil || !r.Full || n != 1+2 {
		t.Fatalf("an old full read: %v, full %v (%q), %d requests; want the feed and 2 pages", err, r.Full, r.Why, n)
	}
}

// TestRefreshReadsWhatItIsToldIsStale: a tag put on droplets makes no action, so the
// feed cannot see it; told the droplets are stale, the next refresh reads them (and only
// them), and the one after forgets them.
func TestRefreshReadsWhatItIsToldIsStale(t *testing.T) {
	env, c, inv := feedWorld(t, 300, 0)
	ctx := t.Context()
	servers, _ := inv.Snapshot()
	ids := []int{servers[5].ID, servers[7].ID}
	if _, err := c.Tags.TagResources(ctx, "molt:r-test", &godo.TagResourcesRequest{Resources: []godo.Resource{
		{ID: strconv.Itoa(ids[0]), Type: godo.DropletResourceType}, {ID: strconv.Itoa(ids[1]), Type: godo.DropletResourceType}}}); err != nil {
		t.Fatal(err)
	}
	tagged := func(r fleet.Refreshed) int {
		n := 0
		for _, s := range r.Servers {
			if s.HasTag("molt:r-test") {
				n++
			}
		}
		return n
	}
	r, err := inv.Refresh(ctx, fleet.RefreshOptions{}, nil)
	if err != nil || r.Full || tagged(r) != 0 {
		t.Fatalf("untold: %v, full %v, %d tagged; want the feed only, which cannot see a tag", err, r.Full, tagged(r))
	}
	inv.Stale(ids...)
	n := requests(env, func() { r, err = inv.Refresh(ctx, fleet.RefreshOptions{}, nil) })
	if err != nil || r.Full || r.Changed != 2 || n != 1+2 || tagged(r) != 2 {
		t.Fatalf("told 2 are stale: %v, full %v, %d read, %d requests, %d tagged; want the feed and the 2, both tagged", err, r.Full, r.Changed, n, tagged(r))
	}
	n = requests(env, func() { r, err = inv.Refresh(ctx, fleet.RefreshOptions{}, nil) })
	if err != nil || r.Changed != 0 || n != 1 || tagged(r) != 2 {
		t.Fatalf("after: %v, %d read, %d requests, %d tagged; want the feed alone", err, r.Changed, n, tagged(r))
	}
	inv.Stale(servers[0].ID, servers[1].ID, servers[2].ID, servers[3].ID)
	if r, err = inv.Refresh(ctx, fleet.RefreshOptions{MaxChanged: 3}, nil); err != nil || !r.Full || r.Why != "4 droplets changed" {
		t.Fatalf("4 stale with 3 allowed: %v, full %v (%q); want a full read", err, r.Full, r.Why)
	}
}

func TestFullEveryForKeepsFullReadsToATenthOfTheHour(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{
		{0, 10 * time.Minute},
		{200, 10 * time.Minute},
		{10000, 10 * time.Minute}, // 50 pages: 6 minutes would do, the floor is 10
		{20000, 12 * time.Minute}, // 100 pages
		{50000, 30 * time.Minute}, // 250 pages
		{50001, 30*time.Minute + 8*time.Second},
		{100000, time.Hour},
	} {
		if got := fleet.FullEveryFor(tc.n); got != tc.want {
			t.Errorf("FullEveryFor(%d) = %s, want %s", tc.n, got, tc.want)
		}
		// The full reads of an hour stay within a tenth of DigitalOcean's 5,000 requests.
		pages := (tc.n + 199) / 200
		if perHour := float64(pages) * float64(time.Hour) / float64(fleet.FullEveryFor(tc.n)); perHour > 500 {
			t.Errorf("%d droplets: full reads take %.0f requests an hour", tc.n, perHour)
		}
	}
}

// hookRT calls its hook after each request it sends.
type hookRT struct {
	base http.RoundTripper
	hook atomic.Pointer[func(*http.Request)]
}

func (h *hookRT) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := h.base.RoundTrip(r)
	if f := h.hook.Load(); f != nil {
		(*f)(r)
	}
	return resp, err
}

// A droplet said stale again while a refresh reads it (after its GET answered) is read
// again by the next refresh.
func TestStaleAgainDuringARefreshIsReadNextTime(t *testing.T) {
	_, c, inv := feedWorld(t, 50, 0)
	ctx := t.Context()
	servers, _ := inv.Snapshot()
	id := servers[3].ID
	rt := &hookRT{base: c.HTTPClient.Transport}
	if rt.base == nil {
		rt.base = http.DefaultTransport
	}
	c.HTTPClient.Transport = rt
	inv.Stale(id)
	once := false
	f := func(r *http.Request) {
		if !once && r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/droplets/"+strconv.Itoa(id)) {
			once = true
			// The droplet changes again (a tag comes off) after the read answered.
			if _, err := c.Tags.TagResources(ctx, "molt:r-late", &godo.TagResourcesRequest{Resources: []godo.Resource{
				{ID: strconv.Itoa(id), Type: godo.DropletResourceType}}}); err != nil {
				t.Error(err)
			}
			inv.Stale(id)
		}
	}
	rt.hook.Store(&f)
	if _, err := inv.Refresh(ctx, fleet.RefreshOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	rt.hook.Store(nil)
	r, err := inv.Refresh(ctx, fleet.RefreshOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Servers {
		if s.ID == id && !s.HasTag("molt:r-late") {
			t.Errorf("droplet %d was said stale again mid-refresh, but the next refresh did not read it (changed %d)", id, r.Changed)
		}
	}
}
