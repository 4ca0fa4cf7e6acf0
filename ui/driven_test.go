package ui

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
)

// drivenEngine refuses every resume and rollback: another process drives the rollout.
type drivenEngine struct {
	idleEngine
	asked atomic.Int32
}

var drivenBy = &actions.DrivenError{Rollout: fixedID, Driver: actions.Driver{User: "ops", Host: "bastion-2", PID: 4242},
	Until: fixedNow.Add(time.Minute)}

func (e *drivenEngine) Resume(context.Context, string) (Run, error) {
	e.asked.Add(1)
	return nil, drivenBy
}

func (e *drivenEngine) Rollback(context.Context, string) (Run, error) {
	e.asked.Add(1)
	return nil, drivenBy
}

// A resume of a rollout another process drives says who drives it and until when,
// and offers to watch: the live view then follows its journal read-only, refuses to
// steer it, and sees it end; the engine is never asked again.
func TestResumingADrivenRolloutOffersToWatchIt(t *testing.T) {
	t.Parallel()
	dir := journalWith(t, true)
	eng := &drivenEngine{}
	m := loaded(t, demoServers(t), 120, 40, inDir(dir), func(d *Deps) { d.Engine = eng })
	d := drive(t, m, 120, 40)
	d.waitText("An unfinished rollout is in the journal")
	d.keys("R").waitText("Rollout "+fixedID+" is driven by another process", "driven by ops@bastion-2 (pid 4242), its lease until 09:27:53",
		"so molt did not resume it", "w watch it")
	s := d.keys("w").waitText("Watching (read-only)", "ops@bastion-2 (pid 4242) drives it", "5/19")
	if !strings.Contains(s, "rollout interrupted") {
		t.Fatalf("the watch does not tell the journal's records:\n%s", s)
	}
	d.keys("p").waitText("watching only: ops@bastion-2 (pid 4242) drives rollout " + fixedID)
	d.keys("A")
	if d.read(func(m Model) string { return yesNo(asking(m)) }) == "yes" {
		t.Fatal("A on a watched rollout asks how to abort it")
	}
	// The driver ends it; the watch sees it.
	j, _, err := actions.OpenJournal(actions.JournalPath(dir, fixedID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(actions.Record{At: fixedNow, Kind: actions.KindEnd, State: actions.StateDone}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	d.waitText("finished: done · 5 replaced")
	if n := eng.asked.Load(); n != 1 {
		t.Fatalf("the engine was asked to drive it %d times, want once (the refused resume)", n)
	}
	if got := d.finalModel().Following(); got != "" {
		t.Fatalf("a watch counts as a run to stop on quitting: %q", got)
	}
}

// A rollback refused the same way says so in its own words.
func TestRollingBackADrivenRolloutOffersToWatchIt(t *testing.T) {
	t.Parallel()
	m := loaded(t, demoServers(t), 80, 24)
	m = send(t, m, runStartedMsg{kind: "rollback", err: drivenBy})
	if s := screen(m); !strings.Contains(s, "so molt did not roll it back.") {
		t.Fatalf("no refusal in the rollback's words:\n%s", s)
	}
	if !onTop[*drivenDialog](m) {
		t.Fatal("no offer to watch")
	}
}
