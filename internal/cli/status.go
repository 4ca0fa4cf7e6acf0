package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
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
	return by, nil
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
	servers, err := loadFleet(ctx, s, o.sel.Tag)
	if err != nil {
		return err
	}
	spread := fleet.NewSpread(o.sel.Select(servers), fleet.Options{
		RolePrefix: strings.TrimSuffix(o.roleTag, ":") + ":",
		VersionTag: strings.TrimSuffix(o.versionTag, ":"),
	})
	return writeStatus(cmd.OutOrStdout(), o.output, statusView{spread: spread, by: by, target: s.Target, sel: o.sel, molt: s.version})
}

// loadFleet reads the fleet, saying on stderr when the API's rate limit makes it wait
// and, on a terminal, how far it has got.
func loadFleet(ctx context.Context, s *session, tag string) ([]fleet.Server, error) {
	start := time.Now()
	p := newProgressLine(s.stderr)
	servers, err := fleet.Load(ctx, s.Client, fleet.LoadOptions{
		Tag:        tag,
		Limiter:    s.Limiter,
		OnProgress: p.update,
		OnWait: func(d time.Duration) {
			p.clear()
			fmt.Fprintf(s.stderr, "molt: rate limited by the API; waiting %s before going on\n", d.Round(time.Second))
		},
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
	by     fleet.Dimension
	target string
	sel    fleet.Selection
	// molt is the version of molt that made the view, for the markdown footer.
	molt string
}

func writeStatus(w io.Writer, output string, v statusView) error {
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v.spread.Report(v.target, v.sel))
	case "markdown":
		return writeMarkdown(w, v)
	}
	return writeText(w, v, newStatusStyles(styledOutput(w)), terminalWidth(w))
}

// progressLine shows "reading the fleet: page 3 of 50" on a terminal's stderr, on one
// line that it clears when done; elsewhere it stays silent.
type progressLine struct {
	w     io.Writer
	shown bool
}

func newProgressLine(w io.Writer) *progressLine {
	if !isTerminal(w) {
		return &progressLine{}
	}
	return &progressLine{w: w}
}

func (p *progressLine) update(done, total int) {
	if p.w == nil || total < 2 {
		return
	}
	fmt.Fprintf(p.w, "\rmolt: reading the fleet: page %d of %d", done, total)
	p.shown = true
}

func (p *progressLine) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
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
