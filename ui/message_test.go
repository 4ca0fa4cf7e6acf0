package ui

import (
	"errors"
	"strings"
	"testing"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// A notice that does not fit beside the selection wraps onto a second line rather than
// losing its end.
func TestALongNoticeWrapsOntoASecondLine(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	d := drive(t, m, 80, 24)
	s := d.keys("esc", "/", "w", "e", "b", "enter", "a", "s").waitText("(l shows it)")
	status := strings.Split(strings.TrimRight(s, "\n"), "\n")
	two := strings.Join(status[len(status)-3:len(status)-1], "\n")
	if !strings.Contains(two, "a rollout is running: wait for it to finish") || !strings.Contains(two, "✓ 21 selected") {
		t.Fatalf("the notice and the selection should share two status lines:\n%s", s)
	}
	if strings.Contains(s, "…") && strings.Contains(status[len(status)-3], "…") {
		t.Fatalf("the notice is cut:\n%s", s)
	}
}

// A message longer than two lines opens whole in a dialog, which enter closes.
func TestAMessageTooLongForTheStatusLineOpensInADialog(t *testing.T) {
	t.Parallel()
	servers := demoServers(t)
	d := drive(t, loaded(t, servers, 80, 24), 80, 24)
	long := "GET /v2/droplets?page=3&per_page=200: 503 Service Unavailable: the API is down for maintenance " +
		"until 10:00 UTC; see status.digitalocean.com for the incident and try again after it ends (request 5f1c2a9e-77aa)"
	d.keys("r").send(fleetLoadedMsg{gen: 2, err: errors.New(long)})
	s := d.waitText("enter or esc closes this")
	if !strings.Contains(strings.Join(strings.Fields(s), " "), "(request 5f1c2a9e-77aa)") {
		t.Fatalf("the dialog does not show the message's end:\n%s", s)
	}
	if bar := barOf(s); !strings.Contains(bar, "enter/esc close") {
		t.Fatalf("the key bar does not say how to close the message: %q", bar)
	}
	if s = d.keys("enter").waitFor("the dialog to close", func(s string) bool { return !strings.Contains(s, "closes this") }); !strings.Contains(s, "edge") {
		t.Fatalf("enter does not close the message:\n%s", s)
	}
}

// The plan says "3 have attached volumes", wrapped rather than cut.
func TestSkipReasonsAgreeWithTheirCount(t *testing.T) {
	t.Parallel()
	c := loaded(t, demoServers(t), 80, 24).common
	p := &actions.Plan{Skipped: []actions.Skip{
		{Server: fleet.Server{Name: "a"}, Reason: "has attached volumes (use --move-volumes to move them)"},
		{Server: fleet.Server{Name: "b"}, Reason: "has attached volumes (use --move-volumes to move them)"},
		{Server: fleet.Server{Name: "c"}, Reason: "has attached volumes (use --move-volumes to move them)"},
		{Server: fleet.Server{Name: "d"}, Reason: "powered off"},
	}}
	if got := stripped(skipLine(c, p)); !strings.Contains(got, "3 have attached volumes") || !strings.Contains(got, "1 powered off") {
		t.Fatalf("skipLine = %q", got)
	}
}
