package chaos_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/molt-sh/molt/internal/chaos"
)

func TestMain(m *testing.M) {
	chaos.ExecIfWrapped()
	os.Exit(m.Run())
}

// TestChaos runs the chaos suite over the seeds MOLT_CHAOS_SEEDS names ("1-200",
// "3,17,40"); without it, it skips, so that `make test` does not run it. Violations in
// scenarios of the kinds MOLT_CHAOS_OPEN lists (known and open, see FINDINGS.md) are
// reported without failing. MOLT_CHAOS_BIN tests a molt binary built elsewhere;
// MOLT_CHAOS_KEEP=1 keeps the directories of runs that passed; MOLT_CHAOS_DISK=rlimit
// fills disks with a file-size limit even where a tmpfs could be mounted.
func TestChaos(t *testing.T) {
	seeds, err := parseSeeds(os.Getenv("MOLT_CHAOS_SEEDS"))
	if err != nil {
		t.Fatal(err)
	}
	if len(seeds) == 0 {
		t.Skip("the chaos suite runs with MOLT_CHAOS_SEEDS set: make chaos N=200, make chaos SEED=17, make chaos-ci")
	}
	cfg := setUp(t)
	defer func() { // the binary, and the directory when no run was kept in it
		if cfg.Molt == filepath.Join(cfg.Dir, "molt") {
			os.Remove(cfg.Molt)
		}
		os.Remove(cfg.Dir)
	}()
	open := strings.Split(os.Getenv("MOLT_CHAOS_OPEN"), ",")
	var mu sync.Mutex
	total := chaos.Figures{}
	var failed, known []string
	t.Run("seed", func(t *testing.T) {
		for _, seed := range seeds {
			t.Run(strconv.FormatInt(seed, 10), func(t *testing.T) {
				t.Parallel()
				res := chaos.Run(context.Background(), cfg, seed)
				isOpen := slices.Contains(open, string(res.Scenario.Kind))
				report(t, res, isOpen)
				mu.Lock()
				defer mu.Unlock()
				total.Add(res.Figures)
				switch {
				case len(res.Violations) > 0 && isOpen:
					known = append(known, fmt.Sprint(seed))
				case len(res.Violations) > 0 || res.Err != nil:
					failed = append(failed, fmt.Sprint(seed))
				}
			})
		}
	})
	t.Logf("chaos figures over %d seeds:\n%s", len(seeds), total)
	if len(known) > 0 {
		t.Logf("seeds with violations of open kinds (%s): %s", os.Getenv("MOLT_CHAOS_OPEN"), strings.Join(known, ","))
	}
	if len(failed) > 0 {
		t.Logf("failing seeds: %s\nreplay them: make chaos SEEDS=%s", strings.Join(failed, ","), strings.Join(failed, ","))
	}
}

// report says what a run found; violations fail the test unless its kind is open.
func report(t *testing.T, res chaos.Result, isOpen bool) {
	t.Helper()
	seed := res.Scenario.Seed
	replay := fmt.Sprintf("replay: make chaos SEED=%d  (or: MOLT_CHAOS_SEEDS=%d go test ./internal/chaos -run 'TestChaos/seed/%d$' -count=1 -v)", seed, seed, seed)
	if res.Err != nil || len(res.Violations) > 0 {
		t.Logf("%s\n%s\nrun log:\n  %s", res.Scenario, replay, strings.Join(res.Log, "\n  "))
		t.Logf("files kept in %s", res.Dir)
	} else if os.Getenv("MOLT_CHAOS_KEEP") != "1" {
		os.RemoveAll(res.Dir)
	}
	if res.Err != nil {
		t.Errorf("seed %d (%s): the harness could not run it: %v", seed, res.Scenario.Kind, res.Err)
	}
	for _, v := range res.Violations {
		if isOpen {
			t.Logf("seed %d (%s): open: %s", seed, res.Scenario.Kind, v)
		} else {
			t.Errorf("seed %d (%s): %s", seed, res.Scenario.Kind, v)
		}
	}
	if res.Skipped != "" {
		t.Logf("seed %d (%s): skipped: %s", seed, res.Scenario.Kind, res.Skipped)
	}
	if res.Err == nil && len(res.Violations) == 0 && res.Skipped == "" {
		f := res.Figures
		for _, l := range res.Log {
			if strings.Contains(l, " exited 1 ") || strings.Contains(l, " exited 2 ") {
				t.Logf("seed %d (%s): %s", seed, res.Scenario.Kind, l)
			}
		}
		t.Logf("seed %d (%s): ok: %d commands, %d kills, %d signals; healthy in service at worst %+d against the start (%s)",
			seed, res.Scenario.Kind, f.Commands, f.Kills, signalCount(f), f.Margin, f.MarginUnit)
	}
}

