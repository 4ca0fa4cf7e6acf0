package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
)

// healthPort is where the simulator's droplets answer /healthz, as molt probes them.
const healthPort = 8080

// sim is a `molt sim` process and the harness's clients for it: godo for the API and
// plain HTTP for the admin path /_sim/.
type sim struct {
	p     *proc
	url   string
	token string
	api   *godo.Client
	http  *http.Client
}

// startSim serves the demo world with the scenario's timings, rate limits out of the
// way (only injected 429s), its state saved in dir/world.json, one log line a request.
//
// The world is the demo with its extras (extras: the build's `molt sim` has
// --demo-extras), as operators see it: beside the roles the selections replace, two
// hand-built pets and an autoscale pool, which no selection reaches and which must
// come out of every run untouched (CheckWorld's collateral and lost invariants cover
// them). The pool is at its size on its own template, so the simulator never changes
// it by itself: every change in the world is molt's.
func startSim(ctx context.Context, bin, dir string, sc Scenario, env []string, extras bool) (*sim, error) {
	args := []string{"sim", "--addr", "127.0.0.1:0", "--token", sc.Token, "--seed", "demo",
		"--provision", sc.Sim.Provision.String(), "--rate-per-minute", "1000000", "--rate-per-hour", "100000000",
		"--health-port", fmt.Sprint(healthPort), "--state", dir + "/world.json", "-v"}
	if extras {
		args = append(args, "--demo-extras=true")
	}
	if sc.Sim.Latency > 0 {
		args = append(args, "--latency", sc.Sim.Latency.String())
	}
	p, err := startProc("sim", bin, args, env, dir)
	if err != nil {
		return nil, err
	}
	s := &sim{p: p, token: sc.Token, http: &http.Client{Timeout: 30 * time.Second}}
	const prefix = "  export DIGITALOCEAN_API_URL="
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	p.until(wctx, func(lines []string, _ []event) bool {
		for _, l := range lines {
			if u, ok := strings.CutPrefix(l, prefix); ok {
				s.url = u
			}
		}
		return s.url != ""
	})
	if s.url == "" {
		p.stop()
		return nil, fmt.Errorf("molt sim did not start: %s", strings.TrimSpace(p.stderr()))
	}
	if s.api, err = newClient(s.url, s.token); err != nil {
		p.stop()
		return nil, err
	}
	return s, nil
}

// admin calls the simulator's admin path and decodes its answer into out (if set).
func (s *sim) admin(ctx context.Context, method, path string, body, out any) error {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var eb struct{ Message string }
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, eb.Message)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// addFault installs a rule and returns its ID.
func (s *sim) addFault(ctx context.Context, f dosim.Fault) (int, error) {
	var out struct{ Fault dosim.Fault }
	err := s.admin(ctx, http.MethodPost, "/_sim/faults", f, &out)
	return out.Fault.ID, err
}

// faults lists the rules in force with their hits; a counted rule that fired its
// count is gone from the list.
func (s *sim) faults(ctx context.Context) ([]dosim.Fault, error) {
	var out struct{ Faults []dosim.Fault }
	err := s.admin(ctx, http.MethodGet, "/_sim/faults", nil, &out)
	return out.Faults, err
}

func (s *sim) clearFaults(ctx context.Context) error {
	return s.admin(ctx, http.MethodDelete, "/_sim/faults", nil, nil)
}

func (s *sim) stats(ctx context.Context) (dosim.Stats, error) {
	var out dosim.Stats
	err := s.admin(ctx, http.MethodGet, "/_sim/stats", nil, &out)
	return out, err
}

func (s *sim) markImage(ctx context.Context, id int, unhealthy, stuck bool) error {
	body := map[string]bool{"unhealthy": unhealthy, "stuck": stuck}
	return s.admin(ctx, http.MethodPost, fmt.Sprintf("/_sim/images/%d", id), body, nil)
}

// lateCarriedOut counts the requests of late rules the simulator has carried out,
// from its log.
func (s *sim) lateCarriedOut() int {
	b, _ := os.ReadFile(s.p.errPath)
	return bytes.Count(b, []byte(" carried out late: "))
}

// awaitLate waits until the simulator has carried out n late requests: the droplets
// of creates it answered with an error exist now, if they ever will.
func (s *sim) awaitLate(ctx context.Context, n int) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for s.lateCarriedOut() < n {
		select {
		case <-ctx.Done():
			return errors.New("the simulator did not carry out its late requests")
		case <-tick.C:
		}
	}
	return nil
}

// imageID finds an image by name.
func (s *sim) imageID(ctx context.Context, name string) (int, error) {
	ims, _, err := s.api.Images.ListUser(ctx, &godo.ListOptions{PerPage: 200})
	if err != nil {
		return 0, err
	}
	for _, im := range ims {
		if im.Name == name {
			return im.ID, nil
		}
	}
	return 0, fmt.Errorf("no image %q", name)
}
