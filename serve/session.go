package serve

import (
	"context"
	"strings"
	"time"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	bm "charm.land/wish/v2/bubbletea"

	"github.com/molt-sh/molt/ui"
)

// connKey holds a session's *conn in its SSH context, from the program handler to the
// middleware that cleans up after it.
var connKey = &struct{ name string }{"molt-conn"}

// sessionMiddleware runs each session's TUI; wish's middleware feeds it the session's
// input, output and window changes.
func (s *Server) sessionMiddleware() wish.Middleware {
	return bm.MiddlewareWithProgramHandler(s.program)
}

// program builds a session's TUI for its identity, and joins it to the hub.
func (s *Server) program(sess ssh.Session) *tea.Program {
	id, ok := s.identify(sess)
	if !ok {
		wish.Fatalln(sess, "molt: this key is no longer authorized")
		return nil
	}
	if s.cfg.UI.Readonly {
		id.Role = RoleViewer // a read-only server has viewers only
	}
	ctx, end := context.WithCancel(s.ctx)
	c := &conn{id: id, eng: sessionEngine{e: s.cfg.Engine, id: id, ctx: ctx}, ctx: ctx, end: end,
		wake: make(chan struct{}, 1), pumped: make(chan struct{})}
	c.touch()
	// The server handles its own signals: SIGTERM pauses rollouts before sessions end.
	opts := append(bm.MakeOptions(sess), tea.WithContext(ctx), tea.WithFilter(c.filter), tea.WithoutSignalHandler())
	if pty, _, ok := sess.Pty(); ok {
		opts = append(opts, tea.WithWindowSize(clampSize(pty.Window.Width, pty.Window.Height)))
	}
	c.p = tea.NewProgram(ui.New(s.deps(c)), opts...)
	sess.Context().SetValue(connKey, c)
	s.hub.join(c)
	if s.cfg.IdleTimeout > 0 {
		go c.watchIdle(s.cfg.IdleTimeout)
	}
	s.log.Info("session started", "user", id.User, "key", id.Fingerprint, "role", id.Role, "remote", id.Remote.String())
	return c.p
}

// deps is the session's UI: the shared template, bound to the session's lifetime and
// identity. Viewers get no engine at all, so that nothing they press can reach it.
func (s *Server) deps(c *conn) ui.Deps {
	d := s.cfg.UI
	d.Context = c.ctx
	d.Operator = c.id.String()
	d.Shared = true
	d.Readonly = c.id.Role != RoleOperator
	d.Engine = nil
	if !d.Readonly {
		d.Engine = c.eng
	}
	return d
}

// identify finds the session's key in the authorized keys again: the key the handshake
// settled on, as the file says now.
func (s *Server) identify(sess ssh.Session) (Identity, bool) {
	key := sess.PublicKey()
	if key == nil {
		return Identity{}, false
	}
	ak, ok := s.keys.lookup(key)
	if !ok {
		return Identity{}, false
	}
	return Identity{User: printableName(sess.User()), KeyComment: ak.Comment, Fingerprint: ak.Fingerprint(), Role: ak.Role,
		Remote: sess.RemoteAddr(), Local: sess.LocalAddr()}, true
}

// maxNameRunes bounds a user name as sessions show it and the journal records it.
const maxNameRunes = 64

// printableName is an SSH user name as molt shows and journals it. The client chooses
// the name, and every session shows who is connected (as does the journal, later, in
// molt's commands): control characters, escape sequences among them, become "?" so
// that a name cannot draw on other people's terminals, and a long name is cut.
func printableName(name string) string {
	var b strings.Builder
	n := 0
	for _, r := range name {
		if n == maxNameRunes {
			b.WriteString("…")
			break
		}
		if !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	if b.Len() == 0 {
		return "?"
	}
	return b.String()
}

// filter notes the person's input for the idle timeout, and keeps a remote client from
// suspending the server's program (as wish's own filter does).
// Window changes are bounded as the session's first size is.
func (c *conn) filter(_ tea.Model, msg tea.Msg) tea.Msg {
	switch m := msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		c.touch()
	case tea.WindowSizeMsg:
		c.touch()
		m.Width, m.Height = clampSize(m.Width, m.Height)
		return m
	case tea.SuspendMsg:
		return tea.ResumeMsg{}
	}
	return msg
}

// maxWidth and maxHeight bound a session's screen. The client chooses its size, and
// the UI draws and keeps every cell of it: unbounded, one key's 65535x65535 terminal
// would take the server's memory, and the rollouts running in it, down. A larger
// terminal shows the UI in its top left corner.
const maxWidth, maxHeight = 500, 250

// clampSize bounds a terminal size to what the server draws.
func clampSize(w, h int) (int, int) { return min(w, maxWidth), min(h, maxHeight) }

// trackMiddleware leaves the hub when the session's TUI has ended, and says why when
// the idle timeout ended it.
func (s *Server) trackMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		next(sess)
		c, ok := sess.Context().Value(connKey).(*conn)
		if !ok {
			return
		}
		s.hub.leave(c)
		switch {
		case c.idled.Load():
			wish.Printf(sess, "molt: no keystroke for %s: disconnected\r\n", s.cfg.IdleTimeout)
		case s.closing.Load():
			wish.Printf(sess, "molt: the server is stopping; rollouts it paused go on when it starts again\r\n")
		}
		s.log.Info("session ended", "user", c.id.User, "key", c.id.Fingerprint, "idle", c.idled.Load())
	}
}

// commandMiddleware refuses remote commands: molt serve offers its TUI only.
func commandMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if len(sess.Command()) > 0 || sess.Subsystem() != "" {
			wish.Fatalln(sess, "molt serve runs its cockpit only: connect without a command (ssh -t host -p port)")
			return
		}
		next(sess)
	}
}

// logMiddleware logs connections and how long they lasted, and counts them for Close.
func (s *Server) logMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s.active.Add(1)
		defer s.active.Add(-1)
		start := time.Now()
		s.log.Debug("connected", "user", sess.User(), "remote", sess.RemoteAddr().String())
		next(sess)
		s.log.Debug("disconnected", "user", sess.User(), "remote", sess.RemoteAddr().String(),
			"after", time.Since(start).Round(time.Millisecond).String())
	}
}
