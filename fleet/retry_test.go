package fleet_test

import (
	"context"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// Reads ride out server errors and dropped connections (case 8 of issue 11: with 30% of
// GETs answered 503, a plan failed 9 times in 20 on the first one), and stay bounded.
func TestReadsRetryServerErrorsAndDrops(t *testing.T) {
	t.Parallel()
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	client, err := fleet.NewClient(fleet.Credentials{Token: fleet.Secret(env.Token), APIURL: env.URL}, fleet.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := 0.3
	for _, f := range []dosim.Fault{{Method: "GET", Status: 503, Probability: &p}, {Method: "GET", Drop: true, Probability: &p}} {
		if _, err := env.Sim.AddFault(f); err != nil {
			t.Fatal(err)
		}
		for i := range 8 {
			servers, err := fleet.Load(t.Context(), client, fleet.LoadOptions{})
			if err != nil || len(servers) != 48 {
				t.Fatalf("load %d with %+v: %d servers, %v", i, f, len(servers), err)
			}
		}
		env.Sim.ClearFaults()
	}
	// An API that keeps failing is given up on, within a bound.
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "GET", Status: 503}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	began := time.Now()
	if _, err := fleet.Load(ctx, client, fleet.LoadOptions{}); err == nil {
		t.Fatal("a load against an API answering 503 to everything succeeded")
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("giving up took %v", took)
	}
	// The engine's calls, which retry for themselves, are sent once.
	before := env.Sim.Stats().Requests
	_, _, _ = client.Droplets.List(fleet.WithoutRetry(ctx), nil)
	if n := env.Sim.Stats().Requests - before; n != 1 {
		t.Errorf("a read WithoutRetry was sent %d times", n)
	}
}
