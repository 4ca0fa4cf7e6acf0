package dosim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// waitFor polls cond every few milliseconds until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond) // gentle enough for the default 250 requests a minute
	}
}

// raw sends one request outside godo, with the simulator's token unless token is "-".
func raw(t testing.TB, env *dosimtest.Env, method, path, token string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("marshal %T: %v", body, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, env.URL+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if token == "" {
		token = env.Token
	}
	if token != "-" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", method, path, err)
	}
	return resp, data
}

// addFault installs a fault rule through the admin path and fails the test otherwise.
func addFault(t testing.TB, env *dosimtest.Env, rule map[string]any) {
	t.Helper()
	resp, body := raw(t, env, http.MethodPost, "/_sim/faults", "", rule)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /_sim/faults %v: %d %s", rule, resp.StatusCode, body)
	}
}

// apiError returns the godo error response inside err, failing the test if there is none.
func apiError(t testing.TB, err error) *godo.ErrorResponse {
	t.Helper()
	var er *godo.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("want a godo.ErrorResponse, got %v", err)
	}
	return er
}

// wantStatus checks that err is an API error with the given status.
func wantStatus(t testing.TB, err error, status int) *godo.ErrorResponse {
	t.Helper()
	er := apiError(t, err)
	if er.Response.StatusCode != status {
		t.Fatalf("want status %d, got %d: %v", status, er.Response.StatusCode, er)
	}
	return er
}

// createReq is a valid single-droplet create request on a distribution image.
func createReq(name string, tags ...string) *godo.DropletCreateRequest {
	return &godo.DropletCreateRequest{
		Name:   name,
		Region: "nyc3",
		Size:   "s-1vcpu-1gb",
		Image:  godo.DropletCreateImage{Slug: "ubuntu-24-04-x64"},
		Tags:   tags,
	}
}

// create makes one droplet through godo and returns it.
func create(t testing.TB, env *dosimtest.Env, req *godo.DropletCreateRequest) *godo.Droplet {
	t.Helper()
	d, resp, err := env.Client.Droplets.Create(context.Background(), req)
	if err != nil {
		t.Fatalf("create droplet %s: %v", req.Name, err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("create droplet: status %d, want 202", resp.StatusCode)
	}
	return d
}

// getDroplet fetches one droplet through godo.
func getDroplet(t testing.TB, env *dosimtest.Env, id int) *godo.Droplet {
	t.Helper()
	d, _, err := env.Client.Droplets.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get droplet %d: %v", id, err)
	}
	return d
}

// waitStatus waits for a droplet to reach a status.
func waitStatus(t testing.TB, env *dosimtest.Env, id int, status string) *godo.Droplet {
	t.Helper()
	var d *godo.Droplet
	waitFor(t, 2*time.Second, "droplet "+status, func() bool {
		d = getDroplet(t, env, id)
		return d.Status == status
	})
	return d
}

// listAll pages through a droplet listing with godo the way DigitalOcean's clients do.
func listAll(t testing.TB, env *dosimtest.Env, tag string, per int) []godo.Droplet {
	t.Helper()
	var out []godo.Droplet
	opt := &godo.ListOptions{Page: 1, PerPage: per}
	for {
		var list []godo.Droplet
		var resp *godo.Response
		var err error
		if tag != "" {
			list, resp, err = env.Client.Droplets.ListByTag(context.Background(), tag, opt)
		} else {
			list, resp, err = env.Client.Droplets.List(context.Background(), opt)
		}
		if err != nil {
			t.Fatalf("list droplets page %d: %v", opt.Page, err)
		}
		out = append(out, list...)
		if resp.Links == nil || resp.Links.IsLastPage() {
			return out
		}
		opt.Page++
	}
}

// start runs a simulator for one test. The API rate limits default to unlimited here,
// as tests poll far faster than an operator: a test about the limits sets them.
func start(t testing.TB, cfg dosim.Config) *dosimtest.Env {
	t.Helper()
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute = 1 << 30
	}
	if cfg.RatePerHour == 0 {
		cfg.RatePerHour = 1 << 30
	}
	return dosimtest.Start(t, cfg)
}
