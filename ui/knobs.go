package ui

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/molt-sh/molt/actions"
)

// knob is one strategy setting on the stage screen: its name, what it means, its value
// as text, how ← and → change it, and how a typed value sets it (nil: it cannot be
// typed).
type knob struct {
	name, help string
	value      func(actions.Strategy) string
	change     func(*actions.Strategy, int)
	parse      func(*actions.Strategy, string) error
}

// errNoHealthCheck refuses a health check's port or path while there is none.
var errNoHealthCheck = errors.New("no health check: set health check to http or tcp first")

// knobs are the strategy settings the stage screen offers, in order: every one the
// CLI's flags set, but for user data and SSH keys and the guards' overrides (! asks for
// those, guards.go). The drain starts at the cockpit's --drain and holds for this stage.
var knobs = []knob{
	{"surge", "new droplets in flight at once (a wave)",
		func(s actions.Strategy) string { return strconv.Itoa(s.Surge) },
		func(s *actions.Strategy, d int) { s.Surge = clampInt(s.Surge+d, 1, 50) },
		func(s *actions.Strategy, v string) error { return parseInt(v, 1, 50, &s.Surge) }},
	{"canary", "replace this many first, then stop for a check",
		func(s actions.Strategy) string { return offOr(s.Canary) },
		func(s *actions.Strategy, d int) { s.Canary = clampInt(s.Canary+d, 0, 20) },
		func(s *actions.Strategy, v string) error {
			return parseInt(strings.Replace(v, "off", "0", 1), 0, 20, &s.Canary)
		}},
	{"pause", "between waves: none, wait for you (manual), or a time",
		func(s actions.Strategy) string { return pauseText(s.Pause) },
		func(s *actions.Strategy, d int) { s.Pause = cycle(pauses, s.Pause, d) },
		func(s *actions.Strategy, v string) (err error) { s.Pause, err = actions.ParsePause(v); return err }},
	{"health check", "how a new droplet proves it is healthy: http, tcp or none",
		func(s actions.Strategy) string { return string(s.Health.Kind) },
		func(s *actions.Strategy, d int) { s.Health = cycleHealth(s.Health, d) }, nil},
	{"health port", "the port the health check probes",
		func(s actions.Strategy) string { return unlessNoHealth(s, strconv.Itoa(s.Health.Port)) },
		func(s *actions.Strategy, d int) { s.Health.Port = step(healthPorts, s.Health.Port, d) },
		func(s *actions.Strategy, v string) error { return healthOnly(s, parseInt(v, 1, 65535, &s.Health.Port)) }},
	{"health path", "the path an http health check asks for",
		func(s actions.Strategy) string {
			if s.Health.Kind != "http" {
				return "-"
			}
			return s.Health.Path
		},
		func(s *actions.Strategy, d int) { s.Health.Path = cycle(healthPaths, s.Health.Path, d) },
		parseHealthPath},
	{"grace", "the wait after a droplet is active before its first probe",
		func(s actions.Strategy) string { return s.Health.Grace.Short() },
		func(s *actions.Strategy, d int) { s.Health.Grace = step(graces, s.Health.Grace, d) },
		func(s *actions.Strategy, v string) error { return parseDuration(v, &s.Health.Grace) }},
	{"min ready", "how long a new droplet serves before its old one retires",
		func(s actions.Strategy) string { return s.MinReady.Short() },
		func(s *actions.Strategy, d int) { s.MinReady = step(minReadies, s.MinReady, d) },
		func(s *actions.Strategy, v string) error { return parseDuration(v, &s.MinReady) }},
	{"drain", "how long an old droplet out of service runs on before it goes (0: none)",
		func(s actions.Strategy) string { return s.Drain.Short() },
		func(s *actions.Strategy, d int) { s.Drain = step(drains, s.Drain, d) },
		func(s *actions.Strategy, v string) error { return parseDuration(v, &s.Drain) }},
	{"retire old", "destroy, or power off and keep (for a time) for a fast rollback",
		func(s actions.Strategy) string { return retireText(s.Retire) },
		func(s *actions.Strategy, d int) { s.Retire = cycle(retires, s.Retire, d) },
		func(s *actions.Strategy, v string) (err error) { s.Retire, err = actions.ParseRetire(v); return err }},
	{"on failure", "roll everything back, or pause for you",
		func(s actions.Strategy) string { return string(s.OnFailure) },
		func(s *actions.Strategy, d int) { s.OnFailure = cycle(onFailures, s.OnFailure, d) }, nil},
	{"max failures", "failed replacements tolerated before the on-failure action",
		func(s actions.Strategy) string { return strconv.Itoa(s.MaxFailures) },
		func(s *actions.Strategy, d int) { s.MaxFailures = clampInt(s.MaxFailures+d, 0, 20) },
		func(s *actions.Strategy, v string) error { return parseInt(v, 0, 1000, &s.MaxFailures) }},
	{"load balancers", "hand over on the old droplets' load balancers (auto), or leave them be",
		func(s actions.Strategy) string { return string(s.LB) },
		func(s *actions.Strategy, d int) { s.LB = cycle(autoNone, s.LB, d) }, nil},
	{"reserved IPs", "move the old droplets' reserved IPs to the new ones (auto), or not",
		func(s actions.Strategy) string { return string(s.ReservedIP) },
		func(s *actions.Strategy, d int) { s.ReservedIP = cycle(autoNone, s.ReservedIP, d) }, nil},
	{"move volumes", "move volumes to the new droplets; without, their servers are skipped",
		func(s actions.Strategy) string { return yesNo(s.MoveVolumes) },
		func(s *actions.Strategy, d int) { s.MoveVolumes = !s.MoveVolumes }, nil},
}

