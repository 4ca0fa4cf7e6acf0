package dosim

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// TestPoolCooldownBetweenChanges times a template change by the simulator's own clock:
// each replacement waits a cooldown for the new member to boot before the old goes, the
// old goes a minute after its shutdown, and the next replacement waits another cooldown.
func TestPoolCooldownBetweenChanges(t *testing.T) {
	t.Parallel()
	const minute = 4 * time.Millisecond
	s, err := New(Config{Token: "t", Seed: "empty", HealthPort: -1, Provision: 10 * time.Millisecond,
		ActionDelay: 2 * time.Millisecond, PoolMinute: minute})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Close()
	send := func(method, path, body string) {
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %v %v", method, path, resp, err)
		}
		resp.Body.Close()
	}
	pool := func(image string) string {
		return `{"name":"api","config":{"target_number_instances":2},"droplet_template":{"region":"nyc3","size":"c-2","image":"` +
			image + `","ssh_keys":["12345"]}}`
	}
	send("POST", "/v2/droplets/autoscale", pool("ubuntu-24-04-x64"))
	var p *Pool
	settle := func(image string) []*Droplet {
		var ds []*Droplet
		deadline := time.Now().Add(5 * time.Second)
		for {
			s.mu.Lock()
			for _, x := range s.w.Pools {
				p = x
			}
			ds = ds[:0]
			for _, id := range p.Members {
				ds = append(ds, s.w.Droplets[id])
			}
			done := p.Work == nil && len(ds) == 2 && !slices.ContainsFunc(ds, func(d *Droplet) bool {
				return d.Status != "active" || s.w.Images[d.ImageID].Slug != image
			})
			s.mu.Unlock()
			if done {
				return ds
			}
			if time.Now().After(deadline) {
				t.Fatalf("the pool did not settle on %s", image)
			}
			time.Sleep(time.Millisecond)
		}
	}
	settle("ubuntu-24-04-x64")
	send("PUT", "/v2/droplets/autoscale/"+p.ID, pool("debian-13-x64"))
	ds := settle("debian-13-x64")
	cooldown := fixedCooldown * minute
	first, second := ds[0].CreatedAt, ds[1].CreatedAt
	if gap := second.Sub(first); gap < 2*cooldown+minute {
		t.Errorf("the second new member came %v after the first, want at least %v (two cooldowns and the minute between shutdown and destroy)", gap, 2*cooldown+minute)
	}
}
