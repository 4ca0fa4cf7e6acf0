// Command molt replaces DigitalOcean droplets instead of patching them: a terminal UI and
// a headless CLI that show a fleet's image versions and drive replacements onto new images.
package main

import (
	"os"

	"github.com/molt-sh/molt/internal/cli"
)

// Set by the release build (-ldflags "-X main.version=... -X main.commit=... -X main.date=...").
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	os.Exit(cli.Main(cli.Build{Version: version, Commit: commit, Date: date}))
}
