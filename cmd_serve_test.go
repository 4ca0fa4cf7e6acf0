package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
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
	serveListening = func(addr string, host gossh.PublicKey) { ready <- listening{addr, host} }
	t.Cleanup(func() { serveListening = nil })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--authorized-keys", keysPath, "--stop-grace", "10ms"}, &out, &errOut)
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

// remoteScreen is what an SSH session with a pty printed.
type remoteScreen struct {
	mu  sync.Mutex
	out bytes.Buffer
}

func (r *remoteScreen) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.Write(p)
}

func (r *remoteScreen) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return ansi.Strip(r.out.String())
}

// waitFor waits until the session has printed every one of texts.
func (r *remoteScreen) waitFor(t *testing.T, texts ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, ok := r.text(), true
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
