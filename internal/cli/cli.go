// Package cli is molt's command line: the cobra commands, their flags, and the wiring
// from flags to the fleet, the engine, the terminal UI and the SSH server. One file per
// command; the run printer (printer.go) and the status renderers (status_*.go) have
// their own. It holds no logic of its own beyond turning flags into calls and outcomes
// into exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"
)

// The exit codes, a public contract (README, docs/engine.md).
const (
	ExitOK          = 0 // done
	ExitError       = 1 // an error, said in one sentence
	ExitUsage       = 2 // bad flags or arguments
	ExitRolledBack  = 3 // the rollout failed and was rolled back
	ExitInterrupted = 4 // interrupted and resumable with `molt resume ID`
	ExitLocked      = 5 // locked by another rollout
)

// Build identifies the binary, as the release build stamps it.
type Build struct {
	Version, Commit, Date string
}

// Hooks tell a caller (tests) what long-running commands are doing; each may be nil.
type Hooks struct {
	// SimListening is told the URL and token once `molt sim` listens.
	SimListening func(url, token string)
	// ServeListening is told the address and host key once `molt serve` listens.
	ServeListening func(addr string, hostKey gossh.PublicKey)
	// Terminal treats stdin and stdout as an operator's terminal, so that prompts are
	// asked and answered on the streams Run was given.
	Terminal bool
	// RequestsPerMinute, when above zero, is the client's per-minute request budget in
	// place of DigitalOcean's 250: for a simulator whose limits are lifted and whose pools'
	// minutes last milliseconds (a pool rollout polls every quarter of a pool minute).
	RequestsPerMinute int
}

// app is what every command shares: the build and the hooks.
type app struct {
	build Build
	hooks Hooks
}

// Main runs molt with the process's arguments and streams and returns the exit code.
func Main(b Build) int {
	return Run(context.Background(), b, Hooks{}, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

// Run runs molt with args under ctx, whose cancellation stops long-running commands;
// prompts read stdin, output goes to stdout and messages to stderr. It returns the
// exit code.
func Run(ctx context.Context, b Build, hooks Hooks, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{build: b, hooks: hooks}
	secrets := newRedactor(args)
	stdout, stderr = secrets.writer(stdout), secrets.writer(stderr)
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := checkFlagValues(root, args)
	if err == nil {
		err = root.ExecuteContext(ctx)
	}
	if err == nil {
		return ExitOK
	}
	code := ExitError
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	} else if isUsage(err) {
		code = ExitUsage
	}
	fmt.Fprintln(stderr, "molt: "+secrets.redact(err.Error()))
	return code
}

// rootCmd is `molt` itself (the terminal UI) with every subcommand.
func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "molt",
		Short:         "Replace DigitalOcean droplets instead of patching them",
		Long:          "molt shows a DigitalOcean fleet grouped by the image each droplet runs, and replaces\nservers onto new images: create new, health check, hand over, retire old.\n\nWith no credentials it runs on an embedded simulated cloud with a demo fleet.",
		Version:       fmt.Sprintf("%s (commit %s, built %s)", a.build.Version, a.build.Commit, a.build.Date),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          a.runTUI,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: err}
	})
	addConnectFlags(root)
	addTUIFlags(root)
	root.AddCommand(
		a.statusCmd(),
		a.planCmd(),
		a.applyCmd(),
		a.rolloutsCmd(),
		a.resumeCmd(),
		a.rollbackCmd(),
		a.recoverCmd(),
		a.unlockCmd(),
		a.serveCmd(),
		a.simCmd(),
	)
	return root
}

// exitError carries a process exit code with a one-sentence message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad flags or arguments (exit 2).
func usageError(format string, a ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

// isUsage recognises cobra's own argument and command errors, which are usage errors.
func isUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "invalid argument", "flag needs an argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
