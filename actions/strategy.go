package actions

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Strategy is how a rollout proceeds; the same values drive plan and apply.
type Strategy struct {
	// Surge is the number of replacements in flight at once (the size of a wave).
	Surge int `json:"surge"`
	// Canary, when above zero, makes the first wave this many replacements, followed
	// by a checkpoint.
	Canary int `json:"canary,omitempty"`
	// Pause is what happens between waves and after the canary.
	Pause Pause `json:"pause"`
	// Health is how a new droplet is judged healthy.
	Health HealthCheck `json:"health"`
	// MinReady is how long a new droplet soaks in service before its old one retires.
	MinReady Duration `json:"min_ready,omitempty"`
	// Drain is how long a droplet that left its load balancers (or lost its reserved
	// IP) is left running before it is powered off or destroyed, so that requests in
	// flight on it end. It runs from when the droplet left, so a soak (MinReady) as
	// long covers it. Zero drains nothing (journals before it have none).
	Drain Duration `json:"drain,omitempty"`
	// ActiveTimeout is how long a new droplet may stay "new" before it counts as failed.
	ActiveTimeout Duration `json:"active_timeout"`
	// MaxFailures is how many failed replacements are tolerated before OnFailure applies.
	MaxFailures int `json:"max_failures"`
	// OnFailure is what happens once failures pass MaxFailures.
	OnFailure FailurePolicy `json:"on_failure"`
	// Retire is what happens to an old droplet once its replacement is in service.
	Retire Retire `json:"retire"`
	// LB hands load balancers over (HandoverAuto) or leaves them alone.
	LB HandoverMode `json:"lb"`
	// ReservedIP moves reserved IPs (HandoverAuto) or leaves them alone.
	ReservedIP HandoverMode `json:"reserved_ip"`
	// MoveVolumes moves attached volumes to the new droplet; without it servers with
	// volumes are skipped.
	MoveVolumes bool `json:"move_volumes,omitempty"`
	// KeepFailed keeps a new droplet that failed (powered on, out of service) for
	// inspection instead of destroying it.
	KeepFailed bool `json:"keep_failed,omitempty"`
	// Launch is what DigitalOcean cannot tell us about the old droplets.
	Launch Launch `json:"launch"`
	// AllowOtherRole lets the target be an image of another role than the servers', or
	// one image serve servers of several roles (the guards other_role, several_roles).
	AllowOtherRole bool `json:"allow_other_role,omitempty"`
	// AllowDowngrade lets the target be older than what servers run (guard downgrade).
	AllowDowngrade bool `json:"allow_downgrade,omitempty"`
}

// MaxUserData is DigitalOcean's limit on a droplet's user data: 64 KiB.
const MaxUserData = 64 << 10

// DefaultDrain is how long a droplet leaving service is drained by default.
const DefaultDrain = 10 * time.Second

// Launch holds the user data and SSH keys new droplets get; DigitalOcean never returns
// them for existing droplets. The user data itself is never journaled, only its hash.
type Launch struct {
	UserDataPath string   `json:"user_data_path,omitempty"`
	UserDataHash string   `json:"user_data_sha256,omitempty"`
	UserData     string   `json:"-"`
	SSHKeys      []string `json:"ssh_keys,omitempty"`
	// Source says where these came from: "flags", "template:<role>" or "" for none.
	Source string `json:"source,omitempty"`
}

// Pause is the checkpoint between waves: manual (wait for the operator), timed, or none.
type Pause struct {
	Mode PauseMode `json:"mode"`
	For  Duration  `json:"for,omitempty"` // how long a timed checkpoint waits
}

// HealthCheck says how a new droplet is probed from where molt runs.
type HealthCheck struct {
	Kind HealthKind `json:"kind"`
	Port int        `json:"port,omitempty"`
	Path string     `json:"path,omitempty"`
	// Interval is the time between probes; ProbeTimeout bounds one probe.
	Interval     Duration `json:"interval,omitempty"`
	ProbeTimeout Duration `json:"probe_timeout,omitempty"`
	// Timeout is how long a droplet has to pass before it fails.
	Timeout Duration `json:"timeout,omitempty"`
	// Threshold is the number of consecutive passing probes needed.
	Threshold int `json:"threshold,omitempty"`
	// FailThreshold (HTTP only) fails the check at once after this many consecutive
	// probes the service answered with an error status: it is up and says it is broken.
	// Probes that get no answer (still booting) never count. 0 leaves it to Timeout.
	FailThreshold int `json:"fail_threshold,omitempty"`
	// Grace is the wait after a droplet turns active before the first probe.
	Grace Duration `json:"grace,omitempty"`
}

