package actions

import (
	"errors"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
)

// A crash right after a reserved IP move was answered, before it ended, leaves the move
// under way. The rollback that follows must wait for it: read while it runs, the
// address still points at the old droplet, and a hand-back that took that for done was
// overtaken by the move, which then pointed the address at a droplet about to be
// destroyed (TestCrashThenRollbackRestoresHandover/edge/record_16 failed so under load).
func TestRollbackWaitsForAReservedIPMoveUnderWay(t *testing.T) {
	t.Parallel()
	var sim *dosim.Sim
	setup := func() (*Executor, map[string]string) {
		env := startSim(t, dosim.Config{ActionDelay: 150 * time.Millisecond})
		sim = env.Sim
		ips := reservedIPs(t, env.Client)
		p := plan(t, env.Client, "edge-1.1.0", testStrategy(env, 1), "role:edge", "env:prod")
		p.Waves = p.Waves[:1]
		return start(t, env, p, testOptions(t)), ips
	}
	e, _ := setup()
	if err := run(t, e); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadJournal(e.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for _, r := range recs {
		if r.Kind == KindResult && r.Op == OpIPAssign && k == 0 {
			k = r.Seq
		}
	}
	if k == 0 {
		t.Fatal("the rollout moved no reserved IP")
	}
	e, ipsBefore := setup()
	e.j.crashAt = k
	if err := run(t, e); !errors.Is(err, errCrashed) {
		t.Fatalf("no crash after the move's answer: %v", err)
	}
	// The destroy of the new droplet lands after the move has ended, however fast the
	// hand-back reads.
	if _, err := sim.AddFault(dosim.Fault{Method: "DELETE", Path: "/v2/droplets/*", Delay: 400 * time.Millisecond, Count: 1}); err != nil {
		t.Fatal(err)
	}
	rollback(t, e.api.c, e.JournalPath(), e.opt)
	if got := reservedIPs(t, e.api.c); !mapsEqual(got, ipsBefore) {
		t.Errorf("after the rollback reserved IPs point at %v, want %v", got, ipsBefore)
	}
}
