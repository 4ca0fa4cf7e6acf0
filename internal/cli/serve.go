package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/internal/engine"
	"github.com/molt-sh/molt/serve"
	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"
)

// serveOptions are the flags of `molt serve`.
type serveOptions struct {
	addr           string
	authorizedKeys string
	hostKey        string
	idleTimeout    time.Duration
	stopGrace      time.Duration
	pollMin        time.Duration
	strategy       *actions.Strategy // where rollouts staged in sessions start (--drain)
}

func (a *app) serveCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the cockpit over SSH: rollouts outlive sessions, and several people can watch",
		Long: "Serve molt's terminal UI over SSH. Each session gets its own view of one shared fleet and\n" +
			"one shared engine in this process: a rollout keeps running when the session that started it\n" +
			"drops, shows live in every session, and any operator can pause, continue or abort it.\n\n" +
			"Keys come from an OpenSSH authorized keys file; environment=\"MOLT_ROLE=operator\" before a\n" +
			"key makes it an operator, any other key is a viewer (read-only). See docs/serve.md.\n\n" +
			"SIGTERM pauses the running rollouts at a safe point; the next molt serve continues them.",
		Example: "  molt serve --authorized-keys ~/.config/molt/authorized_keys\n" +
			"  molt serve --addr 0.0.0.0:2222 --authorized-keys /etc/molt/authorized_keys --idle-timeout 15m\n" +
			"  ssh -t -p 2222 alice@bastion",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.runServe(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:2222", "address to listen on for SSH")
	f.StringVar(&o.authorizedKeys, "authorized-keys", "", "OpenSSH authorized keys file of who may connect, and as what (required)")
	f.StringVar(&o.hostKey, "host-key", "", "the server's SSH host key, created on first start (default: in the state directory)")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 30*time.Minute, "end a session after this long without a keystroke (0: never)")
	f.DurationVar(&o.stopGrace, "stop-grace", 10*time.Second, "on SIGTERM, how long running rollouts get to reach a safe point")
	addPollFlag(cmd, &o.pollMin)
	addDrainFlag(cmd)
	return cmd
}

// check validates the flags; every failure is a usage error (exit 2).
func (o serveOptions) check() error {
	switch {
	case o.authorizedKeys == "":
		return usageError("--authorized-keys is required: the OpenSSH file of the keys that may connect (see docs/serve.md)")
	case o.idleTimeout < 0:
		return usageError("--idle-timeout must not be negative")
	case o.stopGrace < 0:
		return usageError("--stop-grace must not be negative")
	}
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		return usageError("--addr %q: want HOST:PORT, such as 127.0.0.1:2222", o.addr)
	}
	return nil
}

func (a *app) runServe(cmd *cobra.Command, o serveOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	st, err := cockpitStrategy(cmd)
	if err != nil {
		return err
	}
	o.strategy = st
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	host, err := loadServeHostKey(o.hostKey)
	if err != nil {
		return err
	}
	s, err := a.connect(ctx, cmd, connectOptions{health: true})
	if err != nil {
		return err
	}
	defer s.Close()
	log := serveLogger(cmd)
	engine, srv, err := a.buildServer(ctx, cmd, s, o, host, log)
	if err != nil {
		return err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "molt: serving %s over SSH on %s (host key %s)\n",
		s.Target, ln.Addr(), gossh.FingerprintSHA256(host.PublicKey()))
	if a.hooks.ServeListening != nil {
		a.hooks.ServeListening(ln.Addr().String(), host.PublicKey())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err = <-served:
	}
	return errors.Join(err, shutdown(cmd, engine, srv, o.stopGrace, log))
}

// buildServer makes the shared engine (continuing what the last stop paused) and the
// SSH server around it.
func (a *app) buildServer(ctx context.Context, cmd *cobra.Command, s *session, o serveOptions, host gossh.Signer, log *slog.Logger) (*engine.Engine, *serve.Server, error) {
	// The runs live as long as the server, not as long as ctx: a stop pauses them first.
	eng, err := newEngine(context.WithoutCancel(ctx), s, o.pollMin, log)
	if err != nil {
		return nil, nil, err
	}
	deps := tuiDeps(ctx, cmd, s, eng)
	deps.Strategy = o.strategy
	if dir, err := stateDir(); err == nil {
		// The audit export (x) writes here, on the server: make it, as the UI does not.
		deps.ExportDir = filepath.Join(dir, "exports")
		if err := os.MkdirAll(deps.ExportDir, 0o700); err != nil {
			log.Warn("the audit export will fail", "err", err)
		}
	}
	resumed, err := serve.ResumeStopped(eng)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range resumed {
		fmt.Fprintf(cmd.ErrOrStderr(), "molt: continuing rollout %s, paused when molt serve last stopped\n", id)
	}
	srv, err := serve.New(serve.Config{AuthorizedKeys: o.authorizedKeys, HostKey: host, IdleTimeout: o.idleTimeout,
		UI: deps, Engine: eng, Version: a.build.Version, Log: log})
	if err != nil {
		return nil, nil, errors.Join(err, serve.Stop(context.Background(), eng, o.stopGrace))
	}
	return eng, srv, nil
}

// shutdown pauses the running rollouts at a safe point (sessions watch them pause), then
// ends the sessions.
func shutdown(cmd *cobra.Command, eng *engine.Engine, srv *serve.Server, grace time.Duration, log *slog.Logger) error {
	fmt.Fprintln(cmd.ErrOrStderr(), "molt: stopping: no new rollouts; pausing the running ones (molt serve continues them when it starts again)")
	ctx, cancel := context.WithTimeout(context.Background(), grace+time.Minute)
	defer cancel()
	err := serve.Stop(ctx, eng, grace)
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ccancel()
	if cerr := srv.Close(cctx); cerr != nil {
		log.Warn("sessions did not end in time", "err", cerr)
	}
	return err
}

// stateDir is molt's state directory: $XDG_STATE_HOME/molt, or ~/.local/state/molt.
func stateDir() (string, error) {
	dir, err := actions.DefaultDir()
	if err != nil {
		return "", err
	}
	return filepath.Dir(dir), nil
}

// loadServeHostKey reads the host key at path, or in the state directory, creating it on
// first start.
func loadServeHostKey(path string) (gossh.Signer, error) {
	if path == "" {
		dir, err := stateDir()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(dir, serve.HostKeyFile)
	}
	return serve.LoadHostKey(path)
}

// serveLogger writes the server's log to stderr; -v adds connections and accepted keys.
func serveLogger(cmd *cobra.Command) *slog.Logger {
	level := slog.LevelInfo
	if boolFlag(cmd, flagVerbose) {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
}
