// Package serve is molt's cockpit as an SSH server (molt serve): every SSH session gets
// its own TUI over one shared fleet view and one shared engine living in the server,
// so a rollout outlives the session that started it, shows live in every session, and
// can be steered from any operator's. Keys come from an OpenSSH authorized keys file
// whose options make each key a viewer or an operator; every control action is
// journaled with the SSH user and the key's fingerprint.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/activeterm"
	gossh "golang.org/x/crypto/ssh"

	"github.com/molt-sh/molt/internal/engine"
	"github.com/molt-sh/molt/ui"
)

// Config configures a Server.
type Config struct {
	// AuthorizedKeys is the OpenSSH authorized keys file: who may connect, and as what.
	AuthorizedKeys string
	// HostKey is the server's host key; see LoadHostKey.
	HostKey gossh.Signer
	// IdleTimeout ends a session after this long without a keystroke (zero: never).
	IdleTimeout time.Duration
	// HandshakeTimeout drops a connection that has not completed the SSH handshake,
	// authentication included, after this long (zero: DefaultHandshakeTimeout).
	HandshakeTimeout time.Duration
	// UI is the template of every session's UI: the fleet source, images, target and
	// the rest. Context, Engine, Readonly, Operator and Shared are set per session.
	UI ui.Deps
	// Engine is the one engine every session drives.
	Engine *engine.Engine
	// Version is announced in the SSH handshake.
	Version string
	// Log receives connections, refusals and who did what.
	Log *slog.Logger
}

// DefaultHandshakeTimeout is how long a connection may take to complete the SSH
// handshake and authenticate: a connection that says nothing is dropped after it,
// rather than held open for as long as its peer likes.
const DefaultHandshakeTimeout = 30 * time.Second

// Server is molt serve's SSH server.
type Server struct {
	cfg  Config
	keys *keyring
	hub  *hub
	ssh  *ssh.Server
	log  *slog.Logger
	// ctx bounds every session's work; cancelled when the server closes.
	ctx    context.Context
	cancel context.CancelFunc
	// closing is set when Close ends the sessions, so that they can say why.
	closing atomic.Bool
	// active counts the session handlers running.
	active atomic.Int32
}

// New checks the configuration, reads the authorized keys and builds the server.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil || cfg.HostKey == nil || cfg.UI.Load == nil {
		return nil, errors.New("serve: the engine, the host key and the fleet source are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	keys, err := newKeyring(cfg.AuthorizedKeys, cfg.Log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, keys: keys, hub: newHub(cfg.Engine), log: cfg.Log, ctx: ctx, cancel: cancel}
	s.cfg.UI.Load = newSharedLoader(cfg.UI.Load).read
	s.ssh, err = wish.NewServer(
		wish.WithVersion("molt-"+strings.Map(versionRune, cfg.Version)),
		wish.WithPublicKeyAuth(s.authorize),
		func(srv *ssh.Server) error {
			srv.AddHostKey(cfg.HostKey)
			srv.HandshakeTimeout = cfg.HandshakeTimeout
			return nil
		},
		// The last middleware runs first: log, refuse commands, require a pty, track, TUI.
		wish.WithMiddleware(s.sessionMiddleware(), s.trackMiddleware, activeterm.Middleware(), commandMiddleware, s.logMiddleware),
	)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("build the SSH server: %w", err)
	}
	return s, nil
}

// versionRune keeps the SSH version string to printable ASCII without spaces.
func versionRune(r rune) rune {
	if r <= ' ' || r > '~' {
		return '_'
	}
	return r
}

// authorize admits a key listed in the authorized keys file, as the file is now.
func (s *Server) authorize(ctx ssh.Context, key ssh.PublicKey) bool {
	ak, ok := s.keys.lookup(key)
	if !ok {
		s.log.Warn("key refused", "user", ctx.User(), "remote", ctx.RemoteAddr().String(),
			"key", gossh.FingerprintSHA256(key))
		return false
	}
	s.log.Debug("key accepted", "user", ctx.User(), "key", ak.Fingerprint(), "role", ak.Role)
	return true
}

// Serve accepts SSH connections on ln until Close; it returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	err := s.ssh.Serve(ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Sessions is how many sessions are open.
func (s *Server) Sessions() int { return len(s.hub.all()) }

// Close stops accepting connections, ends every session (its TUI quits, restoring the
// terminal, and says why) and waits for them until ctx ends, then drops every
// connection. It does not stop the engine: stop that first, so that sessions see the
// rollouts pause.
func (s *Server) Close(ctx context.Context) error {
	s.closing.Store(true)
	sctx, stopWaiting := context.WithCancel(ctx)
	shut := make(chan error, 1)
	go func() { shut <- s.ssh.Shutdown(sctx) }() // closes the listeners at once
	s.hub.quitAll()
	err := s.waitSessions(ctx)
	stopWaiting()
	<-shut
	s.cancel()
	return errors.Join(err, s.ssh.Close())
}

// waitSessions waits until every session handler has returned, or ctx ends.
func (s *Server) waitSessions(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for s.active.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d sessions did not end: %w", s.active.Load(), ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}
