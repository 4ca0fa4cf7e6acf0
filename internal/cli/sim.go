package cli

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/spf13/cobra"
)

func (a *app) simCmd() *cobra.Command {
	var (
		cfg     dosim.Config
		addr    string
		faults  []string
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Serve the simulated DigitalOcean API",
		Long: "Serve a simulated DigitalOcean API (the v2 subset molt uses) for demos, tests and\n" +
			"trying molt without an account. Point molt or any DigitalOcean client at the printed URL\n" +
			"with the printed token. Admin endpoints live under /_sim/ (see docs/dosim.md).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("droplets") && !cmd.Flags().Changed("seed") {
				cfg.Seed = "scale" // --droplets N asks for N droplets: the scale seed's
			}
			if err := cfg.Validate(); err != nil {
				return usageError("%v", err)
			}
			for _, spec := range faults {
				if _, err := dosim.ParseFault(spec); err != nil {
					return usageError("%v", err)
				}
			}
			if verbose {
				cfg.Logger = log.New(cmd.ErrOrStderr(), "", log.LstdFlags)
			}
			return a.serveSim(cmd, cfg, addr, faults)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8090", "address to listen on")
	f.StringVar(&cfg.Token, "token", "", "bearer token clients must send (default: a random one, printed)")
	f.StringVar(&cfg.Seed, "seed", "demo", "initial world: demo, scale or empty")
	f.IntVar(&cfg.Droplets, "droplets", 1000, "droplets of the scale seed (given alone, it picks that seed)")
	f.BoolVar(&cfg.DemoExtras, "demo-extras", true, "give the demo seed its pets and the autoscale pool api (false: the plain 48 droplets)")
	f.StringVar(&cfg.Team, "team", "", "name of the team the simulated account belongs to (default: none)")
	f.DurationVar(&cfg.PoolMinute, "pool-minute", 0, "how long one minute of an autoscale pool's timings lasts (default a minute; shorten for demos)")
	f.DurationVar(&cfg.Latency, "latency", 0, "latency added to every API response")
	f.DurationVar(&cfg.Provision, "provision", 3*time.Second, "how long a new droplet stays \"new\"")
	f.DurationVar(&cfg.ActionDelay, "action-delay", 0, "how long a droplet action runs (default provision/4)")
	f.IntVar(&cfg.HealthPort, "health-port", 8080, "port of /healthz on droplets' public addresses (-1: none)")
	f.IntVar(&cfg.RatePerMinute, "rate-per-minute", 250, "API requests allowed per minute")
	f.IntVar(&cfg.RatePerHour, "rate-per-hour", 5000, "API requests allowed per hour")
	f.IntVar(&cfg.DropletLimit, "droplet-limit", 0, "the account's droplet limit (default: seed size + 100)")
	f.StringVar(&cfg.StatePath, "state", "", "load the world from FILE at start and save it there on every change")
	f.BoolVarP(&verbose, "verbose", "v", false, "log one line per request")
	f.StringArrayVar(&faults, "fault", nil, "fault rule `METHOD PATH key=value...` (repeatable), e.g. 'POST /v2/droplets status=500 after count=1'")
	return cmd
}

func (a *app) serveSim(cmd *cobra.Command, cfg dosim.Config, addr string, faults []string) error {
	if cfg.Provision == 0 {
		cfg.Provision = -1
	}
	if cfg.HealthPort == 0 {
		return usageError("--health-port must be a port number, or -1 for none")
	}
	sim, err := dosim.New(cfg)
	if err != nil {
		return err
	}
	defer sim.Close()
	if notice := sim.HealthNotice(); notice != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), "molt sim: "+notice)
	}
	for _, spec := range faults {
		f, _ := dosim.ParseFault(spec)
		if _, err := sim.AddFault(f); err != nil {
			return usageError("%v", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	url := "http://" + ln.Addr().String()
	sim.SetBaseURL(url)
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "molt sim: serving the %q world at %s\n", cfg.Seed, url)
	fmt.Fprintf(out, "  export DIGITALOCEAN_API_URL=%s\n", url)
	fmt.Fprintf(out, "  export DIGITALOCEAN_ACCESS_TOKEN=%s\n", sim.Token())
	if cfg.StatePath != "" {
		fmt.Fprintf(out, "  state: %s\n", cfg.StatePath)
	}
	if a.hooks.SimListening != nil {
		a.hooks.SimListening(url, sim.Token())
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(out, "molt sim: stopped")
	return nil
}
