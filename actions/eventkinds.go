package actions

import "time"

// EventSamples returns one event of every kind the executor emits, with the fields a
// renderer reads set, so that a renderer's tests can walk them all (a test in this
// package keeps the list complete).
func EventSamples() []Event {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return []Event{
		RolloutStarted{At: at, Rollout: "20260102-030405-abcd", Selection: "tag role:web", Target: "web-1.6.0", Waves: 2, Replacements: 3},
		StateChanged{At: at, State: StatePaused, Reason: "paused by the operator"},
		WaveStarted{At: at, Wave: 0, Canary: true, Slots: []int{0}},
		StepStarted{At: at, Slot: 0, Step: "health", Droplet: 7},
		StepFinished{At: at, Slot: 0, Step: "health", Droplet: 7, Took: Duration(time.Second)},
		PhaseChanged{At: at, Slot: 0, Phase: PhaseCreated, NewID: 7},
		HealthProbe{At: at, Slot: 0, Droplet: 7, Addr: "127.0.0.7:8080", OK: true, Detail: "200 OK", Passes: 1},
		Failure{At: at, Slot: 0, Step: "health", Reason: "timed out", Failures: 1},
		CheckpointReached{At: at, Wave: 0, Next: 1, Mode: PauseManual},
		RateLimitWait{At: at, Wait: Duration(time.Second), Reason: "rate limited (429)"},
		APICall{At: at, Method: "POST", Path: "/v2/droplets", Status: 500, Err: "500 Server Error"},
		StrayDestroyed{At: at, Droplet: 9, Name: "web-1", Group: 1, Slot: 0},
		LeftAlone{At: at, Slot: 0, Droplet: 5, Name: "web-1", Reason: "renamed to db-1 since the plan"},
		Spend{At: at, SoFarUSD: 0.0125, HourlyUSD: 0.054, Extra: 3, Kept: 1},
		PoolProgress{At: at, Pool: "api", Toward: "api-1.1.0", Members: 4, Desired: 4, OnTarget: 1, Behind: 3, Healthy: 1,
			Changing: "configuration change", ETA: Duration(63 * time.Minute)},
		Done{At: at, State: StateDone, Replaced: 3},
		Snapshot{Status: Status{Rollout: "20260102-030405-abcd", State: StateRunning}},
	}
}
