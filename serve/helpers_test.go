package serve

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
	"github.com/molt-sh/molt/internal/engine"
	"github.com/molt-sh/molt/ui"
)

// waitLimit bounds every wait for the screen or the engine.
const waitLimit = 30 * time.Second

// newSigner makes a fresh ed25519 key.
func newSigner(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// authorizedLine is key's line in an authorized keys file, with options before it.
func authorizedLine(s gossh.Signer, options, comment string) string {
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey())))
	if options != "" {
		line = options + " " + line
	}
	return line + " " + comment
}

// syncBuffer is a log sink that tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is molt serve on a loopback port over a test simulator, with three keys:
// alice (operator), victor (viewer, unmarked) and mallory (not in the file).
type testServer struct {
	env      *dosimtest.Env
	srv      *Server
	engine   *engine.Engine
	addr     string
	dir      string
	keysPath string
	hostKey  gossh.PublicKey
	alice    gossh.Signer
	victor   gossh.Signer
	mallory  gossh.Signer
	log      *syncBuffer
	// deps is the sessions' UI template.
	deps ui.Deps
}

// options tune a test server before it starts.
type options struct {
	provision time.Duration
	idle      time.Duration
	// handshake bounds the SSH handshake (zero: the server's default).
	handshake time.Duration
	// checkpoint stops the rollouts between waves until an operator continues.
	checkpoint bool
}

