package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/fleet"
	"github.com/spf13/cobra"
)

// The persistent flags that say which account to talk to, shared by every command.
const (
	flagAccessToken = "access-token"
	flagContext     = "context"
	flagAPIURL      = "api-url"
	flagVerbose     = "verbose"
)

// addConnectFlags registers the connection flags on the root command, for all commands.
func addConnectFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.String(flagAccessToken, "", "DigitalOcean API token (default: $DIGITALOCEAN_ACCESS_TOKEN, $DIGITALOCEAN_TOKEN, then doctl's login)")
	f.String(flagContext, "", "doctl authentication context to take the token from")
	f.String(flagAPIURL, "", "API endpoint (default: $DIGITALOCEAN_API_URL, else DigitalOcean's)")
	f.BoolP(flagVerbose, "v", false, "say where the token came from and what is happening")
}

// connectOptions adjusts connect to what a command does.
type connectOptions struct {
	// health serves /healthz on the embedded simulator's droplets, for commands that
	// replace servers and check their health; read-only commands leave it off.
	health bool
}

// session is a connection to a DigitalOcean API: the operator's account or, without
// credentials, the embedded simulator. Close it when done.
type session struct {
	// Client talks to the API; every request goes through Limiter.
	Client *godo.Client
	// Limiter keeps the process within the API's rate limits; share it.
	Limiter *fleet.Limiter
	// Creds say where the token came from (never print Creds.Token).
	Creds fleet.Credentials
	// Target describes what is being talked to, for headers and messages.
	Target string
	// Sim is the embedded simulator, or nil on a real API.
	Sim *dosim.Sim

	version string
	verbose bool
	// acct is the account the token reaches, read once (account) or learnt from a plan.
	acct struct {
		sync.Mutex
		known *fleet.Account
	}
	stderr  io.Writer
	closers []func()
	// hist holds the account's spread histories, opened on first use (history.go).
	hist histories
}

// connect resolves the credentials from the flags, the environment and doctl's login, or
// with none starts the embedded simulator with the demo fleet and says so on stderr.
func (a *app) connect(ctx context.Context, cmd *cobra.Command, opt connectOptions) (*session, error) {
	s := &session{stderr: cmd.ErrOrStderr(), verbose: boolFlag(cmd, flagVerbose), version: a.build.Version}
	creds, err := fleet.ResolveCredentials(fleet.CredentialOptions{
		AccessToken: stringFlag(cmd, flagAccessToken),
		Context:     stringFlag(cmd, flagContext),
		APIURL:      stringFlag(cmd, flagAPIURL),
	})
	if errors.Is(err, fleet.ErrInvalidAPIURL) && stringFlag(cmd, flagAPIURL) != "" {
		return nil, usageError("%v", err)
	}
	if err != nil {
		return nil, err
	}
	if !creds.HasToken() {
		if creds.APIURL != "" {
			return nil, fmt.Errorf("no API token for %s (from %s): pass --access-token or set DIGITALOCEAN_ACCESS_TOKEN", creds.APIURL, creds.APIURLSource)
		}
		if creds, err = s.startSimulator(ctx, opt); err != nil {
			return nil, err
		}
	}
	s.Creds, s.Target = creds, describeTarget(creds, s.Sim != nil)
	// One limiter for the process, one client: the engine's calls go at the client's
	// default priority (fleet.PriorityRollout), and fleet.Load tags its own requests
	// fleet.PriorityRead, so reads leave a running rollout its reserve.
	perMinute := fleet.DefaultRequestsPerMinute
	if a.hooks.RequestsPerMinute > 0 {
		perMinute = a.hooks.RequestsPerMinute
	}
	s.Limiter = fleet.NewLimiter(perMinute)
	s.Client, err = fleet.NewClient(creds, fleet.ClientOptions{UserAgent: "molt/" + a.build.Version,
		Limiter: s.Limiter, Priority: fleet.PriorityRollout})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.logf("token from %s; API %s", creds.Source, creds.Endpoint())
	return s, nil
}

// simulatorSource is the token source reported for the embedded simulator.
const simulatorSource = "the embedded simulator"

