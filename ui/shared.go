package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
)

// The messages of a shared cockpit (molt serve), where one engine in the server runs the
// rollouts and every SSH session has its own Model: the server sends them with
// Program.Send.

// PresenceMsg says who is connected to the cockpit and who started each running
// rollout; the header shows both.
type PresenceMsg struct {
	// Users are the people connected, one entry per session, this one included.
	Users []string
	// StartedBy names who started each running rollout, by rollout ID.
	StartedBy map[string]string
}

// WatchMsg hands the UI a run that started elsewhere (in another session, or when the
// server started). A UI already following a running rollout keeps it; one showing the
// fleet list switches to the live view; any other screen stays as it is, with the run
// in the header's badge and l to show it.
type WatchMsg struct {
	Run Run
	// Kind is rollout, resume or rollback.
	Kind string
}

// withPresence adds to the header, as room allows, who started the rollout being
// followed (after its badge) and who is connected (before the right side), shortening
// the list of people before dropping it. Outside a shared cockpit it changes nothing.
func withPresence(c *common, left, right string) (string, string, int) {
	room := func() int { return c.width - lipgloss.Width(left) - lipgloss.Width(right) - 1 }
	if by := c.startedByText(); by != "" && c.running() && len(by)+1 <= room() {
		left += " " + c.styles.Muted.Render(by)
	}
	sep := ""
	if right != "" {
		sep = " · "
	}
	for _, p := range c.presenceTexts() {
		if lipgloss.Width(p+sep) <= room() {
			right = c.styles.Muted.Render(p+sep) + right
			break
		}
	}
	return left, right, c.width
}

// presenceTexts says who is connected, longest first: "on: alice, bob", "on: alice +1",
// "2 on".
func (c *common) presenceTexts() []string {
	users := c.presence.Users
	if len(users) == 0 {
		return nil
	}
	out := []string{"on: " + strings.Join(users, ", ")}
	for n := len(users) - 1; n >= 1; n-- {
		out = append(out, fmt.Sprintf("on: %s +%d", strings.Join(users[:n], ", "), len(users)-n))
	}
	return append(out, fmt.Sprintf("%d on", len(users)))
}

// startedByText says who started the rollout being followed: "by alice".
func (c *common) startedByText() string {
	if c.live == nil {
		return ""
	}
	if by := c.presence.StartedBy[c.live.run.ID()]; by != "" {
		return "by " + by
	}
	return ""
}

// prefixed is s after p, or nothing when s is empty.
func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}
