package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
	"github.com/molt-sh/molt/ui"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v4"
)

// flagReadonly is the root command's --readonly.
const flagReadonly = "readonly"

// addTUIFlags registers the flags of `molt` itself (the terminal UI).
func addTUIFlags(root *cobra.Command) {
	root.Flags().Bool(flagReadonly, false, "look only: hide and refuse every key that would change the fleet (also MOLT_READONLY=1, or readonly: true in the config file)")
}

// runTUI opens the terminal UI on the account (or the demo simulator). When stdout is not
// a terminal it prints what `molt status` prints instead.
func (a *app) runTUI(cmd *cobra.Command, args []string) error {
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
	runCtx, stopRuns := context.WithCancel(ctx)
	deps := tuiDeps(runCtx, cmd, s)
	p := tea.NewProgram(ui.New(deps), tea.WithContext(ctx), tea.WithOutput(cmd.OutOrStdout()))
	_, err = p.Run()
	// A rollout still running stops at its next safe point, journaled, resumable.
	stopRuns()
	deps.Engine.(*tuiEngine).wait(30 * time.Second)
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, tea.ErrInterrupted) {
		return err
	}
	return nil
}

// tuiDeps wires the UI to the session: the loader, images, engine, journal and limiter.
func tuiDeps(ctx context.Context, cmd *cobra.Command, s *session) ui.Deps {
	opt := engineOptions(s, 0)
	dir := opt.Dir
	if dir == "" {
		dir, _ = actions.DefaultDir()
	}
	return ui.Deps{
		Context: ctx,
		Load: func(ctx context.Context, progress func(int, int)) ([]fleet.Server, error) {
			servers, err := fleet.Load(ctx, s.Client, fleet.LoadOptions{Limiter: s.Limiter, OnProgress: progress})
			return servers, s.explain(err)
		},
		Images:     func(ctx context.Context) ([]fleet.Version, error) { return privateImages(ctx, s) },
		Engine:     &tuiEngine{s: s, opt: opt},
		JournalDir: dir,
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

// tuiEngine is the rollout engine for the UI: package actions on the session's client.
// Runs started here live as long as ctx (the program), not as long as a screen.
type tuiEngine struct {
	s    *session
	opt  actions.Options
	runs sync.WaitGroup
}

// wait gives running rollouts up to d to stop after their context is cancelled.
func (e *tuiEngine) wait(d time.Duration) {
	done := make(chan struct{})
	go func() { e.runs.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// Plan gathers what the planner needs and plans, with the role's launch template.
func (e *tuiEngine) Plan(ctx context.Context, req ui.PlanRequest) (actions.Plan, error) {
	st := req.Strategy
	if st.Launch.Source == "" {
		l, err := launchTemplate(req.Servers)
		if err != nil {
			return actions.Plan{}, err
		}
		st.Launch = l
	}
	in, err := actions.Gather(ctx, e.s.Client, req.Selection, req.Servers, req.Target, st)
	if err != nil {
		return actions.Plan{}, e.s.explain(err)
	}
	if e.s.Sim != nil {
		in.ProvisionTime = 3 * time.Second // the embedded simulator's provisioning delay
	}
	return actions.NewPlan(in)
}

// Start begins a rollout of plan in the background.
func (e *tuiEngine) Start(ctx context.Context, plan actions.Plan) (ui.Run, error) {
	return e.run(ctx, func() (*actions.Executor, error) { return actions.Start(e.s.Client, plan, e.opt) })
}

// Resume continues an unfinished rollout in the background.
func (e *tuiEngine) Resume(ctx context.Context, id string) (ui.Run, error) {
	return e.run(ctx, func() (*actions.Executor, error) {
		return actions.Resume(e.s.Client, actions.JournalPath(e.journalDir(), id), e.opt)
	})
}

// Rollback rolls a rollout back in the background.
func (e *tuiEngine) Rollback(ctx context.Context, id string) (ui.Run, error) {
	return e.run(ctx, func() (*actions.Executor, error) {
		return actions.Rollback(e.s.Client, actions.JournalPath(e.journalDir(), id), e.opt)
	})
}

func (e *tuiEngine) journalDir() string {
	if e.opt.Dir != "" {
		return e.opt.Dir
	}
	dir, _ := actions.DefaultDir()
	return dir
}

func (e *tuiEngine) run(ctx context.Context, open func() (*actions.Executor, error)) (ui.Run, error) {
	x, err := open()
	if err != nil {
		return nil, err
	}
	e.runs.Go(func() { _ = x.Run(ctx) })
	return x, nil
}
