package dosim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// healthHub runs one listener per active droplet, on the droplet's public (loopback)
// address, so that health checks go through real sockets. One http.Server serves them
// all, without keep-alives, so that a probe after a droplet stops finds its port closed.
// At most max listeners are open: each takes a file descriptor (see HealthNotice).
type healthHub struct {
	port   int
	max    int
	status func(dropletID int) int
	srv    *http.Server
	mu     sync.Mutex
	lns    map[int]net.Listener
	byIP   map[string]int
	// refused counts the droplets left without a listener because max was reached.
	refused int
}

// errHealthFull is why a droplet has no health endpoint once the hub is full.
var errHealthFull = errors.New("the open-file limit leaves no room for another health listener")

func newHealthHub(port, maxListeners int, status func(int) int) *healthHub {
	h := &healthHub{port: port, max: maxListeners, status: status, lns: map[int]net.Listener{}, byIP: map[string]int{}}
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serve), ReadHeaderTimeout: 5 * time.Second}
	h.srv.SetKeepAlivesEnabled(false)
	return h
}

func (h *healthHub) serve(w http.ResponseWriter, r *http.Request) {
	id := 0
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if host, _, err := net.SplitHostPort(addr.String()); err == nil {
			h.mu.Lock()
			id = h.byIP[host]
			h.mu.Unlock()
		}
	}
	code := h.status(id)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	if code == http.StatusOK {
		fmt.Fprintf(w, "ok droplet %d\n", id)
	} else {
		fmt.Fprintf(w, "unhealthy droplet %d\n", id)
	}
}

// open starts the listener of a droplet. A failure to bind, or a full hub, leaves the
// droplet without a health endpoint, as a broken server would be; the error says why.
func (h *healthHub) open(dropletID int, ip string) error {
	if h.port < 0 || ip == "" {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.lns[dropletID]; ok {
		return nil
	}
	if len(h.lns) >= h.max {
		h.refused++
		return errHealthFull
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(h.port)))
	if err != nil {
		return fmt.Errorf("health listener for droplet %d: %w", dropletID, err)
	}
	h.lns[dropletID] = ln
	h.byIP[ip] = dropletID
	go func() { _ = h.srv.Serve(ln) }()
	return nil
}

func (h *healthHub) close(dropletID int) {
	h.mu.Lock()
	ln, ok := h.lns[dropletID]
	delete(h.lns, dropletID)
	if ok {
		host, _, _ := net.SplitHostPort(ln.Addr().String())
		delete(h.byIP, host)
	}
	h.mu.Unlock()
	if ok {
		_ = ln.Close()
	}
}

// served is how many listeners are open.
func (h *healthHub) served() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.lns)
}

// room is how many more listeners fit.
func (h *healthHub) room() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.max - len(h.lns)
}

func (h *healthHub) closeAll() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = h.srv.Shutdown(ctx)
	h.mu.Lock()
	lns := h.lns
	h.lns, h.byIP = map[int]net.Listener{}, map[string]int{}
	h.mu.Unlock()
	for _, ln := range lns {
		_ = ln.Close()
	}
}

// healthStatus is what /healthz answers for a droplet: 200, or 500 for an unhealthy image
// (and 503 for a droplet that is gone or off, in the moment before its listener closes).
func (s *Sim) healthStatus(dropletID int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.w.Droplets[dropletID]
	if !ok || d.Status != "active" {
		return http.StatusServiceUnavailable
	}
	if im, ok := s.w.Images[d.ImageID]; ok && im.Unhealthy {
		return http.StatusInternalServerError
	}
	return http.StatusOK
}

// HealthPort is the port /healthz listens on, on each active droplet's public address.
func (s *Sim) HealthPort() int { return s.cfg.HealthPort }
