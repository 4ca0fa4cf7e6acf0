package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
)

// TestSimServesARealClient runs `molt sim` and drives it with godo as any DigitalOcean
// client would: list all pages, create one and ten, wait for active, power off, tag,
// delete by tag, and read load balancers, reserved IPs, images and the account.
func TestSimServesARealClient(t *testing.T) {
	type served struct{ url, token string }
	ready := make(chan served, 1)
	hooks := Hooks{SimListening: func(url, token string) { ready <- served{url, token} }}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut bytes.Buffer
	done := make(chan int)
	go func() {
		done <- runHooked(ctx, hooks, []string{"sim", "--addr", "127.0.0.1:0", "--provision", "50ms", "--health-port", "-1"}, &out, &errOut)
	}()
	var s served
	select {
	case s = <-ready:
	case <-time.After(10 * time.Second):
		t.Fatalf("molt sim did not start: %s", errOut.String())
	}
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("molt sim exited %d: %s", code, errOut.String())
		}
	}()
	if !strings.Contains(out.String(), s.url) || !strings.Contains(out.String(), s.token) {
		t.Errorf("molt sim should print its URL and token, printed:\n%s", out.String())
	}
	c := clientFor(t, s.url, s.token)
	bg := context.Background()

	all := listAllDroplets(t, c, &godo.ListOptions{PerPage: 7})
	if len(all) < 40 {
		t.Fatalf("demo world lists %d droplets over all pages, want about 50", len(all))
	}
	one, _, err := c.Droplets.Create(bg, &godo.DropletCreateRequest{Name: "one", Region: "nyc3", Size: "s-1vcpu-1gb",
		Image: godo.DropletCreateImage{Slug: "ubuntu-24-04-x64"}, Tags: []string{"smoke"}})
	if err != nil {
		t.Fatalf("create one: %v", err)
	}
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprintf("ten-%d", i)
	}
	ten, _, err := c.Droplets.CreateMultiple(bg, &godo.DropletMultiCreateRequest{Names: names, Region: "nyc3",
		Size: "s-1vcpu-1gb", Image: godo.DropletCreateImage{Slug: "ubuntu-24-04-x64"}, Tags: []string{"smoke"}})
	if err != nil || len(ten) != 10 {
		t.Fatalf("create ten: %d droplets, %v", len(ten), err)
	}
	waitActive(t, c, one.ID)
	if _, _, err := c.DropletActions.PowerOff(bg, one.ID); err != nil {
		t.Fatalf("power off: %v", err)
	}
	if _, err := c.Tags.TagResources(bg, "smoke-extra", &godo.TagResourcesRequest{
		Resources: []godo.Resource{{ID: fmt.Sprint(ten[0].ID), Type: godo.DropletResourceType}}}); err != nil {
		t.Fatalf("tag: %v", err)
	}
	if tagged := listAllDroplets(t, c, &godo.ListOptions{PerPage: 200}); len(tagged) != len(all)+11 {
		t.Errorf("after creating 11, %d droplets, want %d", len(tagged), len(all)+11)
	}
	if _, err := c.Droplets.DeleteByTag(bg, "smoke"); err != nil {
		t.Fatalf("delete by tag: %v", err)
	}
	if left := listAllDroplets(t, c, &godo.ListOptions{PerPage: 200}); len(left) != len(all) {
		t.Errorf("after delete by tag, %d droplets, want %d", len(left), len(all))
	}
	lbs, _, err := c.LoadBalancers.List(bg, nil)
	if err != nil || len(lbs) == 0 {
		t.Errorf("load balancers: %d, %v", len(lbs), err)
	}
	ips, _, err := c.ReservedIPs.List(bg, nil)
	if err != nil || len(ips) == 0 {
		t.Errorf("reserved IPs: %d, %v", len(ips), err)
	}
	images, _, err := c.Images.ListUser(bg, &godo.ListOptions{PerPage: 200})
	if err != nil || len(images) == 0 {
		t.Errorf("private images: %d, %v", len(images), err)
	}
	acct, _, err := c.Account.Get(bg)
	if err != nil || acct.DropletLimit < len(all) {
		t.Errorf("account: %+v, %v", acct, err)
	}
}

func clientFor(t *testing.T, url, token string) *godo.Client {
	t.Helper()
	hc := &http.Client{Transport: bearer{token: token}, Timeout: 10 * time.Second}
	c, err := godo.New(hc, godo.SetBaseURL(url))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func listAllDroplets(t *testing.T, c *godo.Client, opt *godo.ListOptions) []godo.Droplet {
	t.Helper()
	var out []godo.Droplet
	for {
		ds, resp, err := c.Droplets.List(context.Background(), opt)
		if err != nil {
			t.Fatalf("list droplets page %d: %v", opt.Page, err)
		}
		out = append(out, ds...)
		if resp.Links == nil || resp.Links.IsLastPage() {
			return out
		}
		page, err := resp.Links.CurrentPage()
		if err != nil {
			t.Fatal(err)
		}
		opt.Page = page + 1
	}
}

func waitActive(t *testing.T, c *godo.Client, id int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		d, _, err := c.Droplets.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("get droplet %d: %v", id, err)
		}
		if d.Status == "active" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("droplet %d never became active", id)
}

// molt sim refuses values that make no sense with a usage error naming the flag, before
// it listens.
func TestSimChecksItsFlags(t *testing.T) {
	cases := []struct{ flag, value string }{
		{"--provision", "-1s"},
		{"--rate-per-minute", "-1"},
		{"--rate-per-hour", "-5"},
		{"--latency", "-1ms"},
		{"--pool-minute", "-1s"},
		{"--health-port", "70000"},
		{"--state", "/nonexistent-dir/world.json"},
	}
	for _, c := range cases {
		t.Run(c.flag, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := molt(t, "sim", "--addr", "127.0.0.1:0", c.flag, c.value)
			if code != ExitUsage || !strings.Contains(errOut, c.flag) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("molt sim %s %s: exit %d, %q; want exit 2 naming the flag in one line", c.flag, c.value, code, errOut)
			}
		})
	}
}