func startServer(t *testing.T, tweak ...func(*options)) *testServer {
	t.Helper()
	o := options{provision: 30 * time.Millisecond}
	for _, f := range tweak {
		f(&o)
	}
	ts := &testServer{dir: t.TempDir(), alice: newSigner(t), victor: newSigner(t), mallory: newSigner(t), log: &syncBuffer{}}
	ts.env = dosimtest.Start(t, dosim.Config{Provision: o.provision})
	ts.keysPath = filepath.Join(ts.dir, "authorized_keys")
	keys := authorizedLine(ts.alice, `environment="MOLT_ROLE=operator"`, "alice@laptop") + "\n" +
		authorizedLine(ts.victor, "", "victor@audit") + "\n"
	if err := os.WriteFile(ts.keysPath, []byte(keys), 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(ts.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	ts.engine, err = engine.New(engine.Options{Client: ts.env.Client, Actions: testActions(ts.dir), ProvisionTime: o.provision, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	host, err := LoadHostKey(filepath.Join(ts.dir, HostKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	ts.hostKey = host.PublicKey()
	ts.deps = testDeps(ts.env, ts.dir, o.checkpoint)
	ts.srv, err = New(Config{AuthorizedKeys: ts.keysPath, HostKey: host, IdleTimeout: o.idle, HandshakeTimeout: o.handshake,
		UI: ts.deps, Engine: ts.engine, Version: "test", Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- ts.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := Stop(ctx, ts.engine, time.Millisecond); err != nil {
			t.Errorf("stop the engine: %v", err)
		}
		if err := ts.srv.Close(ctx); err != nil {
			t.Errorf("close the server: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ts
}

// testActions are the executor's options with clocks scaled down.
func testActions(dir string) actions.Options {
	return actions.Options{Dir: filepath.Join(dir, "rollouts"), Version: "test",
		Timing: actions.Timing{PollMin: 5 * time.Millisecond, RetryBase: 5 * time.Millisecond,
			RetryMax: 50 * time.Millisecond, AdoptDelay: 5 * time.Millisecond, CallTimeout: 5 * time.Second, Attempts: 8}}
}

// testDeps is the sessions' UI over env, with a fast health check.
func testDeps(env *dosimtest.Env, dir string, checkpoint bool) ui.Deps {
	st := actions.DefaultStrategy()
	if checkpoint {
		st.Pause = actions.Pause{Mode: "manual"}
	}
	st.Health = actions.HealthCheck{Kind: "http", Port: env.Sim.HealthPort(), Path: "/healthz",
		Interval: actions.Duration(5 * time.Millisecond), ProbeTimeout: actions.Duration(time.Second),
		Timeout: actions.Duration(2 * time.Second), Threshold: 2}
	st.ActiveTimeout = actions.Duration(5 * time.Second)
	st.Drain = actions.Duration(2 * time.Millisecond)
	st.Launch = actions.Launch{Source: "flags", SSHKeys: []string{"12345"}}
	return ui.Deps{
		Load: func(ctx context.Context, progress func(int, int)) ([]fleet.Server, error) {
			return fleet.Load(ctx, env.Client, fleet.LoadOptions{OnProgress: progress})
		},
		Images: func(ctx context.Context) ([]fleet.Version, error) {
			ims, _, err := env.Client.Images.ListUser(ctx, nil)
			out := make([]fleet.Version, len(ims))
			for i := range ims {
				out[i] = fleet.VersionFromImage(&ims[i])
			}
			return out, err
		},
		Strategy: &st, JournalDir: filepath.Join(dir, "rollouts"), ExportDir: filepath.Join(dir, "exports"),
		Demo: true, RefreshEvery: -1,
	}
}

// dial connects with key as user; it fails the test unless the server is the one started.
func (ts *testServer) dial(user string, key gossh.Signer) (*gossh.Client, error) {
	return gossh.Dial("tcp", ts.addr, &gossh.ClientConfig{
		User: user, Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.FixedHostKey(ts.hostKey), Timeout: 10 * time.Second,
	})
}

// terminal is an SSH session with a pty, and everything it has printed so far.
type terminal struct {
	t      *testing.T
	client *gossh.Client
	sess   *gossh.Session
	in     io.Writer

	mu     sync.Mutex
	out    bytes.Buffer
	closed chan struct{}
}

// open logs in as user with key and starts a w x h terminal session.
func (ts *testServer) open(t *testing.T, user string, key gossh.Signer, w, h int) *terminal {
	t.Helper()
	client, err := ts.dial(user, key)
	if err != nil {
		t.Fatalf("log in as %s: %v", user, err)
	}
	tm := &terminal{t: t, client: client, closed: make(chan struct{})}
	t.Cleanup(tm.close)
	if tm.sess, err = client.NewSession(); err != nil {
		t.Fatal(err)
	}
	if err := tm.sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if tm.in, err = tm.sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := tm.sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	go tm.read(stdout)
	if err := tm.sess.Shell(); err != nil {
		t.Fatal(err)
	}
	return tm
}

func (tm *terminal) read(r io.Reader) {
	defer close(tm.closed)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		tm.mu.Lock()
		tm.out.Write(buf[:n])
		tm.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// screen is everything printed so far, without escape sequences.
func (tm *terminal) screen() string { return tm.since(0) }

// since is what was printed after mark, without escape sequences.
func (tm *terminal) since(mark int) string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return ansi.Strip(string(tm.out.Bytes()[min(mark, tm.out.Len()):]))
}

// mark is a point in the output to look for text after.
func (tm *terminal) mark() int {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.Len()
}

// waitFor waits until every text has been printed (after mark), failing the test at
// the deadline with what the session printed last.
func (tm *terminal) waitFor(mark int, texts ...string) {
	tm.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		s := tm.since(mark)
		if all(s, texts) {
			return
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("waited %s for %q; the session printed last:\n%s", waitLimit, texts, tail(s, 3000))
		}
		select {
		case <-tm.closed:
			if s := tm.since(mark); !all(s, texts) {
				tm.t.Fatalf("the session ended before printing %q; it printed last:\n%s", texts, tail(s, 3000))
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// until sends key, again and again, until every text has been printed since the last
// press: for keys that do something only once the UI is ready for them.
func (tm *terminal) until(key string, texts ...string) {
	tm.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		m := tm.mark()
		tm.send(key)
		retry := time.Now().Add(500 * time.Millisecond)
		for time.Now().Before(retry) {
			if all(tm.since(m), texts) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("pressed %q for %s without seeing %q; the session printed last:\n%s", key, waitLimit, texts, tail(tm.screen(), 3000))
		}
	}
}

func all(s string, texts []string) bool {
	for _, x := range texts {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// send types keys: text as is ("\r" is enter, "\x1b[B" down).
func (tm *terminal) send(keys ...string) {
	tm.t.Helper()
	for _, k := range keys {
		if _, err := io.WriteString(tm.in, k); err != nil {
			tm.t.Fatalf("type %q: %v", k, err)
		}
	}
}

// repaintUntil waits until every text shows on a w x h screen. Texts that change after
// the first frame (the header's list of who is connected) reach the client as the cells
// that changed, not as whole words, so it asks for full repaints by nudging the height
// between h and h-1 until a repaint carries them all.
func (tm *terminal) repaintUntil(w, h int, texts ...string) {
	tm.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for i := 0; ; i++ {
		m := tm.mark()
		tm.resize(w, h-i%2)
		for end := time.Now().Add(time.Second); time.Now().Before(end); {
			if all(tm.since(m), texts) {
				tm.resize(w, h)
				return
			}
			select {
			case <-tm.closed:
				tm.t.Fatalf("the session ended before showing %q", texts)
			case <-time.After(10 * time.Millisecond):
			}
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("waited %s for a repaint showing %q; the session printed last:\n%s", waitLimit, texts, tail(tm.since(m), 3000))
		}
	}
}

// resize sends a window-change request.
func (tm *terminal) resize(w, h int) {
	tm.t.Helper()
	if err := tm.sess.WindowChange(h, w); err != nil {
		tm.t.Fatalf("window change: %v", err)
	}
}

// close drops the connection, as a lost network would.
func (tm *terminal) close() { _ = tm.client.Close() }

// ended waits for the server to end the session.
func (tm *terminal) ended() {
	tm.t.Helper()
	select {
	case <-tm.closed:
	case <-time.After(waitLimit):
		tm.t.Fatalf("the session did not end; it printed last:\n%s", tail(tm.screen(), 2000))
	}
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", waitLimit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// journal reads rollout id's journal.
func (ts *testServer) journal(t *testing.T, id string) []actions.Record {
	t.Helper()
	recs, err := actions.ReadJournal(actions.JournalPath(filepath.Join(ts.dir, "rollouts"), id))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// rollouts lists the IDs of the journals written so far.
func (ts *testServer) rollouts(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(ts.dir, "rollouts", "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(paths))
	for i, p := range paths {
		ids[i] = strings.TrimSuffix(filepath.Base(p), ".jsonl")
	}
	return ids
}
