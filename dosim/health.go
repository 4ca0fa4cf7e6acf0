package dosim

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// healthHub runs one HTTP listener per active droplet, on the droplet's public
// (loopback) address, so that health checks go through real sockets.
type healthHub struct {
	port   int
	status func(dropletID int) int
	mu     sync.Mutex
	srvs   map[int]*http.Server
}

func newHealthHub(port int, status func(int) int) *healthHub {
	return &healthHub{port: port, status: status, srvs: map[int]*http.Server{}}
}

// open starts the listener of a droplet; a failure to bind is logged in the returned
// error and leaves the droplet without a health endpoint, as a broken server would be.
func (h *healthHub) open(dropletID int, ip string) error {
	if h.port < 0 || ip == "" {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.srvs[dropletID]; ok {
		return nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(h.port)))
	if err != nil {
		return fmt.Errorf("health listener for droplet %d: %w", dropletID, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		code := h.status(dropletID)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		if code == http.StatusOK {
			fmt.Fprintf(w, "ok droplet %d\n", dropletID)
		} else {
			fmt.Fprintf(w, "unhealthy droplet %d\n", dropletID)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	h.srvs[dropletID] = srv
	go func() { _ = srv.Serve(ln) }()
	return nil
}

func (h *healthHub) close(dropletID int) {
	h.mu.Lock()
	srv, ok := h.srvs[dropletID]
	delete(h.srvs, dropletID)
	h.mu.Unlock()
	if ok {
		_ = srv.Close()
	}
}

func (h *healthHub) closeAll() {
	h.mu.Lock()
	srvs := h.srvs
	h.srvs = map[int]*http.Server{}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, srv := range srvs {
		_ = srv.Shutdown(ctx)
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
