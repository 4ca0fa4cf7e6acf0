// Package chaos is molt's chaos suite: a harness that runs randomized rollouts
// against `molt sim` as real processes and checks, after each, the invariants a
// rollout must keep whatever happens around it.
//
// A seed picks a scenario (Pick): a part of the demo world to replace and a strategy,
// fault rules of every kind the simulator offers (status, 429, dropped connections,
// delays, requests carried out but answered an error, requests carried out late) and
// marks on the target image (unhealthy, stuck), and steps: apply, resume and rollback
// as processes with a state directory of their own, kill -9 or SIGTERM, SIGINT, SIGHUP
// at a point (the Nth event, a replacement's phase, an intent in the journal, a
// droplet count, a fault firing), two drivers on one rollout, two operators at once,
// a journal torn, damaged, emptied or lost, a full disk. Then the faults are cleared,
// late requests land, and the operator ends what is left with resume, rollback (and
// `molt recover` where the build has it) until `molt rollouts` lists nothing
// unfinished. A sampler watches the load balancers and reserved IPs the whole time.
//
// The invariants: no server lost, none duplicated, no orphan or lock left, nothing
// outside the selection replaced, every server on an image its rollout explains and
// healthy, load balancers, reserved IPs and volumes exact, healthy servers in service
// never below the start, every journal readable and listed, exit codes that say what
// the journal says, one driver per rollout, exactly one of two operators proceeding,
// and the token written nowhere (CheckWorld, CheckSamples, CheckJournals, CheckExit,
// CheckDrivers, CheckOperators).
//
// The entry point is TestChaos, which runs only when asked: `make chaos N=200` runs
// seeds 1 to 200, `make chaos SEED=17` replays one, `make chaos-ci` the fixed set CI
// runs. Findings on today's engine are in FINDINGS.md.
package chaos
