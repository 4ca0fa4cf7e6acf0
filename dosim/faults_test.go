package dosim_test

import (
	"context"
	"testing"

	"github.com/molt-sh/molt/dosim"
)

func TestInjected429CarriesRetryAfter(t *testing.T) {
	env := start(t, dosim.Config{HealthPort: -1})
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "GET", Path: "/v2/account", Status: 429, RetryAfter: 2, Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, resp, err := env.Client.Account.Get(context.Background())
	if err == nil || resp == nil || resp.StatusCode != 429 {
		t.Fatalf("want a 429, got %v", err)
	}
	if got := resp.Header.Get("retry-after"); got != "2" {
		t.Errorf("retry-after = %q, want 2", got)
	}
	if got := resp.Header.Get("ratelimit-remaining"); got != "0" {
		t.Errorf("ratelimit-remaining = %q, want 0", got)
	}
	if _, _, err := env.Client.Account.Get(context.Background()); err != nil {
		t.Errorf("the fault should fire once: %v", err)
	}
}
