package actions

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// v1Dir holds journals written by molt before journal records were typed (see its
// README): this version must read them as that one did.
const v1Dir = "testdata/journal-v1"

// v1Want is what molt says about a v1 journal.
type v1Want struct {
	records    int
	state      State
	reason     string
	replaced   int
	kept       int
	unfinished bool
	steps      int // PreviewRollback's steps
	fast       int // of which fast
	resumable  bool
}

var v1Journals = map[string]v1Want{
	"finished":    {records: 43, state: StateDone, replaced: 3, steps: 3},
	"interrupted": {records: 21, state: StateInterrupted, reason: "interrupted", replaced: 1, unfinished: true, steps: 1, resumable: true},
	"rolledback":  {records: 40, state: StateRolledBack},
	"kept":        {records: 43, state: StateDone, replaced: 3, kept: 3, steps: 3, fast: 3, resumable: true},
	// The finalisation is a state record, done, with the reason "finalised". (Before
	// the finalised record, the summary still counted the old droplets it destroyed as
	// kept, and the preview offered a fast rollback to them.)
	"finalised":  {records: 53, state: StateDone, replaced: 3, steps: 3},
	"controlled": {records: 59, state: StateDone, replaced: 3, steps: 3},
	"aborted":    {records: 25, state: StateAborted, replaced: 1, steps: 1},
}

func TestJournalV1(t *testing.T) {
	for name, want := range v1Journals {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(v1Dir, name+".jsonl")
			recs, err := ReadJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != want.records {
				t.Errorf("%d records, want %d", len(recs), want.records)
			}
			s, err := Summarize(path)
			if err != nil {
				t.Fatal(err)
			}
			got := v1Want{records: len(recs), state: s.State, reason: s.Reason, replaced: s.Replaced, kept: s.Kept,
				unfinished: s.Unfinished(), resumable: want.resumable}
			if s.Planned != 3 || !s.KeptUntil.IsZero() || s.To != "web-1.6.0" {
				t.Errorf("planned %d, kept until %v, to %s; want 3, zero, web-1.6.0", s.Planned, s.KeptUntil, s.To)
			}
			steps, err := PreviewRollback(path)
			if err != nil {
				t.Fatal(err)
			}
			got.steps = len(steps)
			for _, st := range steps {
				if st.Fast {
					got.fast++
				}
				if st.Kept != st.Fast || st.Fast == (st.Recreate != "") {
					t.Errorf("rollback step %+v: kept and fast differ, or recreate is wrong", st)
				}
			}
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			checkResumable(t, path, want.resumable)
		})
	}
}

// checkResumable opens a copy of the journal with Resume, against a simulator that does
// not know the rollout: Resume itself reads only the journal.
func checkResumable(t *testing.T, path string, want bool) {
	t.Helper()
	env := startSim(t, dosim.Config{HealthPort: -1})
	opt := testOptions(t)
	e, err := Resume(env.Client, copyJournal(t, path, opt.Dir), opt)
	switch {
	case want && err != nil:
		t.Errorf("resume: %v", err)
	case !want && (err == nil || !strings.Contains(err.Error(), "there is nothing to resume")):
		t.Errorf("resume: %v, want a refusal", err)
	}
	if e != nil {
		e.j.Close()
	}
}

func TestJournalV1Lists(t *testing.T) {
	list, err := ListRollouts(v1Dir)
	if err != nil || len(list) != len(v1Journals) {
		t.Fatalf("%d rollouts, %v; want %d", len(list), err, len(v1Journals))
	}
	for i, s := range list {
		if i > 0 && s.ID >= list[i-1].ID {
			t.Errorf("rollout %s listed after %s", s.ID, list[i-1].ID)
		}
		if s.Operator.String() != "test@host" || s.Selection != "three web servers" {
			t.Errorf("rollout %s: operator %s, selection %q", s.ID, s.Operator, s.Selection)
		}
	}
}

// Every line of a v1 journal reads into a Record that encodes to the same bytes: the
// journal's format, and the plan's in its header, are unchanged.
func TestJournalV1EncodesTheSame(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(v1Dir, "*.jsonl"))
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for n := 1; sc.Scan(); n++ {
			var r Record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("%s:%d: %v", path, n, err)
			}
			out, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, sc.Bytes()) {
				t.Errorf("%s:%d encodes as\n%s\nwas\n%s", path, n, out, sc.Bytes())
			}
		}
	}
}

// v1World starts the simulator on the world a v1 fixture left, and copies its journal
// into a fresh journal directory.
func v1World(t *testing.T, name string) (*dosimtest.Env, string, Options) {
	t.Helper()
	world := filepath.Join(t.TempDir(), "world.json")
	copyFile(t, filepath.Join(v1Dir, name+".world.json"), world)
	env := startSim(t, dosim.Config{HealthPort: fixtureHealthPort, StatePath: world})
	opt := testOptions(t)
	return env, copyJournal(t, filepath.Join(v1Dir, name+".jsonl"), opt.Dir), opt
}

