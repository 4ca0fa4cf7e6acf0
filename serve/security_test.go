package serve

import (
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	gossh "golang.org/x/crypto/ssh"
)

// A connection that never completes the handshake is dropped: otherwise anyone who can
// reach the port could hold connections (and the server's file descriptors) forever.
func TestAStalledHandshakeIsDropped(t *testing.T) {
	ts := startServer(t, func(o *options) { o.handshake = 300 * time.Millisecond })
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Say nothing; the server must hang up within the handshake timeout.
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server kept a silent connection open for %s", time.Since(start).Round(time.Millisecond))
	}
}

// The server offers public keys only: a client that would answer a password or a
// keyboard-interactive challenge is never asked.
func TestOnlyPublicKeysAreOffered(t *testing.T) {
	ts := startServer(t)
	asked := ""
	c, err := gossh.Dial("tcp", ts.addr, &gossh.ClientConfig{User: "alice",
		Auth: []gossh.AuthMethod{
			gossh.PasswordCallback(func() (string, error) { asked += "password "; return "alice", nil }),
			gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
				asked += "keyboard-interactive "
				return nil, nil
			}),
			gossh.RetryableAuthMethod(gossh.PasswordCallback(func() (string, error) { asked += "password "; return "", nil }), 2),
		},
		HostKeyCallback: gossh.FixedHostKey(ts.hostKey), Timeout: 10 * time.Second})
	if err == nil {
		c.Close()
		t.Fatal("logged in without a key")
	}
	if asked != "" {
		t.Fatalf("the server offered %s", asked)
	}
	if !strings.Contains(err.Error(), "no supported methods remain") {
		t.Fatalf("refused with %v, want every method unsupported", err)
	}
}

// A refused key learns nothing: the same error whatever the user name, and nothing
// about the keys that are authorized.
func TestRefusalsAreAlike(t *testing.T) {
	ts := startServer(t)
	var msgs []string
	for _, user := range []string{"alice", "victor", "root", "nobody"} {
		c, err := ts.dial(user, ts.mallory)
		if err == nil {
			c.Close()
			t.Fatalf("mallory's key logged in as %s", user)
		}
		msgs = append(msgs, err.Error())
	}
	for _, m := range msgs[1:] {
		if m != msgs[0] {
			t.Fatalf("refusals differ by user name: %q", msgs)
		}
	}
	for _, leak := range []string{"alice@laptop", "victor@audit", gossh.FingerprintSHA256(ts.alice.PublicKey())} {
		if strings.Contains(msgs[0], leak) {
			t.Fatalf("the refusal names an authorized key: %q", msgs[0])
		}
	}
}

// A viewer's connection reaches nothing but the read-only cockpit: no commands, no
// subsystems, no port forwarding, and no environment that would change its role.
func TestViewerReachesNoOtherChannel(t *testing.T) {
	ts := startServer(t)
	c, err := ts.dial("victor", ts.victor)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if out, err := sess.CombinedOutput("molt apply --yes"); err == nil || !strings.Contains(string(out), "cockpit only") {
		t.Fatalf("a viewer's command ran: %v, %q", err, out)
	}

	sess, err = c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestSubsystem("sftp"); err == nil {
		out, _ := io.ReadAll(io.LimitReader(mustStdout(t, sess), 1<<10))
		if !strings.Contains(string(out), "cockpit only") {
			t.Fatalf("a viewer opened the sftp subsystem: %q", out)
		}
	}

	if fwd, err := c.Dial("tcp", ts.addr); err == nil {
		fwd.Close()
		t.Fatal("a viewer forwarded a port through the server")
	}
	if ln, err := c.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
		t.Fatal("a viewer had the server listen for it")
	}
	for _, kind := range []string{"direct-streamlocal@openssh.com", "x11", "auth-agent@openssh.com"} {
		if ch, _, err := c.OpenChannel(kind, nil); err == nil {
			ch.Close()
			t.Fatalf("a viewer opened a %s channel", kind)
		}
	}

	tm := &terminal{t: t, client: c, closed: make(chan struct{})}
	if tm.sess, err = c.NewSession(); err != nil {
		t.Fatal(err)
	}
	_ = tm.sess.Setenv("MOLT_ROLE", "operator")
	_ = tm.sess.Setenv("MOLT_READONLY", "0")
	if err := tm.sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if tm.in, err = tm.sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	go tm.read(mustStdout(t, tm.sess))
	if err := tm.sess.Shell(); err != nil {
		t.Fatal(err)
	}
	tm.waitFor(0, "READ-ONLY", "newest 1.2.0", "victor (viewer)")
}

