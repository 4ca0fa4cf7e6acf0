package chaos

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/molt-sh/molt/actions"
)

// damage does to the first rollout's journal what the step says: tear its last line
// (a crash mid-write), damage a line in the middle, empty the file, or lose the whole
// state directory.
func (r *run) damage(st Step, _ *command) error {
	id := r.firstRollout()
	if id == "" {
		return fmt.Errorf("no journal to %s: the first command never said its rollout", st.Do)
	}
	r.damaged = id
	path := journalPath(r.state[0], id)
	if st.Do == "lose" {
		r.note("lose the state directory %s", r.state[0])
		return os.RemoveAll(filepath.Join(r.state[0], "molt"))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	switch st.Do {
	case "zero":
		b = nil
	case "tear":
		if len(lines) < 2 {
			return fmt.Errorf("journal %s has %d lines: nothing to tear but the header", id, len(lines))
		}
		last := bytes.TrimSuffix(lines[len(lines)-1], []byte("\n"))
		b = append(bytes.Join(lines[:len(lines)-1], nil), last[:len(last)/2]...)
	case "damage":
		i := min(max(1, 1+int(st.Frac*float64(len(lines)-2))), len(lines)-2)
		if len(lines) < 3 {
			i = 0
		}
		lines[i] = []byte(`{"seq": damaged by the chaos harness` + "\n")
		b = bytes.Join(lines, nil)
	}
	r.note("%s the journal of %s (%d lines)", st.Do, id, len(lines))
	return os.WriteFile(path, b, 0o600)
}

// look is the operator looking after a journal was damaged: `molt rollouts` must say
// so (exit non-zero, naming the rollout) and `molt resume` must name it.
func (r *run) look(ctx context.Context) {
	id := r.damaged
	if id == "" {
		return
	}
	out, errOut, code := r.query(ctx, 0, "rollouts")
	if code == 0 || !strings.Contains(out+errOut, id) {
		r.violate(Violation{InvJournal, fmt.Sprintf("with the journal of %s damaged, `molt rollouts` exits %d and %s: %s",
			id, code, namesOrNot(out+errOut, id), trimmed(out+errOut))})
	}
	args, _ := r.args(Step{Do: "resume"}, "", false)
	out, errOut, code = r.query(ctx, 0, args...)
	if !strings.Contains(out+errOut, id) {
		r.violate(Violation{InvJournal, fmt.Sprintf("with the journal of %s damaged, `molt resume` exits %d without naming it: %s",
			id, code, trimmed(errOut))})
	}
}

func namesOrNot(s, id string) string {
	if strings.Contains(s, id) {
		return "names it"
	}
	return "does not name it"
}

// query runs a molt command as an operator's look (not a step), and returns its
// output and exit code.
func (r *run) query(ctx context.Context, dir int, args ...string) (string, string, int) {
	r.mu.Lock()
	n := len(r.procs)
	r.mu.Unlock()
	if r.sc.TokenFlag {
		args = append(args, "--access-token", r.sc.Token)
	}
	p, err := startProc(fmt.Sprintf("q%02d-%s", n, args[0]), r.cfg.Molt, args, r.env(dir), r.dir)
	if err != nil {
		return "", err.Error(), -1
	}
	r.track(p)
	wctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	code, ok := p.exited(wctx)
	if !ok {
		r.violate(Violation{InvHang, fmt.Sprintf("molt %s ran longer than %s", strings.Join(args, " "), commandTimeout)})
		p.stop()
	}
	lines, _ := p.snapshot()
	return strings.Join(lines, "\n"), p.stderr(), code
}

// journalFiles reads every journal in the state directories in use, and what `molt
// rollouts` makes of them.
func (r *run) journalFiles(ctx context.Context) []JournalFile {
	var out []JournalFile
	for _, dir := range r.dirsUsed() {
		paths, _ := filepath.Glob(filepath.Join(r.state[dir], "molt", "rollouts", "*.jsonl"))
		if len(paths) == 0 {
			continue
		}
		jsonOut, _, _ := r.query(ctx, dir, "rollouts", "-o", "json")
		text, textErr, _ := r.query(ctx, dir, "rollouts")
		for _, p := range paths {
			id := strings.TrimSuffix(filepath.Base(p), ".jsonl")
			rel, _ := filepath.Rel(r.dir, p)
			f := JournalFile{Path: rel, Listed: strings.Contains(jsonOut, `"`+id+`"`), Named: strings.Contains(text+textErr, id)}
			if sum, err := actions.Summarize(p); err != nil {
				f.Err = err.Error()
			} else {
				f.State, f.Kept = string(sum.State), sum.Kept
			}
			out = append(out, f)
		}
	}
	return out
}

// dirsUsed are the state directories some command used, in order.
func (r *run) dirsUsed() []int {
	used := []int{0}
	for _, c := range r.commands() {
		if !slices.Contains(used, c.step.Dir) {
			used = append(used, c.step.Dir)
		}
	}
	slices.Sort(used)
	return used
}

// checkToken looks for the token in every file the run left but the simulator's own:
// outputs, journals, state directories.
func (r *run) checkToken() []Violation {
	var vs []Violation
	token := []byte(r.sc.Token)
	_ = filepath.WalkDir(r.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || simFile(d.Name()) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, token) {
			rel, _ := filepath.Rel(r.dir, path)
			vs = append(vs, Violation{InvToken, "the token is written in " + rel})
		}
		return nil
	})
	return vs
}

// simFile reports whether a file is the simulator's: its output, log and world (which
// holds the token it serves), or the disk filler.
func simFile(name string) bool {
	return strings.HasPrefix(name, "sim.") || name == "world.json" || strings.HasPrefix(name, ".dosim-state") || name == fillerName
}
