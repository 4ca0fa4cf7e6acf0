package actions

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Header opens a journal: which rollout, whose, and the plan it runs.
type Header struct {
	ID       string    `json:"id"`
	Started  time.Time `json:"started"`
	Operator Operator  `json:"operator"`
	Molt     string    `json:"molt,omitempty"`
	Plan     Plan      `json:"plan"`
	// Pool is the plan of a pool rollout (StartPool): Plan then has no waves.
	Pool *PoolPlan `json:"pool,omitempty"`

	// Recovered is set on a journal rebuilt from the cloud's tags (molt recover).
	Recovered *Recovery `json:"recovered,omitempty"`
}

// Operator is who ran a rollout: user@host, and the SSH connection when there is one.
type Operator struct {
	User          string `json:"user"`
	Host          string `json:"host"`
	SSHConnection string `json:"ssh_connection,omitempty"`
	// Key is the SHA256 fingerprint of the SSH key that authenticated the operator
	// (molt serve), and KeyComment its comment in the authorized keys file.
	Key        string `json:"key,omitempty"`
	KeyComment string `json:"key_comment,omitempty"`
}

// String renders the operator as user@host.
func (o Operator) String() string { return o.User + "@" + o.Host }

// CurrentOperator describes the user running molt.
func CurrentOperator() Operator {
	o := Operator{User: os.Getenv("USER"), SSHConnection: os.Getenv("SSH_CONNECTION")}
	if u, err := user.Current(); err == nil {
		o.User = u.Username
	}
	o.Host, _ = os.Hostname()
	return o
}

// Journal is an append-only JSON-lines file, synced to disk after every record. It is
// safe for concurrent use.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
	seq  int
	// crashAt, when above zero, makes the journal behave as if the process died right
	// after writing record crashAt (tests inject crashes at every boundary this way).
	crashAt int
	// crashAfter, when set, does so right after the first record it matches.
	crashAfter func(Record) bool
	crashed    bool
	// end is the offset after the last whole record: a failed append is cut back to
	// it, so that the next one does not land after a partial line.
	end int64
	// broken holds why the journal cannot be appended to any more: a failed append
	// whose partial write could not be cut off.
	broken error
	// write, when set, replaces the file's Write (tests inject a full disk with it).
	write func(f *os.File, b []byte) (int, error)
	// closed: Close ran (it may run twice: after a failed start and at the end of a run).
	closed bool
}

// errCrashed is what a journal returns once an injected crash has happened.
var errCrashed = errors.New("injected crash")

// DefaultDir is where journals live: $XDG_STATE_HOME/molt/rollouts, falling back to
// ~/.local/state/molt/rollouts.
func DefaultDir() (string, error) {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the journal directory: %w", err)
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "molt", "rollouts"), nil
}

// JournalPath is the journal file of rollout id in dir.
func JournalPath(dir, id string) string { return filepath.Join(dir, id+".jsonl") }

// CreateJournal starts the journal of a new rollout and writes its header. The header is
// written and synced under a temporary name first, so that a journal is never seen
// without one: a failed header write leaves no file. The journal is held with an
// exclusive lock until it is closed (see OpenJournal).
func CreateJournal(dir string, h Header) (*Journal, error) { return createJournal(dir, h, nil) }

// createJournal is CreateJournal with the file's Write replaced (tests fill the disk).
func createJournal(dir string, h Header, write func(*os.File, []byte) (int, error)) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the journal directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("restrict the journal directory: %w", err)
	}
	path := JournalPath(dir, h.ID)
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create the journal: %w", err)
	}
	j := &Journal{f: f, path: path, write: write}
	fail := func(err error) (*Journal, error) {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := lockFile(f); err != nil {
		return fail(fmt.Errorf("lock the journal: %w", err))
	}
	if _, err := j.Append(Record{Kind: KindHeader, Header: &h}); err != nil {
		return fail(err)
	}
	j.write = nil
	if err := os.Link(tmp, path); err != nil {
		return fail(fmt.Errorf("create the journal: %w", err))
	}
	os.Remove(tmp)
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	j.markDriver(h.Operator)
	return j, nil
}

// OpenJournal reopens a journal to continue it: it takes the journal's lock, reads the
// records, cuts off a torn last line, and appends after the last whole record. The lock
// is exclusive and held until Close (the kernel lifts it when the process dies): while
// another process drives the rollout, OpenJournal returns a *DrivenError naming it.
func OpenJournal(path string) (*Journal, []Record, error) {
	f, err := openAppend(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open the journal: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLockHeld) {
			return nil, nil, &DrivenError{Rollout: rolloutOfPath(path), Driver: readDriver(path)}
		}
		return nil, nil, fmt.Errorf("lock the journal: %w", err)
	}
	recs, good, err := readRecords(path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("cut the torn end of the journal: %w", err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open the journal: %w", err)
	}
	j := &Journal{f: f, path: path, end: good}
	if n := len(recs); n > 0 {
		j.seq = recs[n-1].Seq
	}
	j.markDriver(CurrentOperator())
	return j, recs, nil
}