func copyJournal(t *testing.T, path, dir string) string {
	t.Helper()
	to := filepath.Join(dir, filepath.Base(path))
	copyFile(t, path, to)
	if err := os.Chmod(to, 0o600); err != nil {
		t.Fatal(err)
	}
	return to
}

func runV1(t *testing.T, e *Executor) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.Run(ctx)
}

// An interrupted v1 rollout resumes to its end.
func TestJournalV1ResumesInterrupted(t *testing.T) {
	env, path, opt := v1World(t, "interrupted")
	e, err := Resume(env.Client, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := runV1(t, e); err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	s, err := Summarize(path)
	if err != nil || s.State != StateDone || s.Replaced != 3 {
		t.Fatalf("after the resume: %s, %d replaced, %v; want done, 3", s.State, s.Replaced, err)
	}
	for _, d := range snapshot(t, env.Client).byID {
		if withMolt(d) {
			t.Errorf("droplet %d (%s) still carries a lock tag: %v", d.ID, d.Name, d.Tags)
		}
	}
}

// A v1 rollout that keeps its old droplets is finalised: they are destroyed, and the
// rollout can be resumed no more.
func TestJournalV1FinalisesKept(t *testing.T) {
	env, path, opt := v1World(t, "kept")
	var old []int
	for _, r := range mustRead(t, path)[0].Header.Plan.Replacements() {
		old = append(old, r.Old.ID)
	}
	e, err := Resume(env.Client, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := runV1(t, e); err != nil {
		t.Fatalf("finalise: %v", err)
	}
	w := snapshot(t, env.Client)
	for _, id := range old {
		if _, ok := w.byID[id]; ok {
			t.Errorf("kept droplet %d is still there", id)
		}
	}
	for _, d := range w.byID {
		if withMolt(d) {
			t.Errorf("droplet %d (%s) still carries a lock tag: %v", d.ID, d.Name, d.Tags)
		}
	}
	if s, err := Summarize(path); err != nil || s.State != StateDone || s.Kept != 0 {
		t.Errorf("after finalising: %s, %d kept, %v; want done, 0", s.State, s.Kept, err)
	}
	if _, err := Resume(env.Client, path, opt); err == nil {
		t.Error("a finalised rollout can be resumed")
	}
	var fin []Record
	for _, r := range mustRead(t, path)[v1Journals["kept"].records:] {
		if r.finalises() {
			fin = append(fin, r)
		}
	}
	if len(fin) != 1 || fin[0].Kind != KindFinalised || !slices.Equal(fin[0].Droplets, old) {
		t.Errorf("finalisation journaled as %+v, want one finalised record of droplets %v", fin, old)
	}
	steps, err := PreviewRollback(path)
	if err != nil || len(steps) != 3 || slices.ContainsFunc(steps, func(s RollbackStep) bool { return s.Fast }) {
		t.Errorf("rollback preview %+v, %v; want 3 replacements to re-create", steps, err)
	}
}

// Finalisation reads as the record of its own, and as the state record that stood for
// it in journals before.
func TestFinalisationReadsBothForms(t *testing.T) {
	for _, tc := range []struct {
		r    Record
		want bool
	}{
		{Record{Kind: KindFinalised, State: StateDone, Droplets: []int{1}}, true},
		{Record{Kind: KindState, State: StateDone, Reason: "finalised"}, true},
		{Record{Kind: KindState, State: StateDone}, false},
		{Record{Kind: KindEnd, State: StateDone}, false},
		{Record{Kind: KindState, State: StateRunning, Reason: "finalised"}, false},
	} {
		if got := tc.r.finalises(); got != tc.want {
			t.Errorf("%+v finalises: %v, want %v", tc.r, got, tc.want)
		}
	}
}

// A finished v1 rollout rolls back: its servers are re-created from their old image.
func TestJournalV1RollsBackFinished(t *testing.T) {
	env, path, opt := v1World(t, "finished")
	p := mustRead(t, path)[0].Header.Plan
	e, err := Rollback(env.Client, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := runV1(t, e); !errors.Is(err, ErrRolledBack) {
		t.Fatalf("rollback: %v, want rolled back", err)
	}
	if s, err := Summarize(path); err != nil || s.State != StateRolledBack {
		t.Errorf("after the rollback: %s, %v", s.State, err)
	}
	images := map[string]int{}
	for _, d := range snapshot(t, env.Client).byID {
		images[d.Name] = d.Image.ID
	}
	for _, r := range p.Replacements() {
		if images[r.Old.Name] != r.Old.Image.ImageID {
			t.Errorf("%s runs image %d, want %d", r.Old.Name, images[r.Old.Name], r.Old.Image.ImageID)
		}
	}
}

func mustRead(t *testing.T, path string) []Record {
	t.Helper()
	recs, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
