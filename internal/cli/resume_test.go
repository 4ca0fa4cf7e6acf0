package cli

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
)

// built is the binary the tests that need a real process share, built once.
var built struct {
	once sync.Once
	dir  string
	err  error
	out  []byte
}

// buildMolt compiles the binary, once for all the tests that need a real process
// (TestMain removes it).
func buildMolt(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "molt-test-bin-"); built.err == nil {
			built.out, built.err = exec.Command("go", "build", "-o", filepath.Join(built.dir, "molt"), "github.com/molt-sh/molt").CombinedOutput()
		}
	})
	if built.err != nil {
		t.Fatalf("build molt: %v\n%s", built.err, built.out)
	}
	return filepath.Join(built.dir, "molt")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// TestSIGHUPThenResume runs a real `molt apply`, hangs up on it in the middle, and
// resumes the rollout it leaves.
func TestSIGHUPThenResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildMolt(t)
	env, conn := engineSim(t, dosim.Config{Provision: 150 * time.Millisecond, ActionDelay: 10 * time.Millisecond})
	cmd := exec.Command(bin, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--region", "nyc3",
		"--to", "web-1.6.0", "--surge", "1"})...)
	cmd.Env = os.Environ()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	id, sc := "", bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if id == "" {
			id = rolloutID.FindString(line)
		}
		if strings.HasPrefix(line, "wave 3/") {
			if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	for sc.Scan() {
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Fatalf("apply after SIGHUP: %v, want exit 4; stderr: %s", err, stderr.String())
	}
	if want := "interrupted; resume with `molt resume " + id + "`"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q lacks %q", stderr.String(), want)
	}
	code, out, errOut := molt(t, args(conn, []string{"resume", id, "--poll-min", "5ms"})...)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s\n%s", code, errOut, out)
	}
	on := namesOnImage(t, env.Client, "role:web")
	if on["web-1.6.0"] != 12 || sum(on) != 21 {
		t.Errorf("web servers by image after the resume: %v; want 12 on web-1.6.0 of 21", on)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
