package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/internal/engine"
)

// ResumeFile is the file, in the journal directory, that lists the rollouts the server
// paused when it stopped: it continues them when it starts again.
const ResumeFile = "serve-resume"

// Stop refuses new rollouts and pauses the running ones at a safe point (see
// engine.Stop), and lists the rollouts that were under way in ResumeFile for the next
// start. It waits for the runs to return until ctx ends.
func Stop(ctx context.Context, e *engine.Engine, grace time.Duration) error {
	underWay, err := e.Stop(ctx, grace, serverOperator(), "molt serve is stopping")
	return errors.Join(writeResumeList(resumeFile(e), underWay), err)
}

// writeResumeList records ids in path (or removes path when there are none).
func writeResumeList(path string, ids []string) error {
	if len(ids) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("clear the list of rollouts to continue: %w", err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("record the rollouts to continue: %w", err)
	}
	if err := os.WriteFile(path, []byte(strings.Join(ids, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("record the rollouts to continue: %w", err)
	}
	return nil
}

// resumeFile is the list of rollouts to continue at the next start.
func resumeFile(e *engine.Engine) string { return filepath.Join(e.JournalDir(), ResumeFile) }

// ResumeStopped continues the rollouts a previous Stop listed, and removes the list. A
// rollout that someone finished or resumed meanwhile (molt resume) is skipped with a log
// line. One of another account than the server's token reaches is refused, in a log
// line naming both, and stays on the list for a start with the right token.
func ResumeStopped(e *engine.Engine) (resumed []string, err error) {
	log := e.Options().Log
	resumeFile := resumeFile(e)
	data, err := os.ReadFile(resumeFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the rollouts to continue: %w", err)
	}
	if err := os.Remove(resumeFile); err != nil {
		return nil, fmt.Errorf("clear the list of rollouts to continue: %w", err)
	}
	var elsewhere []string
	for _, id := range strings.Fields(string(data)) {
		if !actions.ValidRolloutID(id) {
			log.Warn("not a rollout ID in the list to continue", "id", id)
			continue
		}
		op := serverOperator()
		_, err := e.Resume(id, &op, starterOf(e, id))
		var other *actions.AccountMismatchError
		switch {
		case errors.As(err, &other):
			log.Error("not continuing a rollout of another account", "rollout", id, "err", err)
			elsewhere = append(elsewhere, id)
		case err != nil:
			log.Warn("could not continue a rollout paused by the last stop", "rollout", id, "err", err)
		default:
			resumed = append(resumed, id)
		}
	}
	return resumed, writeResumeList(resumeFile, elsewhere)
}

// starterOf names the user who started rollout id, from its journal's header.
func starterOf(e *engine.Engine, id string) string {
	recs, err := actions.ReadJournal(actions.JournalPath(e.JournalDir(), id))
	if err != nil || len(recs) == 0 || recs[0].Header == nil {
		return "unknown"
	}
	return recs[0].Header.Operator.User
}
