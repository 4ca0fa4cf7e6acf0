package chaos

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// DiskMode is how this machine lets the harness fill a disk.
type DiskMode string

// The ways to fill a disk.
const (
	// DiskTmpfs mounts a small tmpfs on the state directory and fills it with a file
	// when the command reaches the point: writes fail with ENOSPC (root on Linux).
	DiskTmpfs DiskMode = "tmpfs"
	// DiskRlimit runs apply under RLIMIT_FSIZE, so that its journal cannot grow past
	// the point: writes fail with EFBIG (anywhere).
	DiskRlimit DiskMode = "rlimit"
)

// The environment of the wrapper that runs molt under a file-size limit.
const (
	envExec  = "MOLT_CHAOS_EXEC"
	envFsize = "MOLT_CHAOS_FSIZE"
)

// fillerName is the file that fills a tmpfs.
const fillerName = "chaos-filler"

// tmpfsSize is the size of the state directory's tmpfs: a few journals.
const tmpfsSize = 1 << 20

// bytesPerReplacement is about how much journal a replacement writes (its share of
// the header included); the file-size limit is a fraction of what a rollout writes.
const bytesPerReplacement = 3000

// ExecIfWrapped runs molt under a file-size limit when the harness started this
// executable as its wrapper (MOLT_CHAOS_EXEC is set), and never returns then; else it
// returns at once. Call it first thing in TestMain.
func ExecIfWrapped() {
	bin := os.Getenv(envExec)
	if bin == "" {
		return
	}
	limit, err := strconv.ParseUint(os.Getenv(envFsize), 10, 64)
	if err == nil {
		err = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit})
	}
	if err == nil {
		var env []string
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); k != envExec && k != envFsize {
				env = append(env, kv)
			}
		}
		err = syscall.Exec(bin, append([]string{bin}, os.Args[1:]...), env)
	}
	fmt.Fprintln(os.Stderr, "chaos wrapper:", err)
	os.Exit(127)
}

// setUpDisk prepares a disk-full run: a tmpfs on the first state directory, or the
// file-size limit of the first apply.
func (r *run) setUpDisk() error {
	if r.sc.Kind != KindDiskFull {
		return nil
	}
	if r.cfg.Disk == DiskRlimit {
		f := 0.0
		for _, st := range r.sc.Steps {
			if st.Do == "fill" {
				f = st.Frac
			}
		}
		r.fsize = max(512, int64(f*float64(bytesPerReplacement*r.expectedReplacements())))
		return nil
	}
	unmount, err := mountTmpfs(r.state[0], tmpfsSize)
	if err != nil {
		return fmt.Errorf("mount a tmpfs on %s: %w", r.state[0], err)
	}
	r.unmount = unmount
	return nil
}

// expectedReplacements is about how many servers the scenario's selection replaces,
// known before the plan is read.
func (r *run) expectedReplacements() int {
	if r.plans[0].count > 0 {
		return r.plans[0].count
	}
	return 10
}

// fill fills the tmpfs under the state directory; with DiskRlimit the limit set at
// the start does it.
func (r *run) fill() error {
	if r.cfg.Disk != DiskTmpfs {
		return nil
	}
	f, err := os.Create(filepath.Join(r.state[0], fillerName))
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				r.note("disk full")
				return nil
			}
			return err
		}
	}
}

// free is the operator making room again.
func (r *run) free() error {
	if r.cfg.Disk != DiskTmpfs {
		return nil
	}
	err := os.Remove(filepath.Join(r.state[0], fillerName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
