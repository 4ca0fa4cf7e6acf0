// Command molt replaces DigitalOcean droplets instead of patching them: a terminal UI and
// a headless CLI that show a fleet's image versions and drive replacements onto new images.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Set by the release build (-ldflags "-X main.version=... -X main.commit=... -X main.date=...").
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

// exitError carries a process exit code with a one-sentence message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad flags or arguments (exit 2).
func usageError(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "molt",
		Short:         "Replace DigitalOcean droplets instead of patching them",
		Long:          "molt shows a DigitalOcean fleet grouped by the image each droplet runs, and replaces\nservers onto new images: create new, health check, hand over, retire old.\n\nWith no credentials it runs on an embedded simulated cloud with a demo fleet.",
		Version:       fmt.Sprintf("%s (commit %s, built %s)", version, commit, date),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          runRoot,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: 2, err: err}
	})
	addConnectFlags(root)
	addTUIFlags(root)
	for _, add := range commands {
		root.AddCommand(add())
	}
	return root
}

// commands lists the subcommand constructors; each command's file adds its own.
var commands []func() *cobra.Command

// runRoot starts the TUI; until it exists, it prints the fleet status.
var runRoot = func(cmd *cobra.Command, args []string) error {
	return cmd.Help()
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int { return runIO(args, os.Stdout, os.Stderr) }

// runIO runs molt with args, writing output to stdout and messages to stderr, and
// returns the exit code.
func runIO(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext is runIO under a context whose cancellation stops long-running commands.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	} else if isUsage(err) {
		code = 2
	}
	fmt.Fprintln(stderr, "molt: "+err.Error())
	return code
}