// setUp builds molt once (or takes MOLT_CHAOS_BIN), and finds out what this machine
// and this build allow.
func setUp(t *testing.T) chaos.Config {
	t.Helper()
	dir, err := os.MkdirTemp("", "molt-chaos-")
	if err != nil {
		t.Fatal(err)
	}
	bin := os.Getenv("MOLT_CHAOS_BIN")
	if bin == "" {
		bin = filepath.Join(dir, "molt")
		start := time.Now()
		out, err := exec.Command("go", "build", "-o", bin, "github.com/molt-sh/molt").CombinedOutput()
		if err != nil {
			t.Fatalf("build molt: %v\n%s", err, out)
		}
		t.Logf("built molt in %s", time.Since(start).Round(time.Millisecond))
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := chaos.Config{Molt: bin, Dir: dir, Disk: chaos.DetectDisk(dir), Wrapper: self, Has: commands(t, bin)}
	if os.Getenv("MOLT_CHAOS_DISK") == string(chaos.DiskRlimit) {
		cfg.Disk = chaos.DiskRlimit // as on a machine where the harness may not mount
	}
	if os.Getenv("MOLT_CHAOS_VERBOSE") == "1" {
		cfg.Logf = t.Logf
	}
	t.Logf("runs in %s; disk full by %s; recover: %v, unlock: %v, --settle: %v, --drain: %v", dir, cfg.Disk, cfg.Has["recover"], cfg.Has["unlock"], cfg.Has["settle"], cfg.Has["drain"])
	return cfg
}

// commands lists the commands `molt --help` shows, "settle" and "drain" when apply takes
// those flags, and "demo-extras" when `molt sim` does.
func commands(t *testing.T, bin string) map[string]bool {
	t.Helper()
	out, err := exec.Command(bin, "--help").Output()
	if err != nil {
		t.Fatalf("molt --help: %v", err)
	}
	has := map[string]bool{}
	if apply, err := exec.Command(bin, "apply", "--help").Output(); err == nil {
		for _, flag := range []string{"settle", "drain"} {
			has[flag] = strings.Contains(string(apply), "--"+flag+" ")
		}
	}
	if sim, err := exec.Command(bin, "sim", "--help").Output(); err == nil {
		has["demo-extras"] = strings.Contains(string(sim), "--demo-extras")
	}
	_, list, _ := strings.Cut(string(out), "Available Commands:")
	list, _, _ = strings.Cut(list, "\n\n")
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			has[f[0]] = true
		}
	}
	return has
}

// parseSeeds reads "1-200", "17" or "3,17,40-42".
func parseSeeds(s string) ([]int64, error) {
	var out []int64
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(lo, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("MOLT_CHAOS_SEEDS: %q is not a seed or a range of seeds", part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(hi, 10, 64); err != nil || b < a {
				return nil, fmt.Errorf("MOLT_CHAOS_SEEDS: %q is not a range of seeds", part)
			}
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
	}
	return out, nil
}

func TestParseSeeds(t *testing.T) {
	got, err := parseSeeds("3, 17,40-42")
	if err != nil || !slices.Equal(got, []int64{3, 17, 40, 41, 42}) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"x", "5-2", "1-y"} {
		if _, err := parseSeeds(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func signalCount(f chaos.Figures) int {
	n := 0
	for _, c := range f.Signals {
		n += c
	}
	return n
}