// Retire is destroy, or keep (power off and keep for TTL, zero meaning until finalised).
type Retire struct {
	Mode RetireMode `json:"mode"`
	TTL  Duration   `json:"ttl,omitempty"`
}

// PauseMode is what happens at a checkpoint between waves.
type PauseMode string

// The pause modes (--pause).
const (
	PauseManual PauseMode = "manual" // wait for the operator to continue
	PauseTimed  PauseMode = "timed"  // wait Pause.For, then go on
	PauseNone   PauseMode = "none"   // no checkpoint (but one after a canary, manual)
)

// HealthKind is how a new droplet is probed.
type HealthKind string

// The health checks (--health).
const (
	HealthHTTP HealthKind = "http" // GET Path on Port answers 2xx or 3xx
	HealthTCP  HealthKind = "tcp"  // Port accepts a connection
	HealthNone HealthKind = "none" // no probe: a droplet is healthy once active
)

// RetireMode is what happens to an old droplet once its replacement is in service.
type RetireMode string

// The retire modes (--retire).
const (
	RetireDestroy RetireMode = "destroy" // destroy it
	RetireKeep    RetireMode = "keep"    // power it off and keep it for a fast rollback (Retire.TTL, or until finalised)
)

// FailurePolicy is what happens once failed replacements pass MaxFailures.
type FailurePolicy string

// The failure policies (--on-failure).
const (
	OnFailureRollback FailurePolicy = "rollback" // roll the whole rollout back
	OnFailurePause    FailurePolicy = "pause"    // pause until the operator continues or aborts
)

// HandoverMode says whether a handover touches load balancers (Strategy.LB) or
// reserved IPs (Strategy.ReservedIP).
type HandoverMode string

// The handover modes (--lb, --reserved-ip).
const (
	HandoverAuto HandoverMode = "auto" // hand over those the old droplet is in or has
	HandoverNone HandoverMode = "none" // leave them alone
)

// Duration is a time.Duration that reads and writes as "90s" in JSON.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String renders the duration as Go does ("1m30s").
func (d Duration) String() string { return time.Duration(d).String() }

// Short writes the duration as people type it, without empty minutes and seconds:
// 36h, 1h30m, 1m30s, 0s.
func (d Duration) Short() string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// DefaultStrategy is a careful rollout: one at a time, HTTP health on 8080, destroy the old.
func DefaultStrategy() Strategy {
	return Strategy{
		Surge: 1,
		Pause: Pause{Mode: PauseNone},
		Health: HealthCheck{Kind: HealthHTTP, Port: 8080, Path: "/healthz", Interval: Duration(2 * time.Second),
			ProbeTimeout: Duration(2 * time.Second), Timeout: Duration(5 * time.Minute), Threshold: 2,
			FailThreshold: 3},
		ActiveTimeout: Duration(10 * time.Minute),
		Drain:         Duration(DefaultDrain),
		OnFailure:     OnFailureRollback,
		Retire:        Retire{Mode: RetireDestroy},
		LB:            HandoverAuto,
		ReservedIP:    HandoverAuto,
	}
}

// Validate reports the first value that makes no sense, as one sentence.
func (s Strategy) Validate() error {
	if err := s.validateTimes(); err != nil {
		return err
	}
	switch {
	case s.Surge < 1:
		return fmt.Errorf("surge must be at least 1, not %d", s.Surge)
	case s.Canary < 0:
		return fmt.Errorf("canary must be 0 or more, not %d", s.Canary)
	case s.MaxFailures < 0:
		return fmt.Errorf("max-failures must be 0 or more, not %d", s.MaxFailures)
	case s.OnFailure != OnFailureRollback && s.OnFailure != OnFailurePause:
		return fmt.Errorf("on-failure must be rollback or pause, not %q", s.OnFailure)
	case s.LB != HandoverAuto && s.LB != HandoverNone:
		return fmt.Errorf("lb must be auto or none, not %q", s.LB)
	case s.ReservedIP != HandoverAuto && s.ReservedIP != HandoverNone:
		return fmt.Errorf("reserved-ip must be auto or none, not %q", s.ReservedIP)
	case s.Health.Kind != HealthNone && s.Health.Threshold < 1:
		return fmt.Errorf("healthy-threshold must be at least 1")
	case s.Health.FailThreshold < 0:
		return fmt.Errorf("unhealthy-threshold must be 0 or more")
	case s.Health.Kind != HealthNone && s.Health.Timeout <= 0:
		return fmt.Errorf("health-timeout must be positive")
	case s.ActiveTimeout <= 0:
		return fmt.Errorf("active-timeout must be positive")
	case len(s.Launch.UserData) > MaxUserData:
		return fmt.Errorf("user-data is %d bytes, more than the 64 KiB (%d bytes) DigitalOcean takes", len(s.Launch.UserData), MaxUserData)
	}
	return nil
}