// knobNamed is the index of the knob called name.
func knobNamed(name string) int {
	return slices.IndexFunc(knobs, func(k knob) bool { return k.name == name })
}

var (
	pauses = []actions.Pause{{Mode: "none"}, {Mode: "manual"},
		{Mode: "timed", For: actions.Duration(time.Minute)}, {Mode: "timed", For: actions.Duration(5 * time.Minute)}}
	retires = []actions.Retire{{Mode: "destroy"}, {Mode: "keep"}, {Mode: "keep", TTL: actions.Duration(time.Hour)},
		{Mode: "keep", TTL: actions.Duration(24 * time.Hour)}, {Mode: "keep", TTL: actions.Duration(72 * time.Hour)}}
	onFailures  = []actions.FailurePolicy{"rollback", "pause"}
	healthPorts = []int{80, 443, 3000, 8000, 8080, 9000}
	healthPaths = []string{"/healthz", "/health", "/ready", "/"}
	graces      = durations(0, 10*time.Second, 30*time.Second, time.Minute, 2*time.Minute, 5*time.Minute)
	minReadies  = durations(0, 30*time.Second, time.Minute, 5*time.Minute, 10*time.Minute)
	drains      = durations(0, 5*time.Second, 10*time.Second, 30*time.Second, time.Minute, 2*time.Minute)
	autoNone    = []actions.HandoverMode{"auto", "none"}
)

func durations(ds ...time.Duration) []actions.Duration {
	out := make([]actions.Duration, len(ds))
	for i, d := range ds {
		out[i] = actions.Duration(d)
	}
	return out
}

// pauseText and retireText write those settings as their flags read, durations short.
func pauseText(p actions.Pause) string {
	if p.Mode == "timed" {
		return p.For.Short()
	}
	return string(p.Mode)
}

func retireText(r actions.Retire) string {
	if r.Mode == "keep" && r.TTL > 0 {
		return "keep=" + r.TTL.Short()
	}
	return string(r.Mode)
}

func offOr(n int) string {
	if n == 0 {
		return "off"
	}
	return strconv.Itoa(n)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// cycle steps through options from the one equal to cur (the first when none is).
func cycle[T comparable](options []T, cur T, d int) T {
	i := 0
	for j, o := range options {
		if o == cur {
			i = j
		}
	}
	return options[((i+d)%len(options)+len(options))%len(options)]
}

// step goes from cur to the next preset above it (d > 0) or below it, wrapping round:
// a typed value between presets steps to its neighbours.
func step[T cmp.Ordered](presets []T, cur T, d int) T {
	if d > 0 {
		for _, p := range presets {
			if p > cur {
				return p
			}
		}
		return presets[0]
	}
	for i := len(presets) - 1; i >= 0; i-- {
		if presets[i] < cur {
			return presets[i]
		}
	}
	return presets[len(presets)-1]
}

// cycleHealth steps through http, tcp and none, keeping the port and the timings.
func cycleHealth(h actions.HealthCheck, d int) actions.HealthCheck {
	kinds := []actions.HealthKind{"http", "tcp", "none"}
	h.Kind = cycle(kinds, h.Kind, d)
	if h.Port == 0 {
		h.Port = 8080
	}
	switch h.Kind {
	case "http":
		if h.Path == "" {
			h.Path = "/healthz"
		}
	case "tcp":
		h.Path = ""
	}
	if h.Kind != "none" && h.Threshold < 1 {
		h.Threshold = 2
	}
	return h
}

func unlessNoHealth(s actions.Strategy, v string) string {
	if s.Health.Kind == "none" {
		return "-"
	}
	return v
}

func healthOnly(s *actions.Strategy, err error) error {
	if s.Health.Kind == "none" {
		return errNoHealthCheck
	}
	return err
}

func parseHealthPath(s *actions.Strategy, v string) error {
	switch {
	case s.Health.Kind != "http":
		return errors.New("only an http health check has a path")
	case !strings.HasPrefix(v, "/") || strings.ContainsAny(v, " \t"):
		return fmt.Errorf("a path starts with / and has no spaces, not %q", v)
	}
	s.Health.Path = v
	return nil
}

func parseInt(v string, lo, hi int, into *int) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return fmt.Errorf("want a whole number from %d to %d, not %q", lo, hi, v)
	}
	*into = n
	return nil
}

func parseDuration(v string, into *actions.Duration) error {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if v == "0" {
		d, err = 0, nil
	}
	if err != nil || d < 0 {
		return fmt.Errorf("want a duration such as 30s or 2m, not %q", v)
	}
	*into = actions.Duration(d)
	return nil
}
