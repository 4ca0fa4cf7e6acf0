package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

var (
	accountA = fleet.Account{UUID: "aaaaaaaa-0000-4000-8000-000000000001", Email: "ops@a.example", Endpoint: "http://a.example"}
	accountB = fleet.Account{UUID: "bbbbbbbb-0000-4000-8000-000000000002", Email: "ops@b.example", Endpoint: "http://b.example"}
)

// journalOf journals an interrupted rollout id of the web plan made on acct, started
// ago before the fixed clock.
func journalOf(t *testing.T, dir, id string, acct fleet.Account, ago time.Duration) {
	t.Helper()
	plan := webPlan(t)
	plan.Account = &acct
	h := actions.Header{ID: id, Started: fixedNow.Add(-ago), Operator: actions.Operator{User: "ops", Host: "bastion"}, Plan: plan}
	j, err := actions.CreateJournal(dir, h)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	r := plan.Replacements()[0]
	at := h.Started.Add(10 * time.Second)
	for _, rec := range []actions.Record{
		{At: at, Kind: "phase", Slots: []int{r.Slot}, Phase: actions.PhaseCreated, Droplets: []int{300000200}},
		{At: at, Kind: "phase", Slots: []int{r.Slot}, Phase: actions.PhaseDone, Droplets: []int{300000200}},
		{At: at.Add(time.Second), Kind: "state", State: actions.StateInterrupted, Reason: "interrupted"},
	} {
		if _, err := j.Append(rec); err != nil {
			t.Fatal(err)
		}
	}
}

// onAccount wires the cockpit to the account acct, read once.
func onAccount(acct fleet.Account) func(*Deps) {
	return func(d *Deps) {
		d.Home = func(context.Context) (fleet.Account, error) { return acct, nil }
	}
}

// twoAccounts is a journal directory with an unfinished rollout of account B (the
// newest) and one of account A.
func twoAccounts(t *testing.T) string {
	dir := t.TempDir()
	journalOf(t, dir, "20260314-080000-aaaa", accountA, 2*time.Hour)
	journalOf(t, dir, "20260314-090000-bbbb", accountB, time.Hour)
	return dir
}

// The offer made at start, and R on the fleet, offer only the rollout of the account
// the cockpit is on, and say how many of other accounts are left out.
func TestTheResumeOfferListsOnlyThisAccountsRollouts(t *testing.T) {
	t.Parallel()
	dir := twoAccounts(t)
	m := loaded(t, demoServers(t), 80, 24, inDir(dir), onAccount(accountA))
	d := drive(t, m, 80, 24)
	d.send(homeMsg{acct: accountA}).send(rolloutsLoadedMsg{rollouts: mustRead(t, dir), startup: true})
	s := d.waitText("An unfinished rollout is in the journal", "20260314-080000-aaaa", "1 unfinished rollout of another account")
	if strings.Contains(s, "bbbb") {
		t.Fatalf("the offer names another account's rollout:\n%s", s)
	}
	d.keys("esc", "R").waitText("20260314-080000-aaaa", "1 unfinished rollout of another account")
}

// On account B's journal only, from account A, nothing is offered: R says why.
func TestNoOfferOfAnotherAccountsRollout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	journalOf(t, dir, "20260314-090000-bbbb", accountB, time.Hour)
	m := loaded(t, demoServers(t), 80, 24, inDir(dir), onAccount(accountA))
	d := drive(t, m, 80, 24)
	d.send(rolloutsLoadedMsg{rollouts: mustRead(t, dir), startup: true}).send(homeMsg{acct: accountA})
	d.keys("R").waitText("nothing to resume on this account, only 1 unfinished rollout of another")
	if d.read(func(m Model) string { return yesNo(offering(m)) }) == "yes" {
		t.Fatal("another account's rollout was offered")
	}
	// Nor from the history.
	d.keys("h").waitText("interrupted  03-14 08:26 web")
	d.keys("R").waitText("belongs to ops@b.example", "nothing resumed")
}

func mustRead(t *testing.T, dir string) []rollout {
	t.Helper()
	rs, err := readRollouts(dir)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}