// validateTimes refuses durations that cannot be meant: a negative soak, grace or drain,
// and probes with no time between them (the healthy threshold would mean nothing).
func (s Strategy) validateTimes() error {
	switch {
	case s.MinReady < 0:
		return fmt.Errorf("min-ready must be 0 or more, not %s", s.MinReady)
	case s.Health.Grace < 0:
		return fmt.Errorf("grace must be 0 or more, not %s", s.Health.Grace)
	case s.Drain < 0:
		return fmt.Errorf("drain must be 0 or more, not %s", s.Drain)
	case s.Health.Kind != HealthNone && s.Health.Interval <= 0:
		return fmt.Errorf("health-interval must be positive, not %s", s.Health.Interval)
	}
	return nil
}

// ParsePause reads --pause: manual, none, or a duration such as 5m.
func ParsePause(v string) (Pause, error) {
	switch m := PauseMode(v); m {
	case PauseManual, PauseNone:
		return Pause{Mode: m}, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return Pause{}, fmt.Errorf("--pause wants manual, none or a duration such as 5m, not %q", v)
	}
	return Pause{Mode: PauseTimed, For: Duration(d)}, nil
}

// String renders the pause as the flag reads it.
func (p Pause) String() string {
	if p.Mode == PauseTimed {
		return p.For.String()
	}
	return string(p.Mode)
}

// ParseHealth reads --health: http:PORT/PATH, tcp:PORT or none. It sets Kind, Port and
// Path on h and keeps its timings.
func ParseHealth(v string, h HealthCheck) (HealthCheck, error) {
	bad := fmt.Errorf("--health wants http:PORT/PATH, tcp:PORT or none, not %q", v)
	if HealthKind(v) == HealthNone {
		h.Kind, h.Port, h.Path = HealthNone, 0, ""
		return h, nil
	}
	k, rest, ok := strings.Cut(v, ":")
	kind := HealthKind(k)
	if !ok || (kind != HealthHTTP && kind != HealthTCP) {
		return h, bad
	}
	portStr, path, hasPath := strings.Cut(rest, "/")
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 || (kind == HealthTCP && hasPath) {
		return h, bad
	}
	h.Kind, h.Port, h.Path = kind, port, ""
	if kind == HealthHTTP {
		h.Path = "/" + path
	}
	return h, nil
}

// String renders the check as the flag reads it.
func (h HealthCheck) String() string {
	switch h.Kind {
	case HealthHTTP:
		return fmt.Sprintf("%s:%d%s", h.Kind, h.Port, h.Path)
	case HealthTCP:
		return fmt.Sprintf("%s:%d", h.Kind, h.Port)
	}
	return string(HealthNone)
}

// ParseRetire reads --retire: destroy, keep or keep=TTL.
func ParseRetire(v string) (Retire, error) {
	if m := RetireMode(v); m == RetireDestroy || m == RetireKeep {
		return Retire{Mode: m}, nil
	}
	if ttl, ok := strings.CutPrefix(v, string(RetireKeep)+"="); ok {
		d, err := time.ParseDuration(ttl)
		if err == nil && d > 0 {
			return Retire{Mode: RetireKeep, TTL: Duration(d)}, nil
		}
	}
	return Retire{}, fmt.Errorf("--retire wants destroy, keep or keep=TTL (such as keep=24h), not %q", v)
}

// String renders the retire mode as the flag reads it.
func (r Retire) String() string {
	if r.Mode == RetireKeep && r.TTL > 0 {
		return string(RetireKeep) + "=" + r.TTL.String()
	}
	return string(r.Mode)
}
