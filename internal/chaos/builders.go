package chaos

import (
	"math/rand/v2"
	"slices"
	"time"
)

// builders draw the kind-specific part of a scenario: its steps, faults and marks.
var builders = map[Kind]func(*rand.Rand, *Scenario){
	KindFaults:         buildFaults,
	KindKill:           buildKill,
	KindSignal:         buildSignal,
	KindRollback:       buildRollback,
	KindLateCreate:     buildLateCreate,
	KindTwoDrivers:     buildTwoDrivers,
	KindTwoOperators:   buildTwoOperators,
	KindJournalTorn:    buildJournalTorn,
	KindJournalDamaged: buildJournalDamaged,
	KindJournalLost:    buildJournalLost,
	KindDiskFull:       buildDiskFull,
	KindUnlockLive:     buildUnlockLive,
}

// stop draws an interruption of a command: the first apply, or a later run.
func stop(rng *rand.Rand, sc *Scenario, signal string, first bool) *Interrupt {
	return &Interrupt{Signal: signal, At: pickTrigger(rng, sc, sc.budget(first), first)}
}

// stopRollback draws an interruption of a rollback.
func stopRollback(rng *rand.Rand) *Interrupt {
	return &Interrupt{Signal: "KILL", At: pickRollbackTrigger(rng)}
}

// buildFaults: one apply under one to four rules, sometimes onto a broken image.
func buildFaults(rng *rand.Rand, sc *Scenario) {
	sc.Faults = pickFaults(rng, 1+rng.IntN(4))
	switch rng.IntN(8) {
	case 0:
		sc.Image, sc.Target, sc.Selection = FaultUnhealthy, sc.broken, sc.onBroken
	case 1:
		sc.Image = FaultStuck // only droplets created from now on stay new
		sc.Strategy = append(sc.Strategy, "--active-timeout", "1500ms")
	}
	if sc.Image != "" {
		sc.Finish = "rollback"
	}
	sc.Steps = []Step{{Do: "apply"}}
}

// buildKill: apply killed, then up to two more runs (resume, or now and then a
// rollback), each maybe killed too.
func buildKill(rng *rand.Rand, sc *Scenario) {
	sc.Faults = pickFaults(rng, rng.IntN(3))
	sc.Steps = []Step{{Do: "apply", Stop: stop(rng, sc, "KILL", true)}}
	for range rng.IntN(3) {
		st := Step{Do: "resume"}
		if rng.IntN(5) == 0 {
			st.Do = "rollback"
		}
		if rng.IntN(2) == 0 && st.Do == "rollback" {
			st.Stop = stopRollback(rng)
		} else if rng.IntN(2) == 0 {
			st.Stop = stop(rng, sc, "KILL", false)
		}
		sc.Steps = append(sc.Steps, st)
	}
}

// buildSignal: apply stopped by SIGTERM, SIGINT or SIGHUP; sometimes its resume too.
func buildSignal(rng *rand.Rand, sc *Scenario) {
	sc.Faults = pickFaults(rng, rng.IntN(2))
	sc.Steps = []Step{{Do: "apply", Stop: stop(rng, sc, pickSignal(rng), true)}}
	if rng.IntN(5) < 2 {
		sc.Steps = append(sc.Steps, Step{Do: "resume", Stop: stop(rng, sc, pickSignal(rng), false)})
	}
}

// buildRollback: apply (maybe killed), then a rollback killed part way, maybe twice.
func buildRollback(rng *rand.Rand, sc *Scenario) {
	sc.Faults = pickFaults(rng, rng.IntN(2))
	first := Step{Do: "apply"}
	if rng.IntN(2) == 0 {
		first.Stop = stop(rng, sc, "KILL", true)
	}
	sc.Steps = []Step{first, {Do: "rollback", Stop: stopRollback(rng)}}
	if rng.IntN(2) == 0 {
		sc.Steps = append(sc.Steps, Step{Do: "rollback", Stop: stopRollback(rng)})
	}
	sc.Finish = "rollback"
}

// buildLateCreate: creates answered an error (or dropped) and committed later, the
// case that leaves droplets nobody tracks.
func buildLateCreate(rng *rand.Rand, sc *Scenario) {
	sc.Faults = append(pickFaults(rng, 1+rng.IntN(2), FaultLate), pickFaults(rng, rng.IntN(2))...)
	first := Step{Do: "apply"}
	if rng.IntN(3) == 0 {
		first.Stop = stop(rng, sc, "KILL", true)
	}
	sc.Steps = []Step{first}
}

