package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// event is the part of one of molt's -o json event lines the harness reads.
type event struct {
	Type    string          `json:"type"`
	At      time.Time       `json:"at"`
	Rollout string          `json:"rollout"`
	Phase   string          `json:"phase"`
	State   string          `json:"state"`
	Method  string          `json:"method"`
	Path    string          `json:"path"`
	Status  json.RawMessage `json:"status"` // a number, or the snapshot's status object
}

// mutating reports whether the event is an API call that changes something.
func (e event) mutating() bool {
	return e.Type == "api_call" && e.Method != "" && e.Method != "GET"
}

// rollout is the rollout the event names, from a snapshot's status too.
func (e event) rollout() string {
	if e.Rollout != "" {
		return e.Rollout
	}
	var st struct {
		Rollout string `json:"rollout"`
	}
	if len(e.Status) > 0 && e.Status[0] == '{' && json.Unmarshal(e.Status, &st) == nil {
		return st.Rollout
	}
	return ""
}

// proc is a process the harness started: molt sim, or a molt command. Its stdout is
// kept line by line (parsed when it is an event) and copied to a file; its stderr
// goes to a file.
type proc struct {
	name     string
	args     []string
	cmd      *exec.Cmd
	outPath  string
	errPath  string
	started  time.Time
	readDone chan struct{}

	mu     sync.Mutex
	lines  []string
	events []event
	wake   chan struct{} // closed and replaced on every line and at exit
	done   bool
	code   int
	ended  time.Time
	sent   []string // the signals the harness sent
}

// startProc starts bin with args and env, its output in dir/<name>.out and .err. The
// process gets a process group of its own, and dies with the harness (procattr).
func startProc(name, bin string, args, env []string, dir string) (*proc, error) {
	p := &proc{name: name, args: args, wake: make(chan struct{}), readDone: make(chan struct{}),
		outPath: dir + "/" + name + ".out", errPath: dir + "/" + name + ".err"}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.SysProcAttr = procAttr()
	errFile, err := os.Create(p.errPath)
	if err != nil {
		return nil, err
	}
	defer errFile.Close()
	p.cmd.Stderr = errFile
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	outFile, err := os.Create(p.outPath)
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		outFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p.started = time.Now()
	go p.read(stdout, outFile)
	go p.wait()
	return p, nil
}

// read keeps each line of stdout, parsing events, and wakes the waiters.
func (p *proc) read(r io.Reader, copyTo *os.File) {
	defer close(p.readDone)
	defer copyTo.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(copyTo, line)
		var ev event
		isEvent := strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &ev) == nil
		p.mu.Lock()
		p.lines = append(p.lines, line)
		if isEvent {
			p.events = append(p.events, ev)
		}
		p.wakeLocked()
		p.mu.Unlock()
	}
}

// wait reaps the process once its output is read, and records how it ended.
func (p *proc) wait() {
	<-p.readDone
	err := p.cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	} else if err != nil {
		code = -1
	}
	p.mu.Lock()
	p.done, p.code, p.ended = true, code, time.Now()
	p.wakeLocked()
	p.mu.Unlock()
}

func (p *proc) wakeLocked() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// until waits until cond holds of what the process printed (true), or the process
// has ended without it, or ctx is done (false).
func (p *proc) until(ctx context.Context, cond func(lines []string, events []event) bool) bool {
	for {
		p.mu.Lock()
		ok, done, wake := cond(p.lines, p.events), p.done, p.wake
		p.mu.Unlock()
		if ok {
			return true
		}
		if done {
			return false
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return false
		}
	}
}

// exited waits for the process to end, at most until ctx is done; it reports whether
// it ended and its exit code (128+signal when a signal ended it).
func (p *proc) exited(ctx context.Context) (int, bool) {
	p.until(ctx, func([]string, []event) bool { return false })
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code, p.done
}

// running reports whether the process has not ended yet.
func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.done
}

// signal sends sig to the process, if it still runs, and reports whether it did.
func (p *proc) signal(sig syscall.Signal) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return false
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return false
	}
	p.sent = append(p.sent, signalName(sig))
	return true
}

// stop kills the process's whole group and waits for it: cleanup, whatever state it
// is in.
func (p *proc) stop() {
	if p.running() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.exited(ctx)
}

// snapshot returns what the process printed so far.
func (p *proc) snapshot() ([]string, []event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...), append([]event(nil), p.events...)
}

// rolloutID is the rollout the process's events name, or "".
func (p *proc) rolloutID() string {
	_, evs := p.snapshot()
	for _, ev := range evs {
		if id := ev.rollout(); id != "" {
			return id
		}
	}
	return ""
}

// stderr is what the process wrote to stderr.
func (p *proc) stderr() string {
	b, _ := os.ReadFile(p.errPath)
	return string(b)
}

// driven is when the process changed its rollout: its first and last mutating call.
func (p *proc) driven() (Driven, bool) {
	_, evs := p.snapshot()
	d := Driven{Proc: p.name}
	for _, ev := range evs {
		if id := ev.rollout(); id != "" && d.Rollout == "" {
			d.Rollout = id
		}
		if ev.mutating() {
			if d.From.IsZero() {
				d.From = ev.At
			}
			d.To = ev.At
		}
	}
	return d, !d.From.IsZero() && d.Rollout != ""
}

var signals = map[string]syscall.Signal{"KILL": syscall.SIGKILL, "TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "HUP": syscall.SIGHUP}

func signalName(sig syscall.Signal) string {
	for n, s := range signals {
		if s == sig {
			return n
		}
	}
	return sig.String()
}
