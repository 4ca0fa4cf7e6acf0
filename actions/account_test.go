package actions

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// patient gives a test's replacements all the time a loaded machine may need to turn
// active and pass their health check: they wait on the condition, not on the clock,
// and a healthy run takes no longer for it.
func patient(st Strategy) Strategy {
	st.Health.Timeout, st.ActiveTimeout = Duration(time.Minute), Duration(time.Minute)
	return st
}

// stopAtCanary starts a rollout of the production web servers with a canary, and ends
// the run at the checkpoint after it: interrupted, resumable.
func stopAtCanary(t *testing.T, env *dosimtest.Env, opt Options) string {
	t.Helper()
	st := patient(testStrategy(env, 10))
	st.Canary = 1 // then a manual checkpoint, where the run ends
	p := plan(t, env.Client, "web-1.6.0", st, "role:web", "env:prod")
	e := start(t, env, p, opt)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wait := watch(e, func(ev Event) {
		if _, ok := ev.(CheckpointReached); ok {
			cancel()
		}
	})
	mustErr(t, e.Run(ctx), ErrInterrupted)
	wait()
	return e.JournalPath()
}

// fingerprint is every droplet of a world with its name, image, status and tags.
func fingerprint(t *testing.T, env *dosimtest.Env) string {
	t.Helper()
	w := snapshot(t, env.Client)
	var lines []string
	for id, d := range w.byID {
		tags := slices.Clone(d.Tags)
		slices.Sort(tags)
		lines = append(lines, fmt.Sprintf("%d %s %d %s %v", id, d.Name, d.Image.ID, d.Status, tags))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestRolloutIsBoundToItsAccount: a rollout interrupted on one simulated account is
// refused on another, whether the caller says which account it reaches or the run
// reads it, and nothing changes there; on its own account it resumes to its end.
func TestRolloutIsBoundToItsAccount(t *testing.T) {
	t.Parallel()
	a, b := startSim(t, dosim.Config{}), startSim(t, dosim.Config{})
	opt := testOptions(t)
	path := stopAtCanary(t, a, opt)
	if h := mustRead(t, path)[0].Header; h.Plan.Account == nil || h.Plan.Account.UUID != a.Sim.AccountUUID() ||
		h.Plan.Account.Endpoint == "" {
		t.Fatalf("the journal's header names account %+v, want A's (%s) with its endpoint", h.Plan.Account, a.Sim.AccountUUID())
	}
	before := fingerprint(t, b)
	here, err := ReadAccount(context.Background(), b.Client)
	if err != nil {
		t.Fatal(err)
	}
	bound := opt
	bound.Account = &here
	var other *AccountMismatchError
	for name, open := range map[string]func(Options) (*Executor, error){
		"resume":   func(o Options) (*Executor, error) { return Resume(b.Client, path, o) },
		"rollback": func(o Options) (*Executor, error) { return Rollback(b.Client, path, o) },
	} {
		if _, err := open(bound); !errors.As(err, &other) {
			t.Errorf("%s with B's account: %v, want a refusal", name, err)
		}
		e, err := open(opt)
		if err != nil {
			t.Fatalf("%s without the account: %v", name, err)
		}
		if err := run(t, e); !errors.As(err, &other) {
			t.Errorf("%s run on B: %v, want a refusal", name, err)
		}
	}
	msg := other.Error()
	for _, want := range []string{a.Sim.AccountUUID()[:8], b.Sim.AccountUUID()[:8], a.URL, b.URL, "nothing was changed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal %q does not name %q", msg, want)
		}
	}
	if after := fingerprint(t, b); after != before {
		t.Errorf("B's droplets changed:\n%s\nwere\n%s", after, before)
	}
	e, err := Resume(a.Client, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(t, e); err != nil {
		t.Fatalf("resume on A: %v", err)
	}
	if s, _ := Summarize(path); s.State != StateDone || s.Replaced != s.Planned {
		t.Errorf("after the resume on A: %s, %d of %d replaced", s.State, s.Replaced, s.Planned)
	}
}

func TestAccountNamesTheAccount(t *testing.T) {
	t.Parallel()
	a := fleet.Account{UUID: "0123456789abcdef", Email: "ops@example.com", TeamUUID: "fedcba9876543210", TeamName: "Ops", Endpoint: "https://api.digitalocean.com/"}
	if got, want := a.String(), `ops@example.com (account 01234567) in team "Ops" (fedcba98) at https://api.digitalocean.com/`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	b := a
	b.Endpoint = "https://proxy.example/"
	if !a.Same(b) {
		t.Error("the same account and team through another endpoint is another account")
	}
	b.TeamUUID = "other"
	if a.Same(b) || CheckAccount("r", &a, b) == nil {
		t.Error("the same user in another team is the same account")
	}
	if CheckAccount("r", nil, b) != nil {
		t.Error("a journal with no account is refused")
	}
	c := godo.NewClient(nil)
	c.BaseURL, _ = url.Parse("https://molt:hunter2@api.example/")
	if ref := fleet.AccountOf(c, &godo.Account{UUID: "x"}); ref.Endpoint != "https://api.example/" {
		t.Errorf("the endpoint recorded is %q, want it without credentials", ref.Endpoint)
	}
}

// A v1 journal (no account) resumes on the world it left, and says once that it
// predates account binding; on a world that holds none of its droplets it is refused
// before anything changes. (Not in parallel: the fixtures' world serves health on a
// fixed port.)
func TestJournalV1WithoutAccount(t *testing.T) {
	env, path, opt := v1World(t, "interrupted")
	e, err := Resume(env.Client, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	wait := watch(e, func(ev Event) {
		if sc, ok := ev.(StateChanged); ok && strings.Contains(sc.Reason, "predates account binding") {
			notes = append(notes, sc.Reason)
		}
	})
	if err := runV1(t, e); err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	wait()
	if len(notes) != 1 {
		t.Errorf("the run said %d times that the journal predates account binding: %q", len(notes), notes)
	}

	other := startSim(t, dosim.Config{HealthPort: -1})
	before := fingerprint(t, other)
	opt = testOptions(t)
	path = copyJournal(t, filepath.Join(v1Dir, "interrupted.jsonl"), opt.Dir)
	e, err = Resume(other.Client, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	var unknown *UnrecognisedError
	if err := runV1(t, e); !errors.As(err, &unknown) || !strings.Contains(err.Error(), "predates account binding") {
		t.Fatalf("resume on another world: %v, want a refusal saying the journal predates account binding", err)
	}
	if after := fingerprint(t, other); after != before {
		t.Errorf("the other world changed:\n%s\nwere\n%s", after, before)
	}
	if len(unknown.Droplets) == 0 {
		t.Error("the refusal names no droplets")
	}
}
