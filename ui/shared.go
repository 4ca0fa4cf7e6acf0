package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
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

// sharedMsg handles the shared cockpit's messages; ok is false for other messages.
func (m Model) sharedMsg(msg tea.Msg) (Model, tea.Cmd, bool) {
	switch msg := msg.(type) {
	case PresenceMsg:
		m.presence = msg
		return m, nil, true
	case WatchMsg:
		mm, cmd := m.watch(msg)
		return mm, cmd, true
	}
	return m, nil, false
}

func (m Model) watch(msg WatchMsg) (Model, tea.Cmd) {
	if msg.Run == nil || m.live.running() {
		return m, nil
	}
	if m.screen == ScreenFleet && m.focus == FocusList && m.stage == nil {
		return m.attach(msg.Run, msg.Kind)
	}
	if m.live != nil {
		m.live.leave()
	}
	m.live = newLive(msg.Run, msg.Kind)
	return m, tea.Batch(m.live.wait(), m.spin.Tick)
}

// withPresence adds to the header, as room allows, who started the rollout being
// followed (after its badge) and who is connected (before the right side), shortening
// the list of people before dropping it. Outside a shared cockpit it changes nothing.
func (m Model) withPresence(left, right string) (string, string, int) {
	room := func() int { return m.width - lipgloss.Width(left) - lipgloss.Width(right) - 1 }
	if by := m.startedByText(); by != "" && m.live.running() && len(by)+1 <= room() {
		left += " " + m.styles.Muted.Render(by)
	}
	sep := ""
	if right != "" {
		sep = " · "
	}
	for _, p := range m.presenceTexts() {
		if lipgloss.Width(p+sep) <= room() {
			right = m.styles.Muted.Render(p+sep) + right
			break
		}
	}
	return left, right, m.width
}

// presenceTexts says who is connected, longest first: "on: alice, bob", "on: alice +1",
// "2 on".
func (m Model) presenceTexts() []string {
	users := m.presence.Users
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
func (m Model) startedByText() string {
	if m.live == nil {
		return ""
	}
	if by := m.presence.StartedBy[m.live.run.ID()]; by != "" {
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
