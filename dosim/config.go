package dosim

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
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
	// DemoExtras adds to the demo seed what the audit and pool features need beyond the
	// 48 droplets other packages' tests count: two pets built from distribution images,
	// and the autoscale pool "api" (four members on an older template image).
	DemoExtras bool
	// Team, when set, names the team the account belongs to (/v2/account shows it).
	Team string
	// Latency is added to every DigitalOcean API response.
	Latency time.Duration
	// Provision is how long a new droplet stays "new" (default 3s; negative means instant).
	Provision time.Duration
	// ActionDelay is how long a droplet action stays "in-progress" (default Provision/4).
	ActionDelay time.Duration
	// PoolMinute is how long one minute of an autoscale pool's documented timings lasts:
	// its cooldown (10 minutes for a fixed-size pool) and the 60 seconds between the
	// shutdown and the destroy of a member it retires. Default one minute; tests shrink it.
	PoolMinute time.Duration
	// HealthPort is the port of /healthz on droplets' public addresses (default 8080,
	// negative disables the health listeners).
	HealthPort int
	// HealthListeners caps the health listeners open at once (default: what the process's
	// open-file limit leaves after a reserve for the API's own connections and files).
	HealthListeners int
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

// Validate checks the values a person typed, as `molt sim` takes them from its flags,
// and returns one sentence naming the flag at fault. Zero keeps a default everywhere
// except Provision, where `--provision 0` means instant: the command turns it into a
// negative Provision, which New reads as instant, after Validate has refused negative
// durations typed by hand.
func (c Config) Validate() error {
	checks := []struct {
		bad  bool
		what string
	}{
		{!validSeed(c.Seed), fmt.Sprintf("--seed must be demo, scale or empty, not %q", c.Seed)},
		{c.Droplets < 0, fmt.Sprintf("--droplets must be 0 or more, not %d", c.Droplets)},
		{c.Droplets > MaxDroplets, fmt.Sprintf("--droplets can be at most %d, not %d", MaxDroplets, c.Droplets)},
		{c.Latency < 0, fmt.Sprintf("--latency must be 0 or more, not %v", c.Latency)},
		{c.Provision < 0, fmt.Sprintf("--provision must be 0 (instant) or more, not %v", c.Provision)},
		{c.ActionDelay < 0, fmt.Sprintf("--action-delay must be 0 or more, not %v", c.ActionDelay)},
		{c.PoolMinute < 0, fmt.Sprintf("--pool-minute must be 0 (one minute) or more, not %v", c.PoolMinute)},
		{c.HealthPort < -1 || c.HealthPort > 65535, fmt.Sprintf("--health-port must be a port number or -1 for none, not %d", c.HealthPort)},
		{c.HealthListeners < 0, fmt.Sprintf("the health listener cap must be 0 (automatic) or more, not %d", c.HealthListeners)},
		{c.RatePerMinute < 0, fmt.Sprintf("--rate-per-minute must be 0 (the default, 250) or more, not %d", c.RatePerMinute)},
		{c.RatePerHour < 0, fmt.Sprintf("--rate-per-hour must be 0 (the default, 5000) or more, not %d", c.RatePerHour)},
		{c.DropletLimit < 0, fmt.Sprintf("--droplet-limit must be 0 (seed size + 100) or more, not %d", c.DropletLimit)},
	}
	for _, ch := range checks {
		if ch.bad {
			return errors.New(ch.what)
		}
	}
	return validStatePath(c.StatePath)
}

// MaxDroplets is the largest scale seed: the loopback addresses of the simulator's
// networks (63,500 droplets per 127.N.0.0/16) run out well after it.
const MaxDroplets = 1_000_000

func validSeed(seed string) bool {
	switch seed {
	case "", "demo", "scale", "empty":
		return true
	}
	return false
}

// validStatePath refuses a state file whose directory does not exist or is not one, or
// that is itself a directory: the first save would fail, long after the start.
func validStatePath(path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("--state %s is a directory; name a file in it", path)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("--state %s: the directory %s does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("--state %s: %v", path, err)
	case !fi.IsDir():
		return fmt.Errorf("--state %s: %s is not a directory", path, dir)
	}
	return nil
}

func withDefaults(cfg Config) Config {
	if cfg.Token == "" {
		cfg.Token = RandomToken()
	}
	if cfg.Seed == "" {
		cfg.Seed = "demo"
	}
	cfg.Provision = durationOr(cfg.Provision, 3*time.Second)
	cfg.ActionDelay = durationOr(cfg.ActionDelay, cfg.Provision/4)
	cfg.PoolMinute = durationOr(cfg.PoolMinute, time.Minute)
	if cfg.HealthPort == 0 {
		cfg.HealthPort = 8080
	}
	if cfg.HealthListeners == 0 {
		cfg.HealthListeners = healthBudget()
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

// durationOr is d, or def when d is zero; a negative d means none at all.
func durationOr(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}
