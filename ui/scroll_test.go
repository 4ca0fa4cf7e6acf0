package ui

import (
	"strings"
	"testing"
)

// At 80x24 the live view shows 10 of 19 replacements and 6 of 33 events: both scroll,
// tab switches between them, and the events can be searched.
func TestLiveReplacementsAndEventsScroll(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	d := drive(t, m, 80, 24)
	d.waitText("2–11 of 19")
	s := d.keys("G").waitText("10–19 of 19")
	if !strings.Contains(s, "web-stg-nyc3-10") {
		t.Fatalf("G on the replacements should show the last one:\n%s", s)
	}
	d.keys("k", "k").waitText("8–17 of 19")
	d.keys("f").waitText("2–11 of 19")
	s = d.keys("tab", "g").waitText("Events  1–6 of 33")
	if !strings.Contains(s, "started rollout of web") {
		t.Fatalf("g on the events should show the first one:\n%s", s)
	}
	d.keys("ctrl+d").waitText("Events  4–9 of 33")
	d.keys("G").waitText("Events  28–33 of 33")
	d.keys("/")
	for _, k := range "fra1-06" {
		d.keys(string(k))
	}
	s = d.keys("enter").waitText(`match "fra1-06"`)
	if strings.Contains(strings.SplitN(s, "match", 2)[1], "fra1-07") {
		t.Fatalf("the search lets other servers' events through:\n%s", s)
	}
	d.keys("esc").waitText("Events  28–33 of 33")
}

// History details and the rollback wizard reach every replacement.
func TestHistoryDetailsAndWizardScroll(t *testing.T) {
	t.Parallel()
	dir := journalWith(t, false)
	d := drive(t, loaded(t, demoServers(t), 80, 24, inDir(dir)), 80, 24)
	d.keys("h").waitText("Rollouts", "b roll back")
	s := d.keys("enter").waitText("1–9 of 19 replacements")
	if strings.Contains(s, "web-stg-nyc3-10") {
		t.Fatalf("the last replacement shows before scrolling:\n%s", s)
	}
	s = d.keys("G").waitText("11–19 of 19 replacements")
	if !strings.Contains(s, "web-stg-nyc3-10") {
		t.Fatalf("G in the details should reach the last replacement:\n%s", s)
	}
	s = d.keys("esc", "b").waitText("1–10 of 19 servers")
	if strings.Contains(s, "web-fra1-01 ") {
		t.Fatalf("the wizard shows its last server before scrolling:\n%s", s)
	}
	s = d.keys("pgdown").waitText("10–19 of 19 servers")
	if !strings.Contains(s, "web-fra1-01 ") {
		t.Fatalf("pgdn in the wizard should reach the last server:\n%s", s)
	}
}

// The fleet list says where it is, and ctrl+d and ctrl+u move half a page.
func TestFleetListShowsItsPositionAndMovesHalfAPage(t *testing.T) {
	t.Parallel()
	d := drive(t, loaded(t, demoServers(t), 80, 24), 80, 24)
	d.waitText("1–15 of 62")
	d.keys("ctrl+d", "ctrl+d", "ctrl+d").waitText("8–22 of 62")
	s := d.keys("G").waitText("48–62 of 62")
	if !strings.Contains(s, "worker-sfo3-") {
		t.Fatalf("G should show the end of the list:\n%s", s)
	}
	d.keys("ctrl+u", "g").waitText("1–15 of 62")
}
