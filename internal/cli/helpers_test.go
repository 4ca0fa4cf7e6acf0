package cli

import (
	"context"
	"io"
	"strings"
)

// testBuild is the build the tests run as.
var testBuild = Build{Version: "test", Commit: "none", Date: "unknown"}

// runIO runs molt with args and no input, and returns the exit code.
func runIO(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext is runIO under ctx.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runHooked(ctx, Hooks{}, args, stdout, stderr)
}

// runHooked is runContext with hooks that say when long-running commands listen.
func runHooked(ctx context.Context, hooks Hooks, args []string, stdout, stderr io.Writer) int {
	return Run(ctx, testBuild, hooks, args, strings.NewReader(""), stdout, stderr)
}
