package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/molt-sh/molt/fleet"
	"github.com/spf13/cobra"
)

// statusOptions are the flags of `molt status`.
type statusOptions struct {
	sel        fleet.Selection
	by         string
	output     string
	versionTag string
	roleTag    string
	since      string
	audit      auditFlags
}

// outputs are the formats of -o.
var outputs = []string{"text", "json", "markdown"}

func (a *app) statusCmd() *cobra.Command {
	var o statusOptions
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the version spread of the fleet",
		Long: "Show which images the fleet's droplets run: versions live, servers per version and\n" +
			"their share, each role's newest version, the stragglers behind it, and the age of the\n" +
			"oldest live image. -o json is a stable shape for scripts (see docs/status.md).",
		Example: "  molt status\n  molt status --by role --tag env:prod\n  molt status --name 'web-*' -o markdown\n  molt status -o json | jq '.stragglers[].name'",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.runStatus(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.sel.Tag, "tag", "", "only droplets with this tag (for example env:prod)")
	f.StringVar(&o.sel.Region, "region", "", "only droplets in this region (for example nyc3)")
	f.StringVar(&o.sel.Name, "name", "", "only droplets whose name matches this glob (for example 'web-*')")
	f.StringVar(&o.by, "by", string(fleet.ByVersion), "group by version, role or region")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text, json or markdown")
	f.StringVar(&o.versionTag, "version-tag", "", "take the version from the droplet tag NAME:VALUE instead of the image (for example version)")
	f.StringVar(&o.roleTag, "role-tag", "role", "the droplet tag NAME:VALUE that names a server's role")
	f.StringVar(&o.since, "since", "", "add the spread's trend over this span from the account's history (30d, 2w, 12h)")
	addAuditFlags(f, &o.audit, true)
	return cmd
}

// check validates the flags; every failure is a usage error (exit 2).
func (o statusOptions) check() (fleet.Dimension, error) {
	by, err := fleet.ParseDimension(o.by)
	if err != nil {
		return "", usageError("--by: %v", err)
	}
	if !slices.Contains(outputs, o.output) {
		return "", usageError("-o: unknown output %q: use text, json or markdown", o.output)
	}
	if err := o.sel.Validate(); err != nil {
		return "", usageError("%v", err)
	}
	if o.roleTag == "" {
		return "", usageError("--role-tag must name a tag, such as role")
	}
	if o.since != "" {
		if _, err := parseSince(o.since); err != nil {
			return "", err
		}
	}
	return by, o.audit.check()
}

func (a *app) runStatus(cmd *cobra.Command, o statusOptions) error {
	by, err := o.check()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := a.connect(ctx, cmd, connectOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	drift := startDrift(dctx, s, o.audit)
	servers, err := loadFleet(ctx, s, o.sel.Tag)
	if err != nil {
		cancel()
		_, _ = drift() // it ends before the session does
		return err
	}
	log, err := drift()
	if err != nil {
		return err
	}
	pools, err := fleet.ReadPools(ctx, s.Client)
	if err != nil {
		return s.explain(err)
	}
	fleet.MarkMembers(servers, pools)
	opt := fleet.Options{
		RolePrefix: strings.TrimSuffix(o.roleTag, ":") + ":",
		VersionTag: strings.TrimSuffix(o.versionTag, ":"),
	}
	s.recordRead(ctx, servers, opt, o.sel.Tag)
	selected := o.sel.Select(servers)
	spread := fleet.NewSpread(selected, opt)
	spread.Pools = fleet.SelectPools(pools, servers, selected, o.sel)
	found, err := audit(ctx, s, spread, o.audit, log, o.audit.probe)
	if err != nil {
		return err
	}
	v := statusView{spread: spread, audit: found, by: by, target: s.Target, sel: o.sel, molt: s.version}
	if o.since != "" {
		if v.trend, err = s.trendView(ctx, opt, o.since, spread, o.sel); err != nil {
			return err
		}
	}
	return writeStatus(cmd.OutOrStdout(), o.output, v)
}

// loadFleet reads the fleet, saying on stderr when the API's rate limit makes it wait (a
// 429, or the limiter holding pages back for the minute's budget) and, on a terminal or
// under -v, how far it has got.
func loadFleet(ctx context.Context, s *session, tag string) ([]fleet.Server, error) {
	start := time.Now()
	p := newProgressLine(s.stderr, s.verbose)
	servers, err := fleet.Load(ctx, s.Client, fleet.LoadOptions{
		Tag:        tag,
		Limiter:    s.Limiter,
		OnProgress: p.update,
		OnWait:     p.wait,
	})
	p.clear()
	if err != nil {
		return nil, s.explain(err)
	}
	s.logf("read %d droplets in %s", len(servers), time.Since(start).Round(time.Millisecond))
	return servers, nil
}

// statusView is what the status renderers draw.
type statusView struct {
	spread *fleet.Spread
	// audit is the spread's immutability audit; nil renders one of pets only.
	audit  *fleet.Audit
	by     fleet.Dimension
	target string
	sel    fleet.Selection
	// molt is the version of molt that made the view, for the markdown footer.
	molt string
	// trend is the spread's history over --since, or nil.
	trend *trendView
}

func writeStatus(w io.Writer, output string, v statusView) error {
	switch output {
	case "json":
		r := v.spread.AuditReport(v.target, v.sel, v.audited())
		if v.trend != nil {
			r.History = v.trend.trend.Report(v.trend.roles)
		}
		return r.Encode(w)
	case "markdown":
		return writeMarkdown(w, v)
	}
	return writeText(w, v, newStatusStyles(styledOutput(w)), terminalWidth(w))
}

// progressLine shows "reading the fleet: page 3 of 50" on a terminal's stderr, on one
// line that it clears when done; under -v elsewhere it writes a line at every tenth of a
// long read; otherwise it stays silent. Waits for the rate limit are always told, with
// the pages read so far.
type progressLine struct {
	mu      sync.Mutex
	out     io.Writer // stderr
	term    bool
	verbose bool
	shown   bool
	done    int
	total   int
}

func newProgressLine(w io.Writer, verbose bool) *progressLine {
	return &progressLine{out: w, term: isTerminal(w), verbose: verbose}
}

func (p *progressLine) update(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = done, total
	switch {
	case total < 2:
	case p.term:
		fmt.Fprintf(p.out, "\rmolt: reading the fleet: page %d of %d\033[K", done, total)
		p.shown = true
	case p.verbose && total >= 10 && done*10/total != (done-1)*10/total:
		fmt.Fprintf(p.out, "molt: reading the fleet: page %d of %d\n", done, total)
	}
}

// wait tells of a wait for the rate limit, on its own line.
func (p *progressLine) wait(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
	read := ""
	if p.total > 1 {
		read = fmt.Sprintf(" (%d of %d pages read)", p.done, p.total)
	}
	fmt.Fprintf(p.out, "molt: rate limited by the API; waiting %s before going on%s\n", d.Round(time.Second), read)
}

func (p *progressLine) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
}

func (p *progressLine) clearLocked() {
	if p.shown {
		fmt.Fprint(p.out, "\r\033[K")
		p.shown = false
	}
}

// terminalWidth is the width of the terminal w writes to, or 0 when it is not one.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !isTerminal(w) {
		return 0
	}
	width, _, err := term.GetSize(f.Fd())
	if err != nil {
		return 0
	}
	return width
}

// styledOutput reports whether colours and box drawing suit w: a terminal, with NO_COLOR
// unset and TERM not dumb.
func styledOutput(w io.Writer) bool {
	return isTerminal(w) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}
