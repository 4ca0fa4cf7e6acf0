package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind names a scenario: what goes wrong around a rollout.
type Kind string

// The scenarios. Each draws its selection, strategy, faults and interruption points
// from the seed.
const (
	KindFaults         Kind = "faults"          // one apply under fault rules, no interruption
	KindKill           Kind = "kill"            // kill -9 of apply, then of resumes or rollbacks
	KindSignal         Kind = "signal"          // SIGTERM, SIGINT or SIGHUP, then resume
	KindRollback       Kind = "rollback"        // a rollback killed part way, resumed
	KindLateCreate     Kind = "late-create"     // creates committed after molt gave up on them
	KindTwoDrivers     Kind = "two-drivers"     // two processes drive one rollout
	KindTwoOperators   Kind = "two-operators"   // two operators apply overlapping selections at once
	KindJournalTorn    Kind = "journal-torn"    // the journal's last line torn, as by a crash mid-write
	KindJournalDamaged Kind = "journal-damaged" // a line in the middle of the journal damaged, or the file emptied
	KindJournalLost    Kind = "journal-lost"    // the state directory lost mid-rollout
	KindDiskFull       Kind = "disk-full"       // the state directory's disk fills up during a rollout
	KindUnlockLive     Kind = "unlock-live"     // `molt unlock` tried on a rollout a live process drives
)

// kinds is the seed's choice of scenario, with weights; the order is part of what a
// seed means, so new kinds go at the end.
var kinds = []struct {
	kind   Kind
	weight int
}{
	{KindFaults, 3}, {KindKill, 4}, {KindSignal, 2}, {KindRollback, 2}, {KindLateCreate, 2},
	{KindTwoDrivers, 2}, {KindTwoOperators, 2}, {KindJournalTorn, 1}, {KindJournalDamaged, 1},
	{KindJournalLost, 1}, {KindDiskFull, 2}, {KindUnlockLive, 1},
}

// Scenario is everything a seed decides: a replay of the seed makes the same choices.
// What the processes and the simulator do with them depends on timing, so a replay
// repeats the scenario, not necessarily the same interleaving.
type Scenario struct {
	Seed int64
	Kind Kind
	// Token is the simulator's bearer token; the invariants look for it everywhere.
	Token string
	// TokenFlag passes the token as --access-token instead of in the environment.
	TokenFlag bool
	Sim       SimOptions
	// Selection and Target are what the scenario replaces; Second, when set, is another
	// selection and target: the second operator's (two-operators), or a rollout that
	// leaves a readable journal beside the damaged one (journal-damaged).
	Selection []string
	Target    string
	Second    []string
	// Strategy are apply's strategy flags; Poll the hidden --poll-min of every run.
	Strategy []string
	// Drain is the --drain of the strategy, where molt has the flag (its default, 10s
	// a wave, would make a rollout of the demo world outlast the harness's patience).
	Drain string
	// Image marks the target image before the rollout: "unhealthy" (health checks fail)
	// or "stuck" (its droplets stay new), or "".
	Image  string
	Faults []FaultPlan
	Steps  []Step
	// Finish is how the operator ends what is left: "resume" or "rollback".
	Finish string

	broken   string   // the selection's image that fails health checks
	onBroken []string // the selection that image upgrades
	count    int      // about how many servers the selection replaces
	ops      []string // the journal ops its rollouts write
}

// SimOptions are the simulator's flags.
type SimOptions struct {
	Provision time.Duration
	Latency   time.Duration
}

// Step is one thing the operator (or the world) does in the chaos phase, in order.
type Step struct {
	// Do is a command (apply, apply2, resume, rollback, recover, unlock) or an act on
	// the state directory (tear, damage, zero, lose, fill, free, look).
	Do string
	// Dir is the state directory (0, or 1 for the second operator).
	Dir int
	// Stop interrupts the command at a point.
	Stop *Interrupt
	// Join starts the step together with the previous one; During starts it when the
	// previous command reaches a point. Otherwise the step waits for every command.
	Join   bool
	During *Trigger
	// Frac is where in the journal a damage strikes, or how full the disk is let grow.
	Frac float64
}