// startSimulator serves the demo fleet on a loopback port for this process.
func (s *session) startSimulator(ctx context.Context, opt connectOptions) (fleet.Credentials, error) {
	cfg := dosim.Config{Seed: "demo", DemoExtras: true, HealthPort: -1, PoolMinute: demoPoolMinute}
	if opt.health {
		cfg.HealthPort = 0 // the simulator's default port
	}
	sim, err := dosim.New(cfg)
	if err != nil {
		return fleet.Credentials{}, fmt.Errorf("start the embedded simulator: %w", err)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		sim.Close()
		return fleet.Credentials{}, fmt.Errorf("start the embedded simulator: %w", err)
	}
	apiURL := "http://" + ln.Addr().String()
	sim.SetBaseURL(apiURL)
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	s.Sim = sim
	s.closers = append(s.closers, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		sim.Close()
	})
	fmt.Fprintln(s.stderr, "molt: no DigitalOcean token found; showing the embedded simulator's demo fleet"+
		" (set DIGITALOCEAN_ACCESS_TOKEN or log in with doctl to see yours)")
	return fleet.Credentials{Token: fleet.Secret(sim.Token()), Source: simulatorSource, APIURL: apiURL}, nil
}

// describeTarget names what the session talks to: the demo, a doctl context, or a host.
func describeTarget(c fleet.Credentials, simulated bool) string {
	switch {
	case simulated:
		return "demo fleet (embedded simulator)"
	case c.Context != "" && c.APIURL == "":
		return fmt.Sprintf("doctl context %q", c.Context)
	}
	host := c.Endpoint()
	if u, err := url.Parse(host); err == nil && u.Host != "" {
		host = u.Host
	}
	if c.Context != "" {
		return fmt.Sprintf("doctl context %q at %s", c.Context, host)
	}
	return host
}

// Close stops the embedded simulator, if one runs.
func (s *session) Close() {
	for _, c := range s.closers {
		c()
	}
	s.closers = nil
}

// logf writes a line to stderr under -v.
func (s *session) logf(format string, a ...any) {
	if s.verbose {
		fmt.Fprintf(s.stderr, "molt: "+format+"\n", a...)
	}
}

// explain turns an API error into one sentence naming the endpoint and the token's
// source; under -v the details (URL, request ID) go to stderr first.
func (s *session) explain(err error) error {
	if err == nil {
		return nil
	}
	out := fleet.Explain(err, s.Creds)
	var ue *fleet.UserError
	if errors.As(out, &ue) {
		s.logf("%v", ue.Err)
	}
	return out
}

func stringFlag(cmd *cobra.Command, name string) string {
	if f := cmd.Flag(name); f != nil {
		return f.Value.String()
	}
	return ""
}

func boolFlag(cmd *cobra.Command, name string) bool {
	f := cmd.Flag(name)
	return f != nil && f.Value.String() == "true"
}

// connectToChange connects for a command that changes the fleet: under a context that
// SIGINT, SIGTERM and SIGHUP (a lost SSH session) cancel, so the engine stops at a safe
// point, and with health endpoints on the embedded simulator. Call done when finished.
func (a *app) connectToChange(cmd *cobra.Command) (ctx context.Context, s *session, done func(), err error) {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	s, err = a.connect(ctx, cmd, connectOptions{health: true})
	if err != nil {
		stop()
		return nil, nil, nil, err
	}
	return ctx, s, func() { s.Close(); stop() }, nil
}

// account is the account the session's token reaches: read once (GET /v2/account, with
// the engine's retries), or known from a plan that read it.
func (s *session) account(ctx context.Context) (fleet.Account, error) {
	s.acct.Lock()
	defer s.acct.Unlock()
	if s.acct.known != nil {
		return *s.acct.known, nil
	}
	a, err := actions.ReadAccount(ctx, s.Client)
	if err != nil {
		return fleet.Account{}, s.explain(err)
	}
	s.acct.known = &a
	return a, nil
}

// learnAccount keeps the account a plan read, so that nothing reads it again.
func (s *session) learnAccount(a *fleet.Account) {
	if a == nil {
		return
	}
	s.acct.Lock()
	defer s.acct.Unlock()
	if s.acct.known == nil {
		s.acct.known = a
	}
}
