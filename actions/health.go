package actions

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// provisionClock learns how long droplets take to turn active, so that the first poll
// after a create usually finds them active: fewer API calls per replaced server.
type provisionClock struct {
	mu       sync.Mutex
	estimate time.Duration // 0: not known yet
	min      time.Duration
}

// first is when to poll first after a create.
func (p *provisionClock) first() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(p.estimate, p.min)
}

// next is the wait before polling again, elapsed after the create: a tenth of the
// time so far, so that the time learnt is never more than a tenth too long.
func (p *provisionClock) next(elapsed time.Duration) time.Duration {
	return max(p.min, elapsed/10)
}

// observe learns from a droplet seen active elapsed after its create, at the first poll
// or a later one. A hit at the first poll says nothing new; a miss moves the estimate
// up to what was seen.
func (p *provisionClock) observe(elapsed time.Duration, firstPoll bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !firstPoll || p.estimate == 0 {
		p.estimate = max(p.estimate, elapsed)
	}
}

// probe checks a droplet once: an HTTP GET answered 2xx or 3xx, or a TCP connect.
func (e *Executor) probe(ctx context.Context, ip string) (ok bool, addr, detail string) {
	h := e.plan.Strategy.Health
	addr = net.JoinHostPort(ip, strconv.Itoa(h.Port))
	timeout := h.ProbeTimeout.D()
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if h.Kind == "tcp" {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return false, addr, err.Error()
		}
		conn.Close()
		return true, addr, "connected"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+h.Path, nil)
	if err != nil {
		return false, addr, err.Error()
	}
	resp, err := e.health.Do(req)
	if err != nil {
		return false, addr, err.Error()
	}
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400, addr, fmt.Sprintf("HTTP %d", resp.StatusCode)
}

// awaitHealthy probes a droplet until Threshold probes in a row pass (nil) or the
// health timeout passes (an error saying what the last probe saw).
func (e *Executor) awaitHealthy(ctx context.Context, s *slot, id int, ip string) error {
	h := e.plan.Strategy.Health
	if h.Kind == "none" {
		return nil
	}
	if err := sleep(ctx, h.Grace.D()); err != nil {
		return err
	}
	deadline := time.Now().Add(h.Timeout.D())
	passes, last := 0, ""
	for {
		ok, addr, detail := e.probe(ctx, ip)
		if ok {
			passes++
		} else {
			passes = 0
		}
		last = detail
		e.publish(HealthProbe{At: time.Now(), Slot: s.r.Slot, Droplet: id, Addr: addr, OK: ok, Detail: detail, Passes: passes})
		if passes >= h.Threshold {
			return nil
		}
		if !time.Now().Add(h.Interval.D()).Before(deadline) {
			return fmt.Errorf("not healthy after %s (last probe: %s)", h.Timeout, last)
		}
		if err := sleep(ctx, h.Interval.D()); err != nil {
			return err
		}
	}
}
