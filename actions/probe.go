package actions

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/molt-sh/molt/fleet"
)

// Probe checks a server once with h, from where molt runs: an HTTP GET of h.Path on
// h.Port answered 2xx or 3xx (a redirect is not followed: the server's own answer is
// the verdict, not another host's, which may be the old fleet behind a load balancer),
// or a TCP connect. answered says an HTTP service answered at all, so that
// a service up and answering errors can be told from one still booting.
func Probe(ctx context.Context, client *http.Client, h HealthCheck, ip string) (ok, answered bool, addr, detail string) {
	addr = net.JoinHostPort(ip, strconv.Itoa(h.Port))
	timeout := h.ProbeTimeout.D()
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if h.Kind == HealthTCP {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return false, false, addr, err.Error()
		}
		conn.Close()
		return true, true, addr, "connected"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+h.Path, nil)
	if err != nil {
		return false, false, addr, err.Error()
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return false, false, addr, err.Error()
	}
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400, true, addr, fmt.Sprintf("HTTP %d", resp.StatusCode)
}

// FleetProbeOptions say how ProbeFleet checks servers.
type FleetProbeOptions struct {
	// Checks are the health checks per role; servers of a role without one are left
	// out (their health is unknown).
	Checks map[string]HealthCheck
	// Roles says which role a server has.
	Roles fleet.Options
	// PerSecond bounds the probes started a second (default DefaultProbesPerSecond):
	// a fleet view probes at a gentle rate, not as a load test.
	PerSecond int
	// Client makes the HTTP probes (default: a client without keep-alives).
	Client *http.Client
}

// DefaultProbesPerSecond is the gentle rate at which a fleet is probed.
const DefaultProbesPerSecond = 20

// probeWorkers is how many probes run at once.
const probeWorkers = 8

// ProbeFleet probes every active server with a public address whose role has a health
// check, once (and once more when the first probe had no answer, so that a lost packet
// does not make a server unhealthy), and returns each one's
// health by droplet ID. Servers of such roles that cannot be probed are unknown, with
// why; servers of other roles are left out.
func ProbeFleet(ctx context.Context, servers []fleet.Server, opt FleetProbeOptions) map[int]fleet.Health {
	if opt.PerSecond <= 0 {
		opt.PerSecond = DefaultProbesPerSecond
	}
	if opt.Client == nil {
		opt.Client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	}
	out := map[int]fleet.Health{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, probeWorkers)
	tick := time.NewTicker(time.Second / time.Duration(opt.PerSecond))
	defer tick.Stop()
	for i := range servers {
		s := &servers[i]
		h, ok := opt.Checks[opt.Roles.Role(*s)]
		if !ok || h.Kind == HealthNone {
			continue
		}
		if why := unprobeable(s); why != "" {
			out[s.ID] = fleet.Health{State: fleet.HealthUnknown, Detail: why}
			continue
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return out
		case <-tick.C:
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r := probeTwice(ctx, opt.Client, h, s.PublicIP)
			mu.Lock()
			out[s.ID] = r
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

func unprobeable(s *fleet.Server) string {
	switch {
	case s.Status != "active":
		return "not probed: " + s.Status
	case s.PublicIP == "":
		return "not probed: no public address"
	}
	return ""
}

// probeTwice probes, and once more after the check's interval (at most half a second)
// when the first probe had no answer: an answer, even an error, is a verdict; silence
// may be a lost packet.
func probeTwice(ctx context.Context, client *http.Client, h HealthCheck, ip string) fleet.Health {
	ok, answered, addr, detail := Probe(ctx, client, h, ip)
	if !ok && !answered && sleep(ctx, min(h.Interval.D(), 500*time.Millisecond)) == nil {
		ok, _, addr, detail = Probe(ctx, client, h, ip)
	}
	at := time.Now().UTC()
	switch {
	case ctx.Err() != nil:
		return fleet.Health{State: fleet.HealthUnknown, Detail: "probe cut short", At: at}
	case ok:
		return fleet.Health{State: fleet.HealthHealthy, Detail: detail + " from " + addr + h.Path, At: at}
	}
	return fleet.Health{State: fleet.HealthUnhealthy, Detail: h.String() + " failed: " + detail, At: at}
}
