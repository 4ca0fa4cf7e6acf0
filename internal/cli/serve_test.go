package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/digitalocean/godo"
	gossh "golang.org/x/crypto/ssh"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
)

// lockedBuffer collects output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// operatorKey writes an authorized keys file with one operator key and returns the key.
func operatorKey(t *testing.T, path string) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	line := `environment="MOLT_ROLE=operator" ` + string(gossh.MarshalAuthorizedKey(key.PublicKey()))
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return key
}

// TestServeOverSSH runs `molt serve` on the demo fleet, logs in with a pty, sees the
// fleet, and stops the server as SIGTERM would: the session is told and the command
// exits 0, leaving its host key in the state directory for the next start.
func TestServeOverSSH(t *testing.T) {
	noCredentials(t)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	keysPath := filepath.Join(t.TempDir(), "authorized_keys")
	key := operatorKey(t, keysPath)
	type listening struct {
		addr string
		host gossh.PublicKey
	}
	ready := make(chan listening, 1)
	hooks := Hooks{ServeListening: func(addr string, host gossh.PublicKey) { ready <- listening{addr, host} }}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runHooked(ctx, hooks, []string{"serve", "--addr", "127.0.0.1:0", "--authorized-keys", keysPath, "--stop-grace", "10ms"}, &out, &errOut)
	}()
	var l listening
	select {
	case l = <-ready:
	case code := <-done:
		t.Fatalf("molt serve exited %d: %s", code, errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("molt serve did not start: %s", errOut.String())
	}

	screen := sshScreen(t, l.addr, l.host, key)
	screen.waitFor(t, "DEMO", "newest 1.2.0")
	screen.send(t, "x") // the audit export, into the state directory on the server
	screen.waitFor(t, "Export an audit")
	screen.send(t, "\r")
	var exports []string
	waitUntilTrue(t, "the audit export in the state directory", func() bool {
		exports, _ = filepath.Glob(filepath.Join(state, "molt", "exports", "molt-audit-*.json"))
		return len(exports) == 1 || strings.Contains(screen.text(), "export failed")
	})
	if len(exports) != 1 {
		t.Fatalf("the audit export failed:\n%s", screen.text())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("molt serve exited %d on stop: %s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("molt serve did not stop: %s", errOut.String())
	}
	screen.waitFor(t, "the server is stopping")
	fi, err := os.Stat(filepath.Join(state, "molt", "ssh_host_ed25519_key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the host key in the state directory: %v (mode %v), want 0600", err, fi)
	}
	if !strings.Contains(errOut.String(), gossh.FingerprintSHA256(l.host)) {
		t.Fatalf("molt serve did not print its host key's fingerprint:\n%s", errOut.String())
	}
}

func TestServeUsageErrors(t *testing.T) {
	noCredentials(t)
	for _, args := range [][]string{
		{"serve"},
		{"serve", "--authorized-keys", "k", "--addr", "2222"},
		{"serve", "--authorized-keys", "k", "--idle-timeout", "-1s"},
	} {
		if code, _, errOut := molt(t, args...); code != 2 {
			t.Errorf("molt %v exited %d, want 2 (usage): %s", args, code, errOut)
		}
	}
}

func TestServeRefusesAMissingKeysFile(t *testing.T) {
	noCredentials(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	code, _, errOut := molt(t, "serve", "--addr", "127.0.0.1:0", "--authorized-keys", filepath.Join(t.TempDir(), "nope"))
	if code != 1 || !strings.Contains(errOut, "authorized keys") {
		t.Fatalf("exit %d, %q; want 1 and a sentence about the authorized keys", code, errOut)
	}
}

// remoteScreen is what an SSH session with a pty printed, and its input.
type remoteScreen struct {
	in io.Writer

	mu  sync.Mutex
	out bytes.Buffer
}

func (r *remoteScreen) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.Write(p)
}

func (r *remoteScreen) text() string { return r.since(0) }

// since is what the session printed after mark, without escape sequences.
func (r *remoteScreen) since(mark int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return ansi.Strip(string(r.out.Bytes()[min(mark, r.out.Len()):]))
}

// mark is a point in the output to look for text after.
func (r *remoteScreen) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.Len()
}

// send types keys ("\r" is enter).
func (r *remoteScreen) send(t *testing.T, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, err := io.WriteString(r.in, k); err != nil {
			t.Fatalf("type %q: %v", k, err)
		}
	}
}

// waitFor waits until the session has printed every one of texts.
func (r *remoteScreen) waitFor(t *testing.T, texts ...string) {
	t.Helper()
	r.waitSince(t, 0, texts...)
}

