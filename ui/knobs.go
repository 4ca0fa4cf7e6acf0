package ui

import (
	"strconv"
	"time"

	"github.com/molt-sh/molt/actions"
)

// knob is one strategy setting on the stage screen: its name, what it means, its value
// as text, and how ← and → change it.
type knob struct {
	name, help string
	value      func(actions.Strategy) string
	change     func(*actions.Strategy, int)
}

// knobs are the strategy settings the stage screen offers, in order.
var knobs = []knob{
	{"surge", "new droplets in flight at once (a wave)",
		func(s actions.Strategy) string { return strconv.Itoa(s.Surge) },
		func(s *actions.Strategy, d int) { s.Surge = clampInt(s.Surge+d, 1, 20) }},
	{"canary", "replace this many first, then stop for a check",
		func(s actions.Strategy) string { return offOr(s.Canary) },
		func(s *actions.Strategy, d int) { s.Canary = clampInt(s.Canary+d, 0, 10) }},
	{"pause", "between waves: none, wait for you, or timed",
		func(s actions.Strategy) string { return s.Pause.String() },
		func(s *actions.Strategy, d int) { s.Pause = cycle(pauses, s.Pause, d) }},
	{"health check", "how a new droplet proves it is healthy",
		func(s actions.Strategy) string { return s.Health.String() },
		func(s *actions.Strategy, d int) { s.Health = cycleHealth(s.Health, d) }},
	{"retire old", "destroy, or power off and keep for a fast rollback",
		func(s actions.Strategy) string { return s.Retire.String() },
		func(s *actions.Strategy, d int) { s.Retire = cycle(retires, s.Retire, d) }},
	{"on failure", "roll everything back, or pause for you",
		func(s actions.Strategy) string { return string(s.OnFailure) },
		func(s *actions.Strategy, d int) { s.OnFailure = cycle(onFailures, s.OnFailure, d) }},
	{"max failures", "failed replacements tolerated before the on-failure action",
		func(s actions.Strategy) string { return strconv.Itoa(s.MaxFailures) },
		func(s *actions.Strategy, d int) { s.MaxFailures = clampInt(s.MaxFailures+d, 0, 10) }},
}

var (
	pauses = []actions.Pause{{Mode: "none"}, {Mode: "manual"},
		{Mode: "timed", For: actions.Duration(time.Minute)}, {Mode: "timed", For: actions.Duration(5 * time.Minute)}}
	retires    = []actions.Retire{{Mode: "destroy"}, {Mode: "keep"}}
	onFailures = []actions.FailurePolicy{"rollback", "pause"}
)

func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

func offOr(n int) string {
	if n == 0 {
		return "off"
	}
	return strconv.Itoa(n)
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