// Interrupt is a signal sent to a command at a point.
type Interrupt struct {
	Signal string // KILL, TERM, INT or HUP
	At     Trigger
}

// TriggerKind says what a trigger waits for.
type TriggerKind string

// The points a trigger can wait for.
const (
	AtEvent   TriggerKind = "event"   // the command printed this many events (Frac of those expected)
	AtPhase   TriggerKind = "phase"   // the N-th replacement reached Phase
	AtIntent  TriggerKind = "intent"  // the journal holds the N-th intent for Op
	AtCreated TriggerKind = "created" // the simulator has created N droplets since the start
	AtFault   TriggerKind = "fault"   // fault rule number N (of Scenario.Faults) has fired
)

// Trigger is a point in a command's run.
type Trigger struct {
	Kind  TriggerKind
	N     int
	Frac  float64
	Phase string
	Op    string
}

func (t Trigger) String() string {
	switch t.Kind {
	case AtEvent:
		return fmt.Sprintf("event %.0f%%", t.Frac*100)
	case AtPhase:
		return fmt.Sprintf("%s #%d", t.Phase, t.N)
	case AtIntent:
		return fmt.Sprintf("intent %s #%d", t.Op, t.N)
	case AtCreated:
		return fmt.Sprintf("%d created", t.N)
	}
	return fmt.Sprintf("fault %d fired", t.N)
}

// Pick draws the scenario of a seed. It is pure: the same seed gives the same scenario.
func Pick(seed int64) Scenario {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d6f6c74))
	sc := Scenario{Seed: seed, Kind: pickKind(rng), TokenFlag: rng.IntN(4) == 0, Finish: "resume"}
	sc.Token = fmt.Sprintf("dop_v1_%016x%016x%016x%016x", rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64())
	sc.Sim = SimOptions{Provision: time.Duration(100+rng.IntN(300)) * time.Millisecond}
	sel := selections[rng.IntN(len(selections))]
	sc.Selection, sc.Target = sel.flags, sel.target
	sc.Strategy = pickStrategy(rng, sel)
	sc.broken, sc.onBroken, sc.count, sc.ops = sel.broken, sel.onBroken, sel.count, sel.ops
	if rng.IntN(4) == 0 {
		sc.Finish = "rollback"
	}
	build := builders[sc.Kind]
	build(rng, &sc)
	// Draws added since seeds were first recorded come from a stream of their own, so
	// that a seed keeps its scenario.
	more := rand.New(rand.NewPCG(uint64(seed), 0x64726169))
	sc.Drain = []string{"0s", "50ms", "200ms", "500ms"}[more.IntN(4)]
	return sc
}

func pickKind(rng *rand.Rand) Kind {
	total := 0
	for _, k := range kinds {
		total += k.weight
	}
	n := rng.IntN(total)
	for _, k := range kinds {
		if n < k.weight {
			return k.kind
		}
		n -= k.weight
	}
	return KindFaults
}

// selection is a part of the demo world to replace, onto what, and onto what image
// that fails its health checks (the demo world's <role>-<newest>-broken, which no
// server runs: marking an image that servers run unhealthy would take them out of
// service, whatever molt does).
//
// Every target is one the guards of the target allow (docs/engine.md): an upgrade of
// each server replaced, of its own role. The broken image is named as a prerelease of
// the newest version (web-1.6.0-broken), older than that version, so its rollout takes
// onBroken: the servers of the selection that run an older version than the newest
// (prod servers, by their names where a prod server runs the newest already).
type selection struct {
	flags          []string
	target, broken string
	onBroken       []string
	// count is how many servers it replaces; ops the journal ops its rollout writes
	// beside lock, create, retire and release.
	count int
	ops   []string
}

