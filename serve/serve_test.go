package serve

import (
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

func TestSessionSeesTheDemoFleet(t *testing.T) {
	ts := startServer(t)
	tm := ts.open(t, "alice", ts.alice, 80, 24)
	tm.waitFor(0, "DEMO", "newest 1.2.0")
	tm.repaintUntil(80, 24, "on: alice")
	if strings.Contains(tm.screen(), "READ-ONLY") {
		t.Fatalf("an operator's session is read-only:\n%s", tail(tm.screen(), 2000))
	}
}

func TestUnknownKeyIsRefused(t *testing.T) {
	ts := startServer(t)
	if c, err := ts.dial("mallory", ts.mallory); err == nil {
		c.Close()
		t.Fatal("a key missing from the authorized keys logged in")
	}
	if !strings.Contains(ts.log.String(), "key refused") {
		t.Fatalf("the refusal is not logged:\n%s", ts.log.String())
	}
}

func TestPasswordsAreNotAccepted(t *testing.T) {
	ts := startServer(t)
	c, err := gossh.Dial("tcp", ts.addr, &gossh.ClientConfig{User: "alice",
		Auth: []gossh.AuthMethod{gossh.Password("alice"), gossh.KeyboardInteractive(
			func(string, string, []string, []bool) ([]string, error) { return nil, nil })},
		HostKeyCallback: gossh.FixedHostKey(ts.hostKey)})
	if err == nil {
		c.Close()
		t.Fatal("a password logged in")
	}
}

func TestWindowChangesResizeTheView(t *testing.T) {
	ts := startServer(t)
	tm := ts.open(t, "alice", ts.alice, 80, 24)
	tm.waitFor(0, "newest 1.2.0")
	m := tm.mark()
	tm.resize(60, 20)
	tm.waitFor(m, "This one is 60x20")
	m = tm.mark()
	tm.resize(70, 22)
	tm.waitFor(m, "This one is 70x22")
	m = tm.mark()
	tm.resize(120, 40)
	tm.waitFor(m, "newest 1.2.0")
}

func TestCommandsAreRefused(t *testing.T) {
	ts := startServer(t)
	c, err := ts.dial("alice", ts.alice)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.CombinedOutput("rm -rf /")
	if err == nil || !strings.Contains(string(out), "cockpit only") {
		t.Fatalf("a command ran: err %v, output %q", err, out)
	}
}

func TestSessionWithoutATerminalIsRefused(t *testing.T) {
	ts := startServer(t)
	c, err := ts.dial("alice", ts.alice)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := sess.CombinedOutput(""); err == nil {
		t.Fatalf("a session without a pty ran: %q", out)
	}
}

func TestIdleSessionsAreEnded(t *testing.T) {
	const idle = 400 * time.Millisecond
	ts := startServer(t, func(o *options) { o.idle = idle })
	tm := ts.open(t, "alice", ts.alice, 80, 24)
	tm.waitFor(0, "newest 1.2.0")
	busyUntil := time.Now().Add(3 * idle)
	for time.Now().Before(busyUntil) {
		tm.send("j")
		select {
		case <-tm.closed:
			t.Fatalf("a session typing every %s was ended as idle", idle/8)
		case <-time.After(idle / 8):
		}
	}
	tm.ended()
	if !strings.Contains(tm.screen(), "no keystroke for 400ms: disconnected") {
		t.Fatalf("the idle session was not told why it ended:\n%s", tail(tm.screen(), 500))
	}
	waitUntil(t, "the idle session to leave", func() bool { return ts.srv.Sessions() == 0 })
}

func TestQuittingEndsOnlyThatSession(t *testing.T) {
	ts := startServer(t)
	stays := ts.open(t, "victor", ts.victor, 120, 40)
	// Alice joins once victor is in, so that the header lists them in that order.
	waitUntil(t, "victor's session", func() bool { return ts.srv.Sessions() == 1 })
	leaves := ts.open(t, "alice", ts.alice, 80, 24)
	stays.repaintUntil(120, 40, "on: victor (viewer), alice")
	leaves.waitFor(0, "newest 1.2.0")
	leaves.send("q")
	leaves.ended()
	waitUntil(t, "the session that quit to leave", func() bool { return ts.srv.Sessions() == 1 })
	m := stays.mark()
	stays.send("m")
	stays.waitFor(m, "Servers per region and version")
	if ts.srv.Sessions() != 1 {
		t.Fatalf("%d sessions open, want the one that stayed", ts.srv.Sessions())
	}
}
