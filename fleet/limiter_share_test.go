package fleet_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// statusCounter counts the answers of one status a client receives.
type statusCounter struct {
	status int
	n      atomic.Int64
	base   http.RoundTripper
}

func (c *statusCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err == nil && resp.StatusCode == c.status {
		c.n.Add(1)
	}
	return resp, err
}

// TestAReadDuringARolloutNeverHoldsItBack shares one limiter between an engine's client
// and a loader's, as molt does, against a simulator allowing 40 requests a minute. A
// rollout has started (one create); a full read of 41 pages then takes what reads may
// (40 less the reserve of 8 less the create) and waits; the rollout's next 8 calls all go
// at once, and neither client ever sees a 429.
func TestAReadDuringARolloutNeverHoldsItBack(t *testing.T) {
	const perMinute = 40
	env := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: 400, HealthPort: -1,
		RatePerMinute: perMinute, RatePerHour: 1 << 20})
	creds := fleet.Credentials{Token: fleet.Secret(env.Token), APIURL: env.URL}
	lim := fleet.NewLimiter(perMinute)
	client := func(p fleet.Priority) (*godo.Client, *statusCounter) {
		sc := &statusCounter{status: http.StatusTooManyRequests, base: env.NewClient(t, env.Token, true).HTTPClient.Transport}
		c, err := fleet.NewClient(creds, fleet.ClientOptions{Limiter: lim, Transport: sc, Priority: p})
		if err != nil {
			t.Fatal(err)
		}
		return c, sc
	}
	engine, engine429 := client(fleet.PriorityRollout)
	reader, reader429 := client(fleet.PriorityRead)

	id := createLike(t, engine)
	waiting := make(chan time.Duration, 1)
	var pages atomic.Int64
	readCtx, stopRead := context.WithCancel(t.Context())
	readDone := make(chan error, 1)
	go func() {
		_, err := fleet.Load(readCtx, reader, fleet.LoadOptions{PerPage: 10, Limiter: lim,
			OnProgress: func(done, _ int) { pages.Store(int64(done)) },
			OnWait: func(d time.Duration) {
				select {
				case waiting <- d:
				default:
				}
			}})
		readDone <- err
	}()
	if d := <-waiting; d < 30*time.Second {
		t.Fatalf("the read was told to wait %s; want about a minute, for the window", d)
	}
	read := int(pages.Load())
	if read >= 41 || lim.AvailableTo(fleet.PriorityRead) != 0 {
		t.Fatalf("the read got %d pages of 41 and may start %d more: it should be held back", read, lim.AvailableTo(fleet.PriorityRead))
	}
	held := 0
	ctx := fleet.WithWaitNotice(t.Context(), func(time.Duration) { held++ })
	for range 8 { // the reserve: a fifth of 40
		if fleet.RolloutReserve(perMinute) != 8 {
			t.Fatalf("RolloutReserve(%d) = %d, want 8", perMinute, fleet.RolloutReserve(perMinute))
		}
		if _, _, err := engine.Droplets.Get(ctx, id); err != nil {
			t.Fatalf("a rollout call during the read: %v", err)
		}
	}
	if held != 0 {
		t.Fatalf("the limiter held the rollout's calls back %d times during a read", held)
	}
	stopRead()
	if err := <-readDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("the read ended with %v, want it cancelled while it waited", err)
	}
	if engine429.n.Load() != 0 || reader429.n.Load() != 0 {
		t.Fatalf("429 answers: %d to the rollout, %d to the read; want none", engine429.n.Load(), reader429.n.Load())
	}
}

// createLike creates a droplet like the first one listed and returns its ID.
func createLike(t *testing.T, c *godo.Client) int {
	t.Helper()
	ds, _, err := c.Droplets.List(t.Context(), &godo.ListOptions{PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := c.Droplets.Create(t.Context(), &godo.DropletCreateRequest{Name: "rollout-1", Region: ds[0].Region.Slug,
		Size: ds[0].SizeSlug, Image: godo.DropletCreateImage{ID: ds[0].Image.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}