func mustStdout(t *testing.T, s *gossh.Session) io.Reader {
	t.Helper()
	r, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Sessions that drop in the middle of drawing, or while resizing, leave nothing behind:
// no goroutine of theirs outlives them, and the server goes on serving.
func TestDroppedSessionsLeaveNoGoroutines(t *testing.T) {
	ts := startServer(t, func(o *options) { o.idle = time.Hour })
	warm := ts.open(t, "victor", ts.victor, 80, 24)
	warm.waitFor(0, "newest 1.2.0")
	warm.close()
	waitUntil(t, "the first session to leave", func() bool { return ts.srv.Sessions() == 0 })
	before := goleak.IgnoreCurrent()

	for i := range 6 {
		tm := ts.open(t, "alice", ts.alice, 80+i, 24)
		switch i % 3 {
		case 0: // before the first frame
		case 1: // in the middle of drawing
			tm.waitFor(0, "DEMO")
			tm.resize(120, 40)
			tm.send("m", "j", "j")
		case 2: // on the stage screen, planning
			tm.waitFor(0, "newest 1.2.0")
			tm.send("g", " ", "s", "\r")
			tm.resize(60, 20)
		}
		tm.close()
	}
	waitUntil(t, "the dropped sessions to leave", func() bool { return ts.srv.Sessions() == 0 && ts.srv.active.Load() == 0 })
	goleak.VerifyNone(t, before,
		// Keep-alive connections to the simulator, from the fleet reads.
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("net/http.(*conn).serve"),
		// Not ours: bubbletea's input reader (ultraviolet's TerminalReader) sends the
		// input it read last to the program without looking at the program's end, so a
		// session dropped while input arrives leaves it blocked for good, holding that
		// session's program. Only a fix upstream can end it.
		goleak.IgnoreTopFunction("github.com/charmbracelet/ultraviolet.(*TerminalReader).sendEvents"),
	)
	again := ts.open(t, "alice", ts.alice, 80, 24)
	again.waitFor(0, "newest 1.2.0")
}

// The SSH user name is the client's to choose, and every session shows who is
// connected: a name carrying control characters must not draw on the others' terminals
// (break the header, colour it, move the cursor, set the title or the clipboard), nor
// reach the log unescaped.
func TestUserNamesCannotDrawOnOtherTerminals(t *testing.T) {
	ts := startServer(t)
	watcher := ts.open(t, "alice", ts.alice, 160, 40)
	watcher.waitFor(0, "newest 1.2.0")
	const evil = "eve\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;pwned\x07\x1b[5;35m\x1b[3;9H\r\nmallory"
	tm := ts.open(t, evil, ts.victor, 80, 24)
	tm.waitFor(0, "newest 1.2.0")
	waitUntil(t, "the name to show", func() bool { return strings.Contains(watcher.screen(), "mallory") })
	oneLine := false
	for _, line := range strings.Split(watcher.screen(), "\n") {
		oneLine = oneLine || strings.Contains(line, "eve") && strings.Contains(line, "mallory")
	}
	if !oneLine {
		t.Errorf("a user name broke the header over two lines:\n%s", tail(watcher.screen(), 2000))
	}
	watcher.mu.Lock()
	raw := watcher.out.String()
	watcher.mu.Unlock()
	for _, seq := range []string{"\x1b]52;", "\x1b]0;pwned", "\x1b[5;35m", "\x1b[3;9H"} {
		if strings.Contains(raw, seq) {
			t.Errorf("a user name wrote %q to another session's terminal", seq)
		}
	}
	if strings.Contains(ts.log.String(), "\x1b") {
		t.Errorf("a user name wrote an escape sequence into the log")
	}
}

func TestPrintableName(t *testing.T) {
	for in, want := range map[string]string{
		"alice":                  "alice",
		"":                       "?",
		"zoë":                    "zoë",
		"a\x1b[2Jb":              "a?[2Jb",
		"a\u009b2Jb":             "a?2Jb", // the one-byte CSI
		"a\u202eb":               "a?b",   // right-to-left override
		"a\r\nb\x07":             "a??b?",
		strings.Repeat("x", 100): strings.Repeat("x", maxNameRunes) + "…",
		"bad\xffutf8":            "bad\uFFFDutf8",
	} {
		if got := printableName(in); got != want {
			t.Errorf("printableName(%q) = %q, want %q", in, got, want)
		}
	}
}

// The client chooses its terminal's size, and the UI draws every cell of it: a huge
// one must cost the server no more than the largest it draws.
func TestAHugeTerminalIsDrawnBounded(t *testing.T) {
	ts := startServer(t)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	tm := ts.open(t, "victor", ts.victor, 3000, 3000)
	tm.waitFor(0, "newest 1.2.0")
	m := tm.mark()
	tm.resize(4000, 2500)
	tm.send("m")
	tm.waitFor(m, "Servers per region and version")
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if grew := int64(after.TotalAlloc-before.TotalAlloc) >> 20; grew > 400 || took > 5*time.Second {
		t.Fatalf("a 3000x3000 terminal cost the server %d MB and %s", grew, took.Round(time.Millisecond))
	}
	if w, h := clampSize(65535, 65535); w != maxWidth || h != maxHeight {
		t.Fatalf("65535x65535 is drawn as %dx%d", w, h)
	}
	if w, h := clampSize(80, 24); w != 80 || h != 24 {
		t.Fatalf("80x24 is drawn as %dx%d", w, h)
	}
}

// The idle timeout is each session's own: one ending idle leaves a busy one alone.
func TestIdleTimeoutEndsOnlyTheIdleSession(t *testing.T) {
	const idle = 400 * time.Millisecond
	ts := startServer(t, func(o *options) { o.idle = idle })
	busy := ts.open(t, "alice", ts.alice, 80, 24)
	busy.waitFor(0, "newest 1.2.0")
	quiet := ts.open(t, "victor", ts.victor, 80, 24)
	quiet.waitFor(0, "newest 1.2.0")
	deadline := time.After(waitLimit)
	for ended := false; !ended; {
		busy.send("j")
		select {
		case <-quiet.closed:
			ended = true
		case <-busy.closed:
			t.Fatal("the busy session was ended with the idle one")
		case <-deadline:
			t.Fatal("the idle session was not ended")
		case <-time.After(idle / 8):
		}
	}
	m := busy.mark()
	busy.send("m")
	busy.waitFor(m, "Servers per region and version")
	waitUntil(t, "the idle session to leave", func() bool { return ts.srv.Sessions() == 1 })
}
