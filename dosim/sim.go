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
	"net"
	"net/http"
	"net/netip"
	"strconv"
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
	claim   net.Listener // holds this simulator's 127.N.0.0/16 on the health port
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
	if loaded {
		s.claimLoaded()
	} else {
		net16, claim := claimNet16(cfg.HealthPort)
		w, err := buildSeed(cfg, net16)
		if err != nil {
			if claim != nil {
				_ = claim.Close()
			}
			return nil, err
		}
		s.w, s.claim = w, claim
	}
	s.w.reindex()
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

// The simulators' networks are 127.N.0.0/16 with N in [net16Min, net16Min+net16Count).
const (
	net16Min   = 20
	net16Count = 230
)

var net16Next atomic.Int64

// nextNet16 proposes the second octet of a simulator's 127.N.0.0/16: from a random start
// per process, then sequential, so that simulators in one process do not collide.
func nextNet16() int {
	if net16Next.Load() == 0 {
		n, _ := rand.Int(rand.Reader, big.NewInt(net16Count))
		net16Next.CompareAndSwap(0, n.Int64()+1)
	}
	return int((net16Next.Add(1)-2)%net16Count) + net16Min
}

// claimAddr is the address a simulator holds, on the health port, to claim its /16:
// droplets never get it (see allocIPs).
func claimAddr(net16, port int) string {
	return net.JoinHostPort(netip.AddrFrom4([4]byte{127, byte(net16), 255, 254}).String(), strconv.Itoa(port))
}

// claimNet16 picks a /16 no other simulator on this machine uses on the same health port,
// by binding claimAddr there and holding it until Close: simulators in other processes
// (other test binaries, a `molt sim`) start from other random points and skip it.
func claimNet16(port int) (int, net.Listener) {
	if port < 0 {
		return nextNet16(), nil
	}
	for range net16Count {
		n := nextNet16()
		if ln, err := net.Listen("tcp", claimAddr(n, port)); err == nil {
			return n, ln
		}
	}
	return nextNet16(), nil
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
	claim := s.claim
	s.claim = nil
	s.mu.Unlock()
	s.health.closeAll()
	if claim != nil {
		_ = claim.Close()
	}
}

// claimLoaded claims the /16 of a world loaded from a state file, which keeps its
// addresses; if another simulator holds it, the health listeners that collide fail.
func (s *Sim) claimLoaded() {
	if s.cfg.HealthPort < 0 {
		return
	}
	ln, err := net.Listen("tcp", claimAddr(s.w.Net16, s.cfg.HealthPort))
	if err != nil {
		if s.cfg.Logger != nil {
			s.cfg.Logger.Printf("network 127.%d.0.0/16 of the saved world is in use by another simulator: %v", s.w.Net16, err)
		}
		return
	}
	s.claim = ln
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