// selections cover the three ways servers are in service in the demo world: web behind
// two load balancers listing droplets by ID, workers behind a tag-based one (some with
// volumes), edge servers holding reserved IPs. The fourth brings the web servers that
// lag behind web-1.5.0 up to it (those on it already are skipped), without the staging
// servers that test web-1.6.0, which it would downgrade.
var selections = []selection{
	{[]string{"--tag", "role:web"}, "web-1.6.0", "web-1.6.0-broken", prodWeb, 19, lbOps},
	{[]string{"--tag", "role:web", "--region", "fra1"}, "web-1.6.0", "web-1.6.0-broken", []string{"--tag", "env:prod", "--name", "web-fra1-*"}, 9, lbOps},
	{[]string{"--tag", "role:web", "--region", "nyc3"}, "web-1.6.0", "web-1.6.0-broken", []string{"--tag", "env:prod", "--name", "web-nyc3-*"}, 10, lbOps},
	{prodWeb, "web-1.5.0", "web-1.6.0-broken", prodWeb, 7, lbOps},
	{[]string{"--tag", "role:worker"}, "worker-2.2.0", "worker-2.2.0-broken", olderWorkers, 9, nil},
	{[]string{"--tag", "role:worker", "--move-volumes"}, "worker-2.2.0", "worker-2.2.0-broken", []string{"--tag", "role:worker", "--name", "worker-*-0[1-6]", "--move-volumes"}, 12, []string{"volume_detach", "volume_attach"}},
	{[]string{"--tag", "role:edge", "--region", "nyc3"}, "edge-1.2.0", "edge-1.2.0-broken", []string{"--tag", "role:edge", "--region", "nyc3"}, 4, []string{"ip_assign"}},
	{[]string{"--tag", "role:edge", "--region", "fra1"}, "edge-1.2.0", "edge-1.2.0-broken", []string{"--tag", "env:prod", "--name", "edge-fra1-*"}, 3, []string{"ip_assign"}},
}

// prodWeb are the web servers in production, none on web-1.6.0 yet (staging tests it);
// olderWorkers the workers not on worker-2.2.0 (worker-*-0[1-6]: the seventh of each
// region runs it already, as the staging ones do).
var (
	prodWeb      = []string{"--tag", "env:prod", "--name", "web-*"}
	olderWorkers = []string{"--tag", "role:worker", "--name", "worker-*-0[1-6]"}
)

// lbOps are the ops of a handover on load balancers that list droplets by ID.
var lbOps = []string{"lb_add", "lb_remove"}

// pickStrategy draws apply's strategy flags. Health checks probe every 50ms with a
// generous timeout, so that a loaded machine does not fail replacements by itself.
func pickStrategy(rng *rand.Rand, sel selection) []string {
	s := []string{"--surge", fmt.Sprint(1 + rng.IntN(5)), "--health-interval", "50ms",
		"--healthy-threshold", fmt.Sprint(1 + rng.IntN(2)), "--health-timeout", "20s"}
	switch rng.IntN(6) {
	case 0:
		s = append(s, "--canary", "1", "--pause", "manual")
	case 1:
		s = append(s, "--canary", "1", "--pause", "200ms")
	case 2:
		s = append(s, "--pause", "100ms")
	default:
		s = append(s, "--pause", "none")
	}
	s = append(s, "--min-ready", []string{"0s", "0s", "100ms", "300ms"}[rng.IntN(4)])
	if rng.IntN(3) == 0 {
		s = append(s, "--max-failures", fmt.Sprint(1+rng.IntN(2)))
	}
	if rng.IntN(4) == 0 {
		s = append(s, "--on-failure", "pause")
	}
	if rng.IntN(5) == 0 {
		s = append(s, "--retire", "keep")
	}
	return s
}

// flagValue is the value of a flag in flags, or "".
func flagValue(flags []string, name string) string {
	for i := 0; i+1 < len(flags); i++ {
		if flags[i] == name {
			return flags[i+1]
		}
	}
	return ""
}

// setFlag sets a flag in flags, replacing its value when it is there.
func setFlag(flags []string, name, value string) []string {
	for i := 0; i+1 < len(flags); i++ {
		if flags[i] == name {
			flags[i+1] = value
			return flags
		}
	}
	return append(flags, name, value)
}

// frac draws a point in a run, away from its very start and end.
func frac(rng *rand.Rand) float64 { return 0.02 + 0.9*rng.Float64() }

