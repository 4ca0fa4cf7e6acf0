// Package dosim is a simulated DigitalOcean API: a stateful http.Handler that speaks the
// subset of the v2 API molt uses, with DigitalOcean's shapes, status codes, rate limits
// and asynchronous lifecycle, plus health endpoints on loopback addresses and fault
// injection through an admin path (/_sim/) that is not part of DigitalOcean's API.
package dosim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log"
	"math/big"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Config sets up a simulator. The zero value is a demo world with sensible delays.
type Config struct {
	// Token is the bearer token clients must send; empty generates a random one.
	Token string
	// Seed names the initial world: "demo" (default), "scale" or "empty".
	Seed string
	// Droplets is the number of droplets of the scale seed.
	Droplets int
	// Latency is added to every DigitalOcean API response.
	Latency time.Duration
	// Provision is how long a new droplet stays "new" (default 3s; negative means instant).
	Provision time.Duration
	// ActionDelay is how long a droplet action stays "in-progress" (default Provision/4).
	ActionDelay time.Duration
	// HealthPort is the port of /healthz on droplets' public addresses (default 8080,
	// negative disables the health listeners).
	HealthPort int
	// RatePerMinute and RatePerHour are the API rate limits (defaults 250 and 5,000).
	RatePerMinute, RatePerHour int
	// DropletLimit is the account's droplet limit (default: the seed's size plus 100).
	DropletLimit int
	// StatePath, when set, loads the world from this file at start and saves it on change.
	StatePath string
	// Now is the clock the seeds date their images and droplets from (default time.Now).
	Now func() time.Time
	// Logger, when set, receives one line per request.
	Logger *log.Logger
}

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
	timers  map[int]*time.Timer
	closed  bool
	reqSeq  atomic.Uint64
	baseURL atomic.Value // string: scheme://host the clients use, for links
}

// New builds a simulator from cfg and seeds its world.
func New(cfg Config) (*Sim, error) {
	cfg = withDefaults(cfg)
	s := &Sim{
		cfg:     cfg,
		limiter: newRateLimiter(cfg.RatePerMinute, cfg.RatePerHour),
		faults:  &faultSet{},
		stats:   newStats(),
		timers:  map[int]*time.Timer{},
	}
	s.health = newHealthHub(cfg.HealthPort, s.healthStatus)
	loaded, err := s.loadState()
	if err != nil {
		return nil, err
	}
	if !loaded {
		w, err := buildSeed(cfg, nextNet16())
		if err != nil {
			return nil, err
		}
		s.w = w
	}
	s.routes()
	s.mu.Lock()
	s.resumeLifecycle()
	s.mu.Unlock()
	return s, nil
}

func withDefaults(cfg Config) Config {
	if cfg.Token == "" {
		cfg.Token = RandomToken()
	}
	if cfg.Seed == "" {
		cfg.Seed = "demo"
	}
	if cfg.Provision == 0 {
		cfg.Provision = 3 * time.Second
	}
	if cfg.Provision < 0 {
		cfg.Provision = 0
	}
	if cfg.ActionDelay == 0 {
		cfg.ActionDelay = cfg.Provision / 4
	}
	if cfg.ActionDelay < 0 {
		cfg.ActionDelay = 0
	}
	if cfg.HealthPort == 0 {
		cfg.HealthPort = 8080
	}
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute = 250
	}
	if cfg.RatePerHour == 0 {
		cfg.RatePerHour = 5000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// RandomToken returns a fresh token in DigitalOcean's format (dop_v1_ and 64 hex digits).
func RandomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "dop_v1_" + hex.EncodeToString(b)
}

var net16Next atomic.Int64

// nextNet16 picks the second octet of this simulator's 127.N.0.0/16: random per process,
// then sequential, so that simulators in one process or on one machine do not collide.
func nextNet16() int {
	if net16Next.Load() == 0 {
		n, _ := rand.Int(rand.Reader, big.NewInt(200))
		net16Next.CompareAndSwap(0, n.Int64()+20)
	}
	return int((net16Next.Add(1)-21)%230) + 20
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
	s.mu.Unlock()
	s.health.closeAll()
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