// openAppend opens a journal to add records. Every write goes to the end of the file
// (O_APPEND), never over records another open file wrote: the lock keeps a second
// writer out, and where a filesystem's locks do not hold between processes (some
// network filesystems keep them on each client), two writers would add whole records
// side by side rather than overwrite each other's into a journal nothing can read.
func openAppend(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
}

// ReadJournal returns the records of a journal, ignoring a torn last line.
func ReadJournal(path string) ([]Record, error) {
	recs, _, err := readRecords(path)
	return recs, err
}

// readRecords parses the file and returns the offset after the last whole record.
func readRecords(path string) ([]Record, int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read the journal: %w", err)
	}
	var recs []Record
	var good int64
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		end := good + int64(len(sc.Bytes())) + 1
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || end > int64(len(data)) {
			if end >= int64(len(data)) {
				break // a torn last line: the process died while writing it
			}
			return nil, 0, &DamagedError{Path: path, Line: line, Err: err}
		}
		recs = append(recs, r)
		good = end
	}
	if len(recs) == 0 || recs[0].Kind != KindHeader || recs[0].Header == nil {
		return nil, 0, &DamagedError{Path: path}
	}
	return recs, good, nil
}

// DamagedError is a journal that cannot be read: damaged at a line, or without a header.
type DamagedError struct {
	Path string
	Line int // 0: the journal has no header
	Err  error
}

// Error says where the journal is damaged.
func (e *DamagedError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("journal %s has no header", e.Path)
	}
	return fmt.Sprintf("journal %s is damaged at line %d: %v", e.Path, e.Line, e.Err)
}

// Where says where in short: "damaged at line 16", or "no header".
func (e *DamagedError) Where() string {
	if e.Line == 0 {
		return "no header"
	}
	return fmt.Sprintf("damaged at line %d", e.Line)
}

// Append writes a record with the next sequence number and the time, and syncs it.
// It returns the record's sequence number.
func (j *Journal) Append(r Record) (int, error) {
	seqs, err := j.AppendBatch([]Record{r})
	if err != nil {
		return 0, err
	}
	return seqs[0], nil
}

// AppendBatch writes records together and syncs once: one boundary for what happened
// together (a wave's replacements reaching a phase).
func (j *Journal) AppendBatch(recs []Record) ([]int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.crashed {
		return nil, errCrashed
	}
	if j.broken != nil {
		return nil, j.broken
	}
	var buf []byte
	seqs := make([]int, len(recs))
	for i, r := range recs {
		r.Seq = j.seq + i + 1
		if r.At.IsZero() {
			r.At = time.Now().UTC()
		}
		line, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode journal record: %w", err)
		}
		buf = append(append(buf, line...), '\n')
		seqs[i] = r.Seq
	}
	write := j.write
	if write == nil {
		write = (*os.File).Write
	}
	if _, err := write(j.f, buf); err != nil {
		return nil, j.cutBack(fmt.Errorf("write the journal: %w", err))
	}
	if err := j.f.Sync(); err != nil {
		return nil, j.cutBack(fmt.Errorf("sync the journal: %w", err))
	}
	j.end += int64(len(buf))
	j.seq += len(recs)
	if j.crashAt > 0 && j.seq >= j.crashAt || j.crashAfter != nil && slices.ContainsFunc(recs, j.crashAfter) {
		j.crashed = true
	}
	return seqs, nil
}

// cutBack undoes a failed append (a disk that filled up halfway through a record leaves
// part of it in the file): it truncates the file back to the end of the last whole
// record, where the next append starts (its sync makes the cut durable too), and
// returns err. The records are not written
// and their sequence numbers are reused. When the file cannot be cut back, the journal
// refuses every later append rather than write after a partial line, which would read
// as damage in the middle of the journal and make the rollout impossible to resume.
func (j *Journal) cutBack(err error) error {
	if terr := j.f.Truncate(j.end); terr != nil {
		j.broken = fmt.Errorf("%w; cutting the partial record off failed too (%v): the journal takes no more records", err, terr)
		return j.broken
	}
	if _, serr := j.f.Seek(j.end, io.SeekStart); serr != nil {
		j.broken = fmt.Errorf("%w; returning to the end of the last record failed too (%v): the journal takes no more records", err, serr)
		return j.broken
	}
	return err
}

// Crashed reports whether an injected crash has happened.
func (j *Journal) Crashed() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.crashed
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Close closes the file, which lifts the journal's lock.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	os.Remove(driverPath(j.path))
	return j.f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync the journal directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync the journal directory: %w", err)
	}
	return nil
}
