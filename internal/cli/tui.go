package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
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

// The root command's own flags: --readonly and --no-mouse; flagDrain is the cockpit's
// drain, on the root command and on `molt serve`.
const (
	flagReadonly = "readonly"
	flagNoMouse  = "no-mouse"
	flagDrain    = "drain"
)

// addTUIFlags registers the flags of `molt` itself (the terminal UI).
func addTUIFlags(root *cobra.Command) {
	root.Flags().Bool(flagReadonly, false, "look only: hide and refuse every key that would change the fleet (also MOLT_READONLY=1, or readonly: true in the config file)")
	root.Flags().Bool(flagNoMouse, false, "leave the mouse to the terminal, for selecting text or terminals that mishandle it (also mouse: false in the config file)")
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
// a terminal, or the terminal says it is dumb (TERM=dumb: no cursor movement, no
// alternate screen), it prints what `molt status` prints instead.
func (a *app) runTUI(cmd *cobra.Command, args []string) error {
	st, err := cockpitStrategy(cmd)
	if err != nil {
		return err
	}
	status := statusOptions{by: string(fleet.ByVersion), output: "text", roleTag: "role"}
	if os.Getenv("TERM") == "dumb" {
		fmt.Fprintln(cmd.ErrOrStderr(), "molt: TERM=dumb cannot show the cockpit, so here is molt status; "+
			"set TERM to your terminal's type (such as xterm-256color) for the cockpit")
		return a.runStatus(cmd, status)
	}
	if !isTerminal(cmd.OutOrStdout()) {
		return a.runStatus(cmd, status)
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
	p := tea.NewProgram(ui.New(deps), tea.WithContext(ctx), tea.WithOutput(rawWriter(cmd.OutOrStdout())))
	final, err := p.Run() // q, SIGTERM (a quit) and SIGHUP (the context) all end it here
	following := ""
	if m, ok := final.(ui.Model); ok {
		following = m.Following()
	}
	return leaveTUI(eng, s.Sim != nil, err, following)
}

// leaveTUI stops what the cockpit leaves running, once the terminal is restored: a
// rollout still under way stops at its next safe point, journaled, and molt says which
// and how to resume it, and exits 4, as apply does. following is the rollout the UI saw
// running when it ended (a hang-up cancels the runs too, which may end before this).
func leaveTUI(eng *engine.Engine, demo bool, runErr error, following string) error {
	var ids []string
	if following != "" {
		ids = append(ids, following)
	}
	for _, r := range eng.Running() {
		if r.ID() != following {
			ids = append(ids, r.ID())
		}
	}
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	closeErr := eng.Close(cctx)
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) && !errors.Is(runErr, tea.ErrInterrupted) {
		return runErr
	}
	if len(ids) == 0 {
		return nil
	}
	id := strings.Join(ids, ", ")
	msg := fmt.Sprintf("rollout %s stopped at a safe point when molt quit; resume it with `molt resume %s`", id, ids[0])
	if demo {
		msg = fmt.Sprintf("rollout %s stopped when molt quit; the demo's simulated cloud ended with molt, so there is nothing to resume", id)
	}
	if closeErr != nil {
		msg += " (" + closeErr.Error() + ")"
	}
	return &exitError{code: ExitInterrupted, err: errors.New(msg)}
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
	cfg := readConfig()
	// Refreshes read the account's action feed and only the droplets it names, with a
	// full read now and then (fleet.Inventory.Refresh).
	// A wait of a full read (rate limited) is told to the UI's load running it.
	var told atomic.Pointer[func(time.Duration)]
	inv := fleet.NewInventory(s.Client, fleet.LoadOptions{Limiter: s.Limiter, Pools: true, OnWait: func(d time.Duration) {
		if fn := told.Load(); fn != nil {
			(*fn)(d)
		}
	}})
	record := s.historyRecorder()
	feed := &sharedFeed{}
	deps := ui.Deps{
		Context: ctx,
		Load: func(ctx context.Context, progress func(int, int)) ([]fleet.Server, error) {
			wait := ui.WaitNotice(ctx)
			told.Store(&wait)
			defer told.CompareAndSwap(&wait, nil)
			r, err := inv.Refresh(ctx, fleet.RefreshOptions{}, progress)
			if err != nil {
				return nil, s.explain(err)
			}
			s.logf("fleet read: %s", refreshWords(r))
			feed.put(r.Feed)
			record(ctx, r.Servers) // the spread history (history.go)
			return r.Servers, nil
		},
		FullReadAt: func() time.Time { _, at := inv.Snapshot(); return at },
		Stale:      func(ids []int) { inv.Stale(ids...) },
		Images:     func(ctx context.Context) ([]fleet.Version, error) { return privateImages(ctx, s) },
		History:    func(ctx context.Context, since time.Time) (fleet.Trend, error) { return s.spreadTrend(ctx, since) },
		Engine:     eng.Local(),
		Pools:      inv.Pools,
		JournalDir: eng.JournalDir(),
		RateBudget: func() ui.Budget {
			rate := s.Client.GetRate()
			return ui.Budget{MinuteLeft: s.Limiter.Available(), MinuteLimit: fleet.DefaultRequestsPerMinute,
				HourLeft: rate.Remaining, HourLimit: rate.Limit}
		},
		Account:   func(ctx context.Context) (string, error) { return accountName(ctx, s) },
		Home:      s.account,
		Target:    s.Target,
		ExportDir: documentsDir(),
		Demo:      s.Sim != nil,
		Readonly:  boolFlag(cmd, flagReadonly) || envTrue("MOLT_READONLY") || cfg.Readonly,
		NoMouse:   boolFlag(cmd, flagNoMouse) || cfg.Mouse != nil && !*cfg.Mouse,
		Audit:     cockpitAudit(s, feed),
		Markdown: func(sp *fleet.Spread, a *fleet.Audit) ([]byte, error) {
			var b bytes.Buffer
			err := writeMarkdown(&b, statusView{spread: sp, audit: a, by: fleet.ByVersion, target: s.Target, molt: s.version})
			return b.Bytes(), err
		},
	}
	deps.Strategies = s.sessionStrategies(ctx)
	return deps
}

// configReadonly reads `readonly: true` from molt's config file, for bastions where the
// UI should only ever look.
func configReadonly() bool { return readConfig().Readonly }

// tuiConfig is what molt's config file says of the terminal UI.
type tuiConfig struct {
	Readonly bool `yaml:"readonly"`
	// Mouse false leaves the mouse to the terminal; unset, the UI takes it.
	Mouse *bool `yaml:"mouse"`
}

// readConfig reads the terminal UI's settings from molt's config file. A missing or
// unreadable file says nothing.
func readConfig() tuiConfig {
	var cfg tuiConfig
	path, err := configPath()
	if err != nil {
		return cfg
	}
	data, err := os.ReadFile(path)
	if err != nil || yaml.Unmarshal(data, &cfg) != nil {
		return tuiConfig{}
	}
	return cfg
}

// documentsDir is where audits are written by default: the user's documents directory
// ($XDG_DOCUMENTS_DIR, or ~/Documents) when there is one; "" (the current directory)
// otherwise.
func documentsDir() string {
	dir := os.Getenv("XDG_DOCUMENTS_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, "Documents")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return ""
	}
	return dir
}

func envTrue(name string) bool {
	v, err := strconv.ParseBool(os.Getenv(name))
	return err == nil && v
}

// accountName names the account the token belongs to, as a cockpit's header shows it:
// its team's name, else its email. It is the session's one read of the account, which
// the spread history and the rollouts' account checks share.
func accountName(ctx context.Context, s *session) (string, error) {
	acct, err := s.account(ctx)
	if err != nil {
		return "", err
	}
	if acct.TeamName != "" {
		return acct.TeamName, nil
	}
	return acct.Email, nil
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
