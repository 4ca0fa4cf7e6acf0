package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
	"github.com/molt-sh/molt/internal/engine"
	"github.com/molt-sh/molt/ui"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v4"
)

// flagReadonly is the root command's --readonly; flagDrain the cockpit's drain, on the
// root command and on `molt serve`.
const (
	flagReadonly = "readonly"
	flagDrain    = "drain"
)

// addTUIFlags registers the flags of `molt` itself (the terminal UI).
func addTUIFlags(root *cobra.Command) {
	root.Flags().Bool(flagReadonly, false, "look only: hide and refuse every key that would change the fleet (also MOLT_READONLY=1, or readonly: true in the config file)")
	addDrainFlag(root)
}

// addDrainFlag adds --drain to a cockpit: the drain of the rollouts staged in it.
func addDrainFlag(cmd *cobra.Command) {
	cmd.Flags().Duration(flagDrain, actions.DefaultDrain, "rollouts staged here leave a droplet that left its load balancers or reserved IP running this long before it goes (0: none)")
}

// cockpitStrategy is where a rollout staged in the cockpit starts: the default
// strategy with the command's --drain.
func cockpitStrategy(cmd *cobra.Command) (*actions.Strategy, error) {
	st := actions.DefaultStrategy()
	d, err := cmd.Flags().GetDuration(flagDrain)
	if err != nil {
		return nil, err
	}
	if d < 0 {
		return nil, usageError("--drain must be 0 or more, not %s", d)
	}
	st.Drain = actions.Duration(d)
	return &st, nil
}

// runTUI opens the terminal UI on the account (or the demo simulator). When stdout is not
// a terminal it prints what `molt status` prints instead.
func (a *app) runTUI(cmd *cobra.Command, args []string) error {
	st, err := cockpitStrategy(cmd)
	if err != nil {
		return err
	}
	if !isTerminal(cmd.OutOrStdout()) {
		return a.runStatus(cmd, statusOptions{by: string(fleet.ByVersion), output: "text", roleTag: "role"})
	}
	// Bubble Tea handles SIGINT and SIGTERM; a lost SSH session (SIGHUP) cancels the
	// context, which stops any rollout where it is and restores the terminal.
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGHUP)
	defer stop()
	s, err := a.connect(ctx, cmd, connectOptions{health: true})
	if err != nil {
		return err
	}
	defer s.Close()
	eng, err := newEngine(ctx, s, 0, nil)
	if err != nil {
		return err
	}
	deps := tuiDeps(ctx, cmd, s, eng)
	deps.Strategy = st
	p := tea.NewProgram(ui.New(deps), tea.WithContext(ctx), tea.WithOutput(cmd.OutOrStdout()))
	_, err = p.Run()
	// A rollout still running stops at its next safe point, journaled, resumable.
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = eng.Close(cctx)
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, tea.ErrInterrupted) {
		return err
	}
	return nil
}

// newEngine is the rollout engine for the session's cockpits, its runs bounded by ctx.
func newEngine(ctx context.Context, s *session, pollMin time.Duration, log *slog.Logger) (*engine.Engine, error) {
	opt := engine.Options{Context: ctx, Client: s.Client, Actions: engineOptions(s, pollMin, actions.DefaultSettle), Launch: launchTemplate,
		Explain: s.explain, Log: log}
	if s.Sim != nil {
		opt.ProvisionTime = 3 * time.Second // the embedded simulator's provisioning delay
		opt.PoolMinute = demoPoolMinute
	}
	return engine.New(opt)
}

// tuiDeps wires the UI to the session: the loader, images, engine, journal and limiter.
func tuiDeps(ctx context.Context, cmd *cobra.Command, s *session, eng *engine.Engine) ui.Deps {
	// Refreshes read the account's action feed and only the droplets it names, with a
	// full read now and then (fleet.Inventory.Refresh).
	inv := fleet.NewInventory(s.Client, fleet.LoadOptions{Limiter: s.Limiter})
	record := s.historyRecorder()
	return ui.Deps{
		Context: ctx,
		Load: func(ctx context.Context, progress func(int, int)) ([]fleet.Server, error) {
			r, err := inv.Refresh(ctx, fleet.RefreshOptions{}, progress)
			if err != nil {
				return nil, s.explain(err)
			}
			s.logf("fleet read: %s", refreshWords(r))
			record(ctx, r.Servers) // the spread history (history.go)
			return r.Servers, nil
		},

		Images:     func(ctx context.Context) ([]fleet.Version, error) { return privateImages(ctx, s) },
		Engine:     eng.Local(),
		JournalDir: eng.JournalDir(),
		RateBudget: func() (int, int) { return s.Limiter.Available(), fleet.DefaultRequestsPerMinute },
		Target:     s.Target,
		Demo:       s.Sim != nil,
		Readonly:   boolFlag(cmd, flagReadonly) || envTrue("MOLT_READONLY") || configReadonly(),
		Markdown: func(sp *fleet.Spread) ([]byte, error) {
			var b bytes.Buffer
			err := writeMarkdown(&b, statusView{spread: sp, by: fleet.ByVersion, target: s.Target, molt: s.version})
			return b.Bytes(), err
		},
	}
}

// configReadonly reads `readonly: true` from molt's config file, for bastions where the
// UI should only ever look. A missing or unreadable file says nothing.
func configReadonly() bool {
	path, err := configPath()
	if err != nil {
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var cfg struct {
		Readonly bool `yaml:"readonly"`
	}
	return yaml.Unmarshal(data, &cfg) == nil && cfg.Readonly
}

func envTrue(name string) bool {
	v, err := strconv.ParseBool(os.Getenv(name))
	return err == nil && v
}

// privateImages lists the account's own images (snapshots, backups, custom images).
func privateImages(ctx context.Context, s *session) ([]fleet.Version, error) {
	var out []fleet.Version
	opt := &godo.ListOptions{Page: 1, PerPage: fleet.MaxPerPage}
	for {
		page, resp, err := s.Client.Images.ListUser(ctx, opt)
		if err != nil {
			return nil, s.explain(err)
		}
		for i := range page {
			out = append(out, fleet.VersionFromImage(&page[i]))
		}
		if resp.Links == nil || resp.Links.IsLastPage() {
			return out, nil
		}
		opt.Page++
	}
}

// refreshWords says what a refresh read, for -v.
func refreshWords(r fleet.Refreshed) string {
	if r.Full {
		return fmt.Sprintf("%d droplets, a full read (%s)", len(r.Servers), r.Why)
	}
	return fmt.Sprintf("the action feed and %d changed droplets", r.Changed)
}
