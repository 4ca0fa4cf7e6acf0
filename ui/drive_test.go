package ui

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// driver runs a model in a Bubble Tea program, as teatest does, and reads it back
// through the program's own goroutine: a probe message, caught by the program's filter
// after every message sent before it, hands the model to a function there and its
// answer back. Tests wait for what they need on the screen as the model draws it, not on
// the terminal's byte stream. (teatest/v2's NewTestModel keeps every program it made
// alive, a goroutine waiting on SIGINT for each: some 20 MB a program, which -count=50
// under the race detector turned into gigabytes.)
type driver struct {
	t     *testing.T
	p     *tea.Program
	done  chan struct{}
	final tea.Model
}

// probeMsg asks the program's filter to run read on the model and send the answer.
type probeMsg struct {
	read  func(Model) string
	reply chan string
}

// drive starts m in a w x h program; the program quits when the test ends, and lets
// the model's state go.
func drive(t *testing.T, m Model, w, h int) *driver {
	t.Helper()
	filter := func(model tea.Model, msg tea.Msg) tea.Msg {
		if p, ok := msg.(probeMsg); ok {
			p.reply <- p.read(model.(Model))
			return nil
		}
		return msg
	}
	d := &driver{t: t, done: make(chan struct{})}
	d.p = tea.NewProgram(m, tea.WithInput(bytes.NewReader(nil)), tea.WithOutput(io.Discard), tea.WithoutSignals(),
		tea.WithWindowSize(w, h), tea.WithFilter(filter))
	go func() {
		d.final, _ = d.p.Run()
		close(d.done)
	}()
	d.p.Send(tea.WindowSizeMsg{Width: w, Height: h})
	t.Cleanup(func() {
		d.p.Quit()
		d.wait()
		*m.common, *m.screens, *m.dialogs = common{}, screens{}, nil
	})
	return d
}

// wait waits for the program to end (10s at most).
func (d *driver) wait() {
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		d.p.Kill()
		<-d.done
		d.t.Errorf("the program did not end in 10s")
	}
}

// finalModel quits the program and returns its last model.
func (d *driver) finalModel() Model {
	d.p.Quit()
	d.wait()
	return d.final.(Model)
}

// typeText types s, one key a character.
func (d *driver) typeText(s string) *driver {
	for _, r := range s {
		d.p.Send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return d
}

// keys sends key presses, named as press names them.
func (d *driver) keys(ks ...string) *driver {
	for _, k := range ks {
		d.p.Send(keyMsg(k))
	}
	return d
}

// send sends any message.
func (d *driver) send(msg tea.Msg) *driver {
	d.p.Send(msg)
	return d
}

// read runs fn on the model once every message sent so far has been handled.
func (d *driver) read(fn func(Model) string) string {
	reply := make(chan string, 1)
	d.p.Send(probeMsg{read: fn, reply: reply})
	select {
	case s := <-reply:
		return s
	case <-d.done:
		d.t.Fatalf("the program ended before it answered a probe")
		return ""
	case <-time.After(10 * time.Second):
		d.t.Fatalf("the program did not answer a probe in 10s")
		return ""
	}
}

// screen is the screen as the model draws it once every message sent so far has been
// handled.
func (d *driver) screen() string { return d.read(screen) }

// waitFor waits until the screen satisfies cond (Cmds of earlier keys may still be
// running) and returns it; after 90s (the race detector on a loaded machine is slow) it fails with the last screen.
func (d *driver) waitFor(what string, cond func(string) bool) string {
	d.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		s := d.screen()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("waited 90s for %s; the screen is:\n%s", what, s)
		}
		<-tick.C
	}
}

// waitText waits until the screen shows every one of texts.
func (d *driver) waitText(texts ...string) string {
	d.t.Helper()
	return d.waitFor(strings.Join(texts, ", "), func(s string) bool {
		for _, x := range texts {
			if !strings.Contains(s, x) {
				return false
			}
		}
		return true
	})
}

// status and bar are the status line and the key bar of a screen.
func statusOf(s string) string { return lineFromEnd(s, 2) }

func barOf(s string) string { return lineFromEnd(s, 1) }

func lineFromEnd(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-n]
}

// waitUntil waits until cond holds (something a Cmd does in its own goroutine).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		<-tick.C
	}
}
