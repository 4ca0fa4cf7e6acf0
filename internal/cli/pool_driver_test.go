package cli

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// While `molt apply --pool` drives a pool rollout, a second `molt resume` or `molt
// rollback` of it exits 5 naming the driver's process (the journal's lock); once that
// process is killed (kill -9: its lease stays on the members, but its process is gone),
// `molt resume` takes the rollout over at once and finishes it.
func TestPoolSecondDriverExitsLockedThenKilledDriverResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildMolt(t)
	const minute = 25 * time.Millisecond // a member's replacement takes 525ms: the apply runs while the test looks
	env, conn := engineSim(t, dosim.Config{DemoExtras: true, PoolMinute: minute, RatePerMinute: 1 << 20, RatePerHour: 1 << 30})
	cmd := exec.Command(bin, args(conn, []string{"apply", "--yes", "--poll-min", "5ms"}, poolFlagsOf(env, "api-1.1.0", minute))...)
	cmd.Env = os.Environ()
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	id, sc := "", bufio.NewScanner(stdout)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "pool api: ") {
		if id == "" {
			id = rolloutID.FindString(sc.Text())
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if id == "" {
		t.Fatalf("apply printed no rollout ID: %s", stderr.String())
	}
	for _, second := range [][]string{{"resume", id}, {"rollback", id, "--yes"}} {
		code, _, errOut := poolMolt(t, args(conn, second, []string{"--poll-min", "5ms"})...)
		if code != ExitLocked || !strings.Contains(errOut, "is driven by") || !strings.Contains(errOut, fmt.Sprintf("pid %d", cmd.Process.Pid)) {
			t.Errorf("%s while apply drives the pool rollout: exit %d, %q; want 5 naming pid %d", second[0], code, errOut, cmd.Process.Pid)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	code, out, errOut := poolMolt(t, args(conn, []string{"resume", id, "--poll-min", "5ms"})...)
	if code != 0 || !strings.Contains(out, "done: 4 replaced") {
		t.Fatalf("resume after the driver was killed: exit %d: %s\n%s", code, errOut, out)
	}
	if got := apiImages(t, env.Client); got["api-1.1.0"] != 4 || len(got) != 1 {
		t.Errorf("after the resume the pool runs %v", got)
	}
}

// poolFlagsOf are poolFlags for pools whose minute lasts minute.
func poolFlagsOf(env *dosimtest.Env, to string, minute time.Duration) []string {
	f := poolFlags(env, to)
	for i := range f {
		if f[i] == "--pool-minute" {
			f[i+1] = minute.String()
		}
	}
	return f
}
