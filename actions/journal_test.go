package actions

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestJournalFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "molt", "rollouts")
	j, err := CreateJournal(dir, Header{ID: "20250101-120000-abcd", Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for path, want := range map[string]os.FileMode{dir: 0o700, j.Path(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
}

func TestJournalToleratesATornLastLine(t *testing.T) {
	dir := t.TempDir()
	j, err := CreateJournal(dir, Header{ID: "20250101-120000-abcd"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(Record{Kind: KindIntent, Op: OpCreate}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	f, _ := os.OpenFile(j.Path(), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq":3,"kind":"res`)
	f.Close()

	recs, err := ReadJournal(j.Path())
	if err != nil || len(recs) != 2 {
		t.Fatalf("read %d records, %v; want 2 and the torn line ignored", len(recs), err)
	}
	j2, recs, err := OpenJournal(j.Path())
	if err != nil || len(recs) != 2 {
		t.Fatalf("reopen: %d records, %v; want 2", len(recs), err)
	}
	if seq, err := j2.Append(Record{Kind: KindResult, Ref: 2}); err != nil || seq != 3 {
		t.Fatalf("append after the torn line: seq %d, %v", seq, err)
	}
	j2.Close()
	if recs, err = ReadJournal(j.Path()); err != nil || len(recs) != 3 || recs[2].Kind != KindResult {
		t.Fatalf("after reopening: %d records, %v", len(recs), err)
	}
}

func TestJournalRejectsDamageInTheMiddle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.jsonl")
	os.WriteFile(path, []byte("{\"seq\":1,\"kind\":\"header\",\"header\":{\"id\":\"x\"}}\nnot json\n{\"seq\":3}\n"), 0o600)
	if _, err := ReadJournal(path); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want damage at line 2", err)
	}
}

func TestJournalKeepsNoSecrets(t *testing.T) {
	st := DefaultStrategy()
	st.Launch = Launch{UserData: "#cloud-config\npassword: hunter2", UserDataPath: "/etc/molt/web.yaml", UserDataHash: "abc", Source: "flags"}
	j, err := CreateJournal(t.TempDir(), Header{ID: "20250101-120000-abcd", Plan: Plan{Strategy: st}})
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	data, _ := os.ReadFile(j.Path())
	if strings.Contains(string(data), "hunter2") || !strings.Contains(string(data), "/etc/molt/web.yaml") {
		t.Errorf("journal holds the user data itself, or not its path:\n%s", data)
	}
}

// TestJournalCutsOffAFailedAppend fills the disk halfway through a record: the append
// fails, the partial line is cut off, and the next append lands where it would have,
// so the journal reads cleanly with every record that was written, on a new journal
// (appending) as on a reopened one (writing at its offset).
func TestJournalCutsOffAFailedAppend(t *testing.T) {
	for _, reopen := range []bool{false, true} {
		dir := t.TempDir()
		j, err := CreateJournal(dir, Header{ID: "20250101-120000-abcd"})
		if err != nil {
			t.Fatal(err)
		}
		if reopen {
			j.Close()
			if j, _, err = OpenJournal(j.Path()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := j.Append(Record{Kind: KindIntent, Op: OpCreate, Names: []string{"web-1"}}); err != nil {
			t.Fatal(err)
		}
		full := errors.New("no space left on device")
		j.write = func(f *os.File, b []byte) (int, error) {
			n, _ := f.Write(b[:len(b)/2])
			return n, full
		}
		if _, err := j.AppendBatch([]Record{{Kind: KindResult, Ref: 2, Op: OpCreate}, {Kind: KindPhase, Phase: PhaseCreated}}); !errors.Is(err, full) {
			t.Fatalf("reopen=%v: failed append returned %v, want the write's error", reopen, err)
		}
		if fi, _ := os.Stat(j.Path()); fi.Size() != j.end {
			t.Errorf("reopen=%v: journal is %d bytes after the failed append, want %d", reopen, fi.Size(), j.end)
		}
		j.write = nil
		seq, err := j.Append(Record{Kind: KindResult, Ref: 2, Op: OpCreate, Err: "again"})
		if err != nil || seq != 3 {
			t.Fatalf("reopen=%v: append after the failure: seq %d, %v; want 3", reopen, seq, err)
		}
		if _, err := j.Append(Record{Kind: KindEnd, State: StateDone}); err != nil {
			t.Fatal(err)
		}
		j.Close()
		recs, err := ReadJournal(j.Path())
		if err != nil {
			t.Fatalf("reopen=%v: %v", reopen, err)
		}
		var kinds []string
		for i, r := range recs {
			if r.Seq != i+1 {
				t.Errorf("reopen=%v: record %d has seq %d", reopen, i+1, r.Seq)
			}
			kinds = append(kinds, string(r.Kind))
		}
		if got := strings.Join(kinds, " "); got != "header intent result end" || recs[2].Err != "again" {
			t.Errorf("reopen=%v: journal holds %q (result error %q), want header intent result end", reopen, got, recs[2].Err)
		}
		if _, _, err := OpenJournal(j.Path()); err != nil {
			t.Errorf("reopen=%v: the journal cannot be continued: %v", reopen, err)
		}
	}
}

// Where a filesystem's locks do not hold between processes, two writers of one journal
// add whole records side by side: neither overwrites the other's (both wrote at the
// offset they had read as the end, and the journal was damaged in the middle, as the
// chaos suite's two drivers once left it: "invalid character 'Z' after top-level value").
func TestSecondWriterNeverOverwritesRecords(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := CreateJournal(dir, Header{ID: "20250101-120000-abcd"})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	recs, good, err := readRecords(first.Path())
	if err != nil {
		t.Fatal(err)
	}
	f, err := openAppend(first.Path()) // as OpenJournal opens it, its lock not taken
	if err != nil {
		t.Fatal(err)
	}
	second := &Journal{f: f, path: first.Path(), end: good, seq: recs[len(recs)-1].Seq}
	defer second.Close()
	for i := range 5 {
		long := Record{Kind: KindState, State: StateRunning, Reason: strings.Repeat("a long reason ", 10+i)}
		if _, err := first.Append(long); err != nil {
			t.Fatal(err)
		}
		if _, err := second.Append(Record{Kind: KindState, State: StateInterrupted}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadJournal(first.Path())
	if err != nil {
		t.Fatalf("two writers damaged the journal: %v", err)
	}
	if len(got) != 11 {
		t.Errorf("%d records, want the header and the ten both wrote", len(got))
	}
}
