package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/molt-sh/molt/actions"
	"github.com/spf13/cobra"
)

// prompter asks the operator questions on the command's streams. One per command: its
// reader buffers what was typed ahead, so a second question reads the next line.
type prompter struct {
	out io.Writer
	in  *bufio.Reader
}

func newPrompter(cmd *cobra.Command) *prompter {
	return &prompter{out: cmd.OutOrStdout(), in: bufio.NewReader(cmd.InOrStdin())}
}

// line shows question and reads one answer, trimmed; io.EOF when nobody answers.
func (p *prompter) line(question string) (string, error) {
	fmt.Fprint(p.out, question)
	line, err := p.in.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// confirm shows what will happen and asks the operator to type word.
func (p *prompter) confirm(shown, word, what string) error {
	fmt.Fprint(p.out, shown)
	answer, err := p.line(fmt.Sprintf("\nTo %s, type %q: ", what, word))
	if err != nil {
		return &exitError{code: ExitError, err: errors.New("not confirmed: no answer")}
	}
	if answer != word {
		return &exitError{code: ExitError, err: fmt.Errorf("not confirmed: %q is not %q; nothing was changed", answer, word)}
	}
	return nil
}

// canAsk reports whether an operator can answer prompts: stdin and stdout are a
// terminal (or the hooks say to treat them as one).
func (a *app) canAsk(cmd *cobra.Command) bool {
	return a.hooks.Terminal || (isTerminal(cmd.InOrStdin()) && isTerminal(cmd.OutOrStdout()))
}

// driveOptions say how a run is shown and steered.
type driveOptions struct {
	json        bool // JSON lines instead of text lines
	interactive bool // ask the operator at checkpoints and failure pauses
	verbose     bool // show API calls and health probes too
	// after, if set, is told every event and returns more to show after it (cost.go).
	after func(actions.Event) []actions.Event
}

// drive runs an executor to its end, printing one line per event, and turns the outcome
// into an exit code: 0 done, 3 rolled back, 4 interrupted (resumable).
func drive(ctx context.Context, cmd *cobra.Command, ask *prompter, x *actions.Executor, o driveOptions) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	events, leave := x.Subscribe() // read to the last event, whatever ends the run
	defer leave()
	var wg sync.WaitGroup
	wg.Go(func() {
		p := &printer{w: cmd.OutOrStdout(), plan: x.Plan(), json: o.json, verbose: o.verbose}
		for ev := range events {
			p.print(ev)
			if o.after != nil {
				for _, more := range o.after(ev) {
					p.print(more)
				}
			}
			steer(ctx, cancel, ask, x, ev, o.interactive)
		}
	})
	err := x.Run(ctx)
	wg.Wait()
	cause := context.Cause(ctx)
	if errors.Is(cause, errStopAtCheckpoint) && x.Status().State == actions.StatePaused {
		cause = errStopPaused
	}
	return outcome(x.ID(), err, cause)
}

// errStopAtCheckpoint ends a run that reached a manual checkpoint with nobody to answer;
// errStopPaused one that paused (after failures, or for a droplet left alone).
var (
	errStopAtCheckpoint = errors.New("stopped at a checkpoint")
	errStopPaused       = errors.New("paused")
)

// steerer is what steer and answer drive: the executor's controls.
type steerer interface {
	Continue() error
	Abort(rollback bool)
}

// steer answers the executor's questions: at a manual checkpoint or a pause after
// failures, an operator on a terminal decides; without one the run stops, resumable.
func steer(ctx context.Context, cancel context.CancelCauseFunc, ask *prompter, x steerer, ev actions.Event, interactive bool) {
	question := question(ev)
	if question == "" {
		return
	}
	if !interactive {
		cancel(errStopAtCheckpoint)
		return
	}
	go func() {
		if !ask.answer(ctx, x, question) {
			cancel(errStopAtCheckpoint) // nobody is left to answer: stop, resumable
		}
	}()
}

// question is what the operator is asked after ev, or "" when ev asks nothing.
func question(ev actions.Event) string {
	switch ev := ev.(type) {
	case actions.CheckpointReached:
		if ev.Mode == actions.PauseManual {
			return fmt.Sprintf("Checkpoint after wave %d. Type continue, abort or rollback: ", ev.Wave+1)
		}
	case actions.StateChanged:
		if ev.State == actions.StatePaused {
			return "Paused. Type continue, abort or rollback: "
		}
	}
	return ""
}

// answer asks question until the operator types continue, abort or rollback, and
// steers x accordingly. It returns false when the input ended with no answer: nobody
// is there to ask any more.
func (p *prompter) answer(ctx context.Context, x steerer, question string) bool {
	for ctx.Err() == nil {
		line, err := p.line(question)
		switch line {
		case "continue", "c":
			if cerr := x.Continue(); cerr != nil {
				fmt.Fprintln(p.out, cerr)
			}
			return true
		case "abort":
			x.Abort(false)
			return true
		case "rollback":
			x.Abort(true)
			return true
		}
		if err != nil {
			fmt.Fprintln(p.out)
			return false
		}
	}
	return true
}

// outcome maps how a run ended to an exit code and one sentence.
func outcome(id string, err, cause error) error {
	resume := fmt.Sprintf("resume with `molt resume %s`", id)
	var locked *actions.LockedError
	var other *actions.AccountMismatchError
	var unknown *actions.UnrecognisedError
	var driven *actions.DrivenError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &driven):
		return &exitError{code: ExitLocked, err: driven}
	case errors.As(err, &other), errors.As(err, &unknown), errors.Is(err, actions.ErrNothingToResume):
		return &exitError{code: ExitError, err: err}
	case errors.As(err, &locked):
		return &exitError{code: ExitLocked, err: fmt.Errorf("rollout %s did not start, nothing was changed: %v", id, err)}
	case errors.Is(err, actions.ErrRolledBack):
		return &exitError{code: ExitRolledBack, err: fmt.Errorf("rollout %s failed and was rolled back (%w)", id, err)}
	case errors.Is(err, actions.ErrAborted):
		return &exitError{code: ExitError, err: fmt.Errorf("rollout %s was aborted; replacements in service were kept", id)}
	case errors.Is(cause, errStopPaused):
		return &exitError{code: ExitInterrupted, err: fmt.Errorf("paused with nobody to answer (the reason is above); continue with `molt resume %s`", id)}
	case errors.Is(cause, errStopAtCheckpoint):
		return &exitError{code: ExitInterrupted, err: fmt.Errorf("stopped at a checkpoint with nobody to answer; continue with `molt resume %s`", id)}
	case errors.Is(err, actions.ErrInterrupted):
		return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted; %s", resume)}
	}
	return &exitError{code: ExitInterrupted, err: fmt.Errorf("rollout %s stopped: %v; %s", id, err, resume)}
}

// engineError turns an error opening a rollout into an exit: another process driving it
// is exit 5 (locked), naming it.
func engineError(err error) error {
	var driven *actions.DrivenError
	if errors.As(err, &driven) {
		return &exitError{code: ExitLocked, err: driven}
	}
	return err
}

// isTerminal reports whether v (a stream) is a character device, such as a terminal.
func isTerminal(v any) bool {
	if w, ok := v.(io.Writer); ok {
		v = rawWriter(w)
	}
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