// pickTrigger draws a point in a command's run that goes through about n
// replacements (a command that stops at a checkpoint goes through fewer).
func pickTrigger(rng *rand.Rand, sc *Scenario, n int, first bool) Trigger {
	n = max(n, 1)
	switch k := rng.IntN(10); {
	case k < 4:
		return Trigger{Kind: AtEvent, Frac: frac(rng)}
	case k < 6:
		phases := []string{"created", "active", "healthy", "handed_over", "soaked", "done"}
		return Trigger{Kind: AtPhase, Phase: phases[rng.IntN(len(phases))], N: 1 + rng.IntN(n)}
	case k < 8:
		ops := append([]string{"lock", "create", "retire_tag", "retire", "release"}, sc.ops...)
		op := ops[rng.IntN(len(ops))]
		most := min(n, 3)
		if op == "lock" || op == "release" || op == "create" {
			most = 1
		}
		return Trigger{Kind: AtIntent, Op: op, N: 1 + rng.IntN(most)}
	case k < 9 || len(sc.Faults) == 0 || !first:
		return Trigger{Kind: AtCreated, N: 1 + rng.IntN(n)}
	}
	return Trigger{Kind: AtFault, N: rng.IntN(len(sc.Faults))} // the first command's rules only
}

// pickRollbackTrigger draws a point in a rollback's run: it has phases and ops of
// its own, and creates only when it re-creates a destroyed old droplet.
func pickRollbackTrigger(rng *rand.Rand) Trigger {
	switch k := rng.IntN(10); {
	case k < 4:
		return Trigger{Kind: AtEvent, Frac: frac(rng)}
	case k < 7:
		phases := []string{"rolling_back", "rolled_back"}
		return Trigger{Kind: AtPhase, Phase: phases[rng.IntN(2)], N: 1 + rng.IntN(3)}
	}
	ops := []string{"destroy_new", "destroy_new", "lb_add", "lb_remove", "recreate", "release"}
	return Trigger{Kind: AtIntent, Op: ops[rng.IntN(len(ops))], N: 1}
}

// budget is about how many replacements a command goes through: the whole selection,
// the canary when the plan stops at a manual checkpoint (the first apply), or a wave
// (a later run); later runs of a rollout that does not stop have a part of it left.
func (sc *Scenario) budget(first bool) int {
	manual := slices.Contains(sc.Strategy, "manual")
	switch {
	case manual && first:
		return 1
	case manual:
		n, _ := strconv.Atoi(flagValue(sc.Strategy, "--surge"))
		return n
	case first:
		return sc.count
	}
	return sc.count / 3
}

// pickSignal draws a signal that asks molt to stop at a safe point.
func pickSignal(rng *rand.Rand) string {
	return []string{"TERM", "INT", "HUP"}[rng.IntN(3)]
}

func (sc Scenario) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %s; %s -> %s %s", sc.Seed, sc.Kind, strings.Join(sc.Selection, " "), sc.Target, strings.Join(sc.Strategy, " "))
	if sc.Second != nil {
		fmt.Fprintf(&b, "; second selection %s", strings.Join(sc.Second, " "))
	}
	if sc.Drain != "" {
		fmt.Fprintf(&b, " --drain %s", sc.Drain)
	}
	fmt.Fprintf(&b, "; provision %s", sc.Sim.Provision)
	if sc.Sim.Latency > 0 {
		fmt.Fprintf(&b, ", latency %s", sc.Sim.Latency)
	}
	if sc.Image != "" {
		fmt.Fprintf(&b, "; target image %s", sc.Image)
	}
	for _, f := range sc.Faults {
		fmt.Fprintf(&b, "\n  fault %s", f)
	}
	for _, st := range sc.Steps {
		fmt.Fprintf(&b, "\n  step %s", st)
	}
	fmt.Fprintf(&b, "\n  then %s what is left", sc.Finish)
	return b.String()
}

func (st Step) String() string {
	s := st.Do
	if st.Dir > 0 {
		s += fmt.Sprintf(" (state dir %d)", st.Dir)
	}
	if st.Join {
		s += ", at the same time"
	}
	if st.During != nil {
		s += ", when the previous reaches " + st.During.String()
	}
	if st.Stop != nil {
		s += fmt.Sprintf(", SIG%s at %s", st.Stop.Signal, st.Stop.At)
	}
	return s
}
