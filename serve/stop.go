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
)

// ResumeFile is the file, in the journal directory, that lists the rollouts the server
// paused when it stopped: it continues them when it starts again.
const ResumeFile = "serve-resume"

// Stop refuses new rollouts and pauses the running ones: each stops starting anything
// new and brings what is in flight to a safe point. After grace (or once every run has
// stopped) the runs are interrupted, which journals them as resumable. The rollouts that
// were running are listed in ResumeFile for the next start. Stop waits for the runs to
// return until ctx ends.
func (e *Engine) Stop(ctx context.Context, grace time.Duration) error {
	e.mu.Lock()
	e.stopping = true
	runs := append([]*sharedRun(nil), e.runs...)
	e.mu.Unlock()
	ids := e.pauseAll(runs)
	werr := writeResumeList(e.resumeFile(), ids)
	e.awaitRuns(runs, grace)
	e.cancel()
	stopped := make(chan struct{})
	go func() { e.wg.Wait(); close(stopped) }()
	select {
	case <-stopped:
		return werr
	case <-ctx.Done():
		return errors.Join(werr, fmt.Errorf("rollouts still stopping: %s (their journals let molt resume them)", runIDs(e.running())))
	}
}

// pauseAll pauses every run and returns the rollouts that were under way (not paused or
// waiting at a checkpoint for a person).
func (e *Engine) pauseAll(runs []*sharedRun) []string {
	op := serverOperator()
	var ids []string
	for _, r := range runs {
		switch r.x.Status().State {
		case actions.StateRunning, actions.StateRollingBack:
			ids = append(ids, r.x.ID())
		}
		if err := r.x.Note(op, "pause: molt serve is stopping"); err != nil {
			e.opt.Log.Warn("control not journaled", "rollout", r.x.ID(), "err", err)
		}
		r.x.Pause()
		e.opt.Log.Info("paused for the stop", "rollout", r.x.ID())
	}
	return ids
}

// awaitRuns waits until every run has returned or grace has passed.
func (e *Engine) awaitRuns(runs []*sharedRun, grace time.Duration) {
	t := time.NewTimer(grace)
	defer t.Stop()
	for _, r := range runs {
		select {
		case <-r.done:
		case <-t.C:
			return
		}
	}
}

func runIDs(runs []*sharedRun) string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.x.ID()
	}
	return strings.Join(ids, ", ")
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
func (e *Engine) resumeFile() string { return filepath.Join(e.journalDir(), ResumeFile) }

// ResumeStopped continues the rollouts a previous Stop listed, and removes the list. A
// rollout that someone finished or resumed meanwhile (molt resume) is skipped with a log
// line.
func (e *Engine) ResumeStopped() (resumed []string, err error) {
	resumeFile := e.resumeFile()
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
	for _, id := range strings.Fields(string(data)) {
		if !actions.ValidRolloutID(id) {
			e.opt.Log.Warn("not a rollout ID in the list to continue", "id", id)
			continue
		}
		if _, err := e.resume(id, serverOperator(), e.starterOf(id)); err != nil {
			e.opt.Log.Warn("could not continue a rollout paused by the last stop", "rollout", id, "err", err)
			continue
		}
		resumed = append(resumed, id)
	}
	return resumed, nil
}

// starterOf names the user who started rollout id, from its journal's header.
func (e *Engine) starterOf(id string) string {
	recs, err := actions.ReadJournal(actions.JournalPath(e.journalDir(), id))
	if err != nil || len(recs) == 0 || recs[0].Header == nil {
		return "unknown"
	}
	return recs[0].Header.Operator.User
}