// buildTwoDrivers: two processes on one rollout, one state directory: two resumes
// at once, a resume or a rollback while apply still runs, or a resume and a rollback.
func buildTwoDrivers(rng *rand.Rand, sc *Scenario) {
	sc.Faults = pickFaults(rng, rng.IntN(2))
	during := &Trigger{Kind: AtEvent, Frac: frac(rng) / 2}
	switch rng.IntN(4) {
	case 0:
		sc.Steps = []Step{{Do: "apply", Stop: stop(rng, sc, "KILL", true)}, {Do: "resume"}, {Do: "resume", Join: true}}
	case 1:
		sc.Steps = []Step{{Do: "apply"}, {Do: "resume", During: during}}
	case 2:
		sc.Steps = []Step{{Do: "apply"}, {Do: "rollback", During: during}}
	default:
		sc.Steps = []Step{{Do: "apply", Stop: stop(rng, sc, "KILL", true)}, {Do: "resume"}, {Do: "rollback", Join: true}}
	}
}

// buildTwoOperators: two operators, each with a state directory of their own, apply
// overlapping selections of the web role at the same moment, on a slow API: both onto
// web-1.6.0, or the second bringing the prod servers that lag behind web-1.5.0 up to
// it (the staging servers on web-1.6.0 left out: that would be a downgrade, which the
// guards refuse).
func buildTwoOperators(rng *rand.Rand, sc *Scenario) {
	webs := [][]string{{"--tag", "role:web", "--region", "fra1"}, {"--tag", "role:web", "--region", "nyc3"}, {"--tag", "role:web"}}
	prod := [][]string{{"--tag", "env:prod", "--name", "web-fra1-*"}, {"--tag", "env:prod", "--name", "web-nyc3-*"}, prodWeb}
	sc.Selection, sc.Target = webs[rng.IntN(2)], "web-1.6.0"
	i, target := rng.IntN(3), []string{"web-1.6.0", "web-1.5.0"}[rng.IntN(2)]
	second := webs[i]
	if target == "web-1.5.0" {
		second = prod[i]
	}
	sc.Second = append(append([]string{}, second...), "--to", target)
	sc.Sim.Latency = time.Duration(50+rng.IntN(200)) * time.Millisecond
	sc.Strategy = setFlag(sc.Strategy, "--surge", "5")
	sc.Steps = []Step{{Do: "apply"}, {Do: "apply2", Dir: 1, Join: true}}
}

// buildJournalTorn: apply killed, then its journal's last line cut in the middle, as
// a crash in the middle of a write leaves it; resume must read past it.
func buildJournalTorn(rng *rand.Rand, sc *Scenario) {
	sc.Steps = []Step{{Do: "apply", Stop: stop(rng, sc, "KILL", true)}, {Do: "tear"}, {Do: "resume"}}
}

// buildJournalDamaged: a small rollout ends, leaving a readable journal; then apply
// is killed, and a line in the middle of its journal damaged or the file emptied.
// molt must say so beside the readable one, and rebuild it from the cloud.
func buildJournalDamaged(rng *rand.Rand, sc *Scenario) {
	damage := Step{Do: "damage", Frac: frac(rng)}
	if rng.IntN(3) == 0 {
		damage = Step{Do: "zero"}
	}
	sc.Second = []string{"--tag", "role:edge", "--region", "fra1", "--to", "edge-1.2.0"}
	if slices.Contains(sc.Selection, "role:edge") {
		sc.Second = []string{"--tag", "role:web", "--region", "fra1", "--to", "web-1.6.0"}
	}
	sc.Strategy = setFlag(setFlag(sc.Strategy, "--pause", "none"), "--canary", "0") // the first rollout runs to its end
	sc.Steps = []Step{{Do: "apply2"}, {Do: "apply", Stop: stop(rng, sc, "KILL", true)}, damage, {Do: "look"}, {Do: "recover"}}
}

// buildJournalLost: apply killed, then the whole state directory lost.
func buildJournalLost(rng *rand.Rand, sc *Scenario) {
	sc.Steps = []Step{{Do: "apply", Stop: stop(rng, sc, "KILL", true)}, {Do: "lose"}, {Do: "recover"}}
}

// buildDiskFull: the state directory's disk fills when apply reaches a point (or
// before it starts); then the operator frees space and the rollout goes on.
func buildDiskFull(rng *rand.Rand, sc *Scenario) {
	fill := Step{Do: "fill", Frac: frac(rng)}
	if rng.IntN(5) == 0 {
		fill.Frac = 0
		sc.Steps = []Step{fill, {Do: "apply"}}
	} else {
		fill.During = &Trigger{Kind: AtEvent, Frac: fill.Frac}
		sc.Steps = []Step{{Do: "apply"}, fill}
	}
	sc.Steps = append(sc.Steps, Step{Do: "free"})
}

// buildUnlockLive: `molt unlock --yes` from another machine (state directory) while
// apply drives the rollout: it must refuse, and the rollout go on unharmed.
func buildUnlockLive(rng *rand.Rand, sc *Scenario) {
	during := &Trigger{Kind: AtPhase, Phase: "created", N: 1 + rng.IntN(max(1, sc.budget(true)))} // the lock is held by then
	sc.Steps = []Step{{Do: "apply"}, {Do: "unlock", Dir: 1, During: during}}
}
