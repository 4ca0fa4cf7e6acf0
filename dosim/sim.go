// Package dosim is a simulated DigitalOcean API: a stateful http.Handler that speaks the
// subset of the v2 API molt uses, with DigitalOcean's shapes, status codes, rate limits
// and asynchronous lifecycle, plus health endpoints on loopback addresses and fault
// injection through an admin path (/_sim/) that is not part of DigitalOcean's API.
package dosim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Sim is a running simulated cloud. Create it with New, serve it with any http.Server
// (or httptest.NewServer), and Close it to release its health listeners.
type Sim struct {
	cfg     Config
	mux     *http.ServeMux
	mu      sync.Mutex
	w       *world
	health  *healthHub
	limiter *rateLimiter
	faults  *faultSet
	stats   *stats
	timers  map[string]*time.Timer // by what they time: "droplet:ID", "action:ID", "lb:ID", "pool:ID"
	claims  []net.Listener         // hold this simulator's 127.N.0.0/16 networks on the health port
	closed  bool
	// extraRoutes are patterns served by dispatchers (routes_droplets.go).
	extraRoutes []extraRoute
	reqSeq      atomic.Uint64
	baseURL     atomic.Value // string: scheme://host the clients use, for links
}

// New builds a simulator from cfg and seeds its world.
func New(cfg Config) (*Sim, error) {
	cfg = withDefaults(cfg)
	s := &Sim{
		cfg:     cfg,
		limiter: newRateLimiter(cfg.RatePerMinute, cfg.RatePerHour),
		faults:  &faultSet{},
		stats:   newStats(),
		timers:  map[string]*time.Timer{},
	}
	s.health = newHealthHub(cfg.HealthPort, cfg.HealthListeners, s.healthStatus)
	loaded, err := s.loadState()
	if err != nil {
		return nil, err
	}
	if loaded {
		s.claims = s.claimLoaded()
	} else {
		nets, claims := claimNets(cfg.HealthPort, netsFor(cfg))
		w, err := buildSeed(cfg, nets)
		if err != nil {
			closeAll(claims)
			return nil, err
		}
		s.w, s.claims = w, claims
	}
	s.w.reindex()
	s.routes()
	s.mu.Lock()
	s.resumeLifecycle()
	s.mu.Unlock()
	return s, nil
}

// RandomToken returns a fresh token in DigitalOcean's format (dop_v1_ and 64 hex digits).
func RandomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "dop_v1_" + hex.EncodeToString(b)
}

// Token is the bearer token the simulator accepts.
func (s *Sim) Token() string { return s.cfg.Token }

// SetBaseURL tells the simulator the URL clients reach it at, for absolute links;
// without it the links use the request's Host.
func (s *Sim) SetBaseURL(u string) { s.baseURL.Store(u) }

// Close stops every timer and health listener. The handler answers 503 afterwards.
func (s *Sim) Close() {
	s.mu.Lock()
	s.closed = true
	for id, t := range s.timers {
		t.Stop()
		delete(s.timers, id)
	}
	claims := s.claims
	s.claims = nil
	s.mu.Unlock()
	s.health.closeAll()
	closeAll(claims)
}

// logf logs through Config.Logger, when there is one.
func (s *Sim) logf(format string, a ...any) {
	if s.cfg.Logger != nil {
		s.cfg.Logger.Printf(format, a...)
	}
}

// ServeHTTP implements http.Handler.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// now is the wall clock of the lifecycle (seeds may use a fixed Config.Now; time passes for real).
func (s *Sim) now() time.Time { return time.Now().UTC() }

func (s *Sim) requestID() string {
	n := s.reqSeq.Add(1)
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", n, n%0xffff, n%0xfff, (n*7)%0xfff, n*2654435761%0xffffffffffff)
}
