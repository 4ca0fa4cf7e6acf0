package cli

import (
	"strings"
	"testing"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// Under -v, stderr that is not a terminal shows a long read's progress at every tenth;
// without -v it stays quiet.
func TestStatusVerboseShowsPagesRead(t *testing.T) {
	noCredentials(t)
	env := dosimtest.Start(t, dosim.Config{Seed: "scale", Droplets: 2000, HealthPort: -1})
	base := []string{"status", "-o", "json", "--access-token", env.Token, "--api-url", env.URL}
	code, out, errOut := molt(t, append(base, "-v")...)
	if code != 0 || decodeStatus(t, out).Total != 2000 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"reading the fleet: page 1 of 10\n", "reading the fleet: page 10 of 10\n", "read 2000 droplets in"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr under -v %q does not say %q", errOut, want)
		}
	}
	if code, _, errOut := molt(t, base...); code != 0 || strings.Contains(errOut, "page") {
		t.Errorf("without -v: exit %d, stderr %q; want it quiet", code, errOut)
	}
}