// waitSince waits until the session has printed every one of texts after mark.
func (r *remoteScreen) waitSince(t *testing.T, mark int, texts ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, ok := r.since(mark), true
		for _, x := range texts {
			ok = ok && strings.Contains(s, x)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session did not print %q; it printed:\n%s", texts, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sshScreen logs in to addr with key and opens an 80x24 terminal session.
func sshScreen(t *testing.T, addr string, host gossh.PublicKey, key gossh.Signer) *remoteScreen {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "alice", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.FixedHostKey(host), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	screen := &remoteScreen{}
	if screen.in, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(screen, stdout) }()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	return screen
}

// serveProcess is a real `molt serve` process and what it printed on stderr.
type serveProcess struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	addr   string
	host   string // the host key's fingerprint, as printed
	exited chan struct{}
	err    error // Wait's, once exited is closed
}

var servingLine = regexp.MustCompile(`over SSH on (\S+) \(host key (\S+)\)`)

// startServeProcess runs bin serve with args on a free loopback port and waits until
// it listens.
func startServeProcess(t *testing.T, bin string, args ...string) *serveProcess {
	t.Helper()
	p := &serveProcess{stderr: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Env = os.Environ()
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.After(20 * time.Second)
	for {
		if m := servingLine.FindStringSubmatch(p.stderr.String()); m != nil {
			p.addr, p.host = m[1], m[2]
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("molt serve exited before listening (%v): %s", p.err, p.stderr.String())
		case <-deadline:
			t.Fatalf("molt serve did not listen: %s", p.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and waits, up to within, for the process to exit; it returns the
// exit code and how long the stop took.
func (p *serveProcess) stop(t *testing.T, within time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(within):
		t.Fatalf("molt serve did not exit within %s of SIGTERM: %s", within, p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(start)
}

// waitJournal polls rollout id's journal until ok holds.
func waitJournal(t *testing.T, path, what string, ok func([]actions.Record) bool) []actions.Record {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		recs, err := actions.ReadJournal(path)
		if err == nil && ok(recs) {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %s: %v; journal has %d records", what, err, len(recs))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func journalState(recs []actions.Record) actions.State {
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Kind == "end" || recs[i].Kind == "state" {
			return recs[i].State
		}
	}
	return ""
}

// TestServeSIGTERMPausesAndTheNextServeContinues runs the real binary: an operator
// starts a rollout from an SSH session, the server gets SIGTERM in the middle of it and
// exits 0 with the rollout paused and listed to continue, and the next `molt serve` on
// the same state directory takes it to the end without a duplicate or stray droplet.
func TestServeSIGTERMPausesAndTheNextServeContinues(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildMolt(t)
	env, conn := engineSim(t, dosim.Config{Provision: 300 * time.Millisecond, ActionDelay: 20 * time.Millisecond})
	state := os.Getenv("XDG_STATE_HOME")
	keysPath := filepath.Join(t.TempDir(), "authorized_keys")
	key := operatorKey(t, keysPath)
	before := namesOnImage(t, env.Client, "role:web")
	ctx := context.Background()
	all, _, err := env.Client.Droplets.List(ctx, &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	existed := map[int]bool{}
	for _, d := range all {
		existed[d.ID] = true
	}
	serveArgs := args(conn, []string{"--authorized-keys", keysPath, "--stop-grace", "5s", "--poll-min", "20ms", "--drain", "20ms"})

	first := startServeProcess(t, bin, serveArgs...)
	screen := sshScreenAt(t, first.addr, first.host, key)
	screen.waitFor(t, "newest 1.2.0")
	m := screen.mark()
	screen.send(t, "/", "role:web", "\r")
	screen.waitSince(t, m, "filter: role:web")
	m = screen.mark()
	screen.send(t, "g", " ", "s")
	// The picker's header shows before the images arrive, and Enter on the empty list
	// does nothing: wait for a row ("none of them on it", "2 of 19 already on it").
	screen.waitSince(t, m, "Pick the image", "on it")
	// web-1.6.0, a surge of 10 (two waves), and no health check: the simulator's
	// droplets answer on a port of the test's, not on 8080.
	screen.send(t, "\r", strings.Repeat("+", 9), "jjj", "h")
	deadline := time.Now().Add(20 * time.Second)
	for {
		m = screen.mark()
		screen.send(t, "\r") // enter opens the confirmation once the plan is in
		if screen.waitSinceFor(m, 500*time.Millisecond, "to start") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the confirmation did not open:\n%s", screen.text())
		}
	}
	if s := screen.since(m); !strings.Contains(s, "2 waves ·") {
		t.Fatalf("the staged rollout is not in two waves:\n%s", s)
	}
	screen.send(t, "web", "\r")

	journals := filepath.Join(state, "molt", "rollouts")
	var id string
	waitUntilTrue(t, "the rollout's journal", func() bool {
		paths, _ := filepath.Glob(filepath.Join(journals, "*.jsonl"))
		if len(paths) == 1 {
			id = strings.TrimSuffix(filepath.Base(paths[0]), ".jsonl")
		}
		return id != ""
	})
	journal := actions.JournalPath(journals, id)
	waitJournal(t, journal, "droplets being created", func(recs []actions.Record) bool {
		for _, r := range recs {
			if r.Phase == actions.PhaseCreated {
				return true
			}
		}
		return false
	})

	m = screen.mark()
	code, took := first.stop(t, 15*time.Second)
	if code != 0 {
		t.Fatalf("molt serve exited %d on SIGTERM, want 0: %s", code, first.stderr.String())
	}
	t.Logf("molt serve stopped in %s", took.Round(time.Millisecond))
	if want := "molt: stopping: no new rollouts; pausing the running ones"; !strings.Contains(first.stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, first.stderr.String())
	}
	if strings.Contains(first.stderr.String(), env.Token) {
		t.Errorf("the API token is in the server's log:\n%s", first.stderr.String())
	}
	screen.waitSince(t, m, "the server is stopping")
	recs, err := actions.ReadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	if st := journalState(recs); st.Final() || st == "" {
		t.Fatalf("after SIGTERM the rollout is %q, want it paused or interrupted (resumable)", st)
	}
	paused := false
	for _, r := range recs {
		if r.Kind == "control" && strings.HasPrefix(string(r.Op), "pause") && r.Operator != nil && strings.HasPrefix(r.Operator.User, "molt-serve(") {
			paused = true
		}
	}
	if !paused {
		t.Errorf("the journal has no pause by the stopping server")
	}
	if data, err := os.ReadFile(filepath.Join(journals, "serve-resume")); err != nil || strings.TrimSpace(string(data)) != id {
		t.Fatalf("serve-resume holds %q (%v), want %s", data, err, id)
	}

	second := startServeProcess(t, bin, serveArgs...)
	if want := "continuing rollout " + id; !strings.Contains(second.stderr.String(), want) {
		t.Errorf("the second molt serve did not say %q:\n%s", want, second.stderr.String())
	}
	recs = waitJournal(t, journal, "the continued rollout to end", func(recs []actions.Record) bool {
		return journalState(recs).Final()
	})
	if st := journalState(recs); st != actions.StateDone {
		t.Fatalf("the continued rollout ended %q, want done", st)
	}
	if code, _ := second.stop(t, 15*time.Second); code != 0 {
		t.Fatalf("the second molt serve exited %d on SIGTERM: %s", code, second.stderr.String())
	}
	if _, err := os.Stat(filepath.Join(journals, "serve-resume")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve-resume is still there after the rollout finished: %v", err)
	}

	after := namesOnImage(t, env.Client, "role:web")
	if sum(after) != sum(before) || after["web-1.6.0"] != before["web-1.6.0"]+19 {
		t.Errorf("web servers by image: %v before, %v after; want the 19 staged moved to web-1.6.0 and no more", before, after)
	}
	all, _, err = env.Client.Droplets.List(ctx, &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	tracked := map[int]bool{}
	for _, r := range recs {
		for _, d := range r.Droplets {
			tracked[d] = true
		}
	}
	names := map[string]bool{}
	for _, d := range all {
		if names[d.Name] {
			t.Errorf("two droplets are named %s", d.Name)
		}
		names[d.Name] = true
		if !existed[d.ID] && !tracked[d.ID] {
			t.Errorf("droplet %d (%s) was created but the journal does not know it", d.ID, d.Name)
		}
	}
	if len(all) != len(existed) {
		t.Errorf("%d droplets after the rollout, %d before", len(all), len(existed))
	}
}

// waitSinceFor waits up to d for texts after mark, and reports whether they came.
func (r *remoteScreen) waitSinceFor(mark int, d time.Duration, texts ...string) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		s, ok := r.since(mark), true
		for _, x := range texts {
			ok = ok && strings.Contains(s, x)
		}
		if ok {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// waitUntilTrue polls cond until it holds, for up to 20s.
func waitUntilTrue(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sshScreenAt logs in to addr, checking the host key against the fingerprint molt
// serve printed, and opens an 80x24 terminal session.
func sshScreenAt(t *testing.T, addr, fingerprint string, key gossh.Signer) *remoteScreen {
	t.Helper()
	var host gossh.PublicKey
	check := func(_ string, _ net.Addr, k gossh.PublicKey) error {
		if gossh.FingerprintSHA256(k) != fingerprint {
			return fmt.Errorf("host key %s, molt serve printed %s", gossh.FingerprintSHA256(k), fingerprint)
		}
		host = k
		return nil
	}
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "alice", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: check, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	c.Close()
	return sshScreen(t, addr, host, key)
}
