package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/molt-sh/molt/actions"
)

// Every kind of event renders a line: under -v all of them, and without it every kind
// an operator must see (a stray destroyed, a create answered with an error) too.
func TestPrinterRendersEveryEventKind(t *testing.T) {
	t.Parallel()
	quiet := map[string]bool{"step_started": true, "step_finished": true, "health_probe": true, "snapshot": true}
	for _, verbose := range []bool{true, false} {
		for _, ev := range actions.EventSamples() {
			var out bytes.Buffer
			p := &printer{w: &out, verbose: verbose}
			p.print(ev)
			if strings.TrimSpace(out.String()) == "" && (verbose || !quiet[ev.Kind()]) {
				t.Errorf("verbose=%v: %s renders no line", verbose, ev.Kind())
			}
		}
	}
}

// The printer says when a create was answered with an error, and when a droplet nothing
// tracked was destroyed.
func TestPrinterSaysACreateWasAnsweredWithAnError(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := &printer{w: &out}
	p.print(actions.APICall{Method: "POST", Path: "/v2/droplets", Status: 500, Err: "500"})
	p.print(actions.APICall{Method: "POST", Path: "/v2/droplets", Status: 202})
	p.print(actions.StrayDestroyed{Droplet: 9, Name: "web-1", Slot: -1})
	got := out.String()
	if !strings.Contains(got, "a create was answered with an error (500)") || strings.Count(got, "\n") != 2 ||
		!strings.Contains(got, "destroyed droplet 9 (web-1)") {
		t.Errorf("printer wrote:\n%s", got)
	}
}
