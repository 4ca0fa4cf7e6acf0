package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// engineSim starts a simulator on a TCP port and points molt's flags at it; journals go
// to a fresh state directory.
func engineSim(t *testing.T, cfg dosim.Config) (*dosimtest.Env, []string) {
	t.Helper()
	noCredentials(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	env := dosimtest.Start(t, cfg)
	return env, []string{"--api-url", env.URL, "--access-token", env.Token}
}

// fastFlags make a rollout against the simulator quick.
func fastFlags(env *dosimtest.Env) []string {
	return []string{"--health", fmt.Sprintf("http:%d/healthz", env.Sim.HealthPort()), "--health-interval", "5ms",
		"--healthy-threshold", "1", "--health-timeout", "300ms", "--active-timeout", "2s", "--poll-min", "5ms", "--ssh-key", "1234", "--drain", "2ms"}
}

func args(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// namesOnImage counts the droplets with the tag by image name.
func namesOnImage(t *testing.T, c *godo.Client, tag string) map[string]int {
	t.Helper()
	ds, _, err := c.Droplets.ListByTag(context.Background(), tag, &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, d := range ds {
		out[d.Image.Name]++
	}
	return out
}

func TestPlanCommand(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	code, out, errOut := molt(t, args(conn, []string{"plan", "--tag", "role:web", "--to", "web-1.6.0", "--surge", "4", "--canary", "1", "-o", "json"})...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p actions.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out)
	}
	if len(p.Waves) != 6 || !p.Waves[0].Canary || len(p.Skipped) != 2 || p.Estimate.APICalls == 0 {
		t.Errorf("plan: %d waves (canary %v), %d skipped, %d calls", len(p.Waves), p.Waves[0].Canary, len(p.Skipped), p.Estimate.APICalls)
	}
	if env.Sim.Stats().ByMethod["POST"] != 0 {
		t.Error("molt plan changed something")
	}
	code, _, errOut = molt(t, args(conn, []string{"plan", "--tag", "role:edge", "--to", "edge-1.2.0"})...)
	if code != 1 || !strings.Contains(errOut, "not available in sfo3") {
		t.Errorf("a plan onto an image missing from sfo3: exit %d, %q", code, errOut)
	}
}

func TestApplyNeedsYesWithoutATerminal(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	before := env.Sim.Stats().Requests
	code, _, errOut := molt(t, args(conn, []string{"apply", "--tag", "role:web", "--to", "web-1.6.0"})...)
	if code != 2 || !strings.Contains(errOut, "--yes") {
		t.Errorf("exit %d, %q; want 2 and a word about --yes", code, errOut)
	}
	if env.Sim.Stats().Requests != before {
		t.Error("molt talked to the API before refusing")
	}
}

func TestApplyRefusesALockedSelection(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	ds, _, _ := env.Client.Droplets.ListByTag(context.Background(), "role:web", nil)
	lock := "molt:20250101-120000-abcd"
	if _, err := env.Client.Tags.TagResources(context.Background(), lock, &godo.TagResourcesRequest{
		Resources: []godo.Resource{{ID: strconv.Itoa(ds[0].ID), Type: godo.DropletResourceType}}}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := molt(t, args(conn, []string{"apply", "--yes", "--tag", "role:web", "--to", "web-1.6.0"})...)
	if code != 5 || !strings.Contains(errOut, "20250101-120000-abcd") {
		t.Errorf("exit %d, %q; want 5 naming the other rollout", code, errOut)
	}
}

var rolloutID = regexp.MustCompile(`[0-9]{8}-[0-9]{6}-[0-9a-f]{4}`)

func TestApplyListRollBack(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	before := namesOnImage(t, env.Client, "role:web")
	code, out, errOut := molt(t, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--region", "nyc3",
		"--to", "web-1.6.0", "--surge", "3", "--retire", "keep", "-o", "json"})...)
	if code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	kinds := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev struct{ Type string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		kinds[ev.Type]++
	}
	if kinds["rollout_started"] != 1 || kinds["wave_started"] != 4 || kinds["done"] != 1 || kinds["api_call"] == 0 {
		t.Errorf("event kinds: %v", kinds)
	}
	id := rolloutID.FindString(out)
	code, out, _ = molt(t, "rollouts")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "done, keeping 10 old until finalised") {
		t.Errorf("rollouts (exit %d):\n%s", code, out)
	}
	code, out, errOut = molt(t, args(conn, []string{"rollback", id, "--yes", "--poll-min", "5ms"})...)
	if code != 0 || !strings.Contains(out, "rolled back") {
		t.Fatalf("rollback: exit %d: %s\n%s", code, errOut, out)
	}
	if after := namesOnImage(t, env.Client, "role:web"); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("after the rollback the web servers run %v, before %v", after, before)
	}
}

func TestApplyBrokenImageRollsBackWithExit3(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	before := namesOnImage(t, env.Client, "role:web")
	code, _, errOut := molt(t, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--to", "web-1.6.0-broken", "--surge", "2", "--allow-downgrade"})...)
	if code != 3 || !strings.Contains(errOut, "rolled back") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if after := namesOnImage(t, env.Client, "role:web"); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the web servers run %v, before %v", after, before)
	}
}

func TestCheckpointWithoutATerminalStopsThenResumes(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	code, out, errOut := molt(t, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--region", "fra1",
		"--to", "web-1.6.0", "--canary", "1", "--surge", "4"})...)
	if code != 4 || !strings.Contains(errOut, "checkpoint") || !strings.Contains(errOut, "molt resume") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	id := rolloutID.FindString(out)
	code, out, _ = molt(t, "rollouts", "-o", "json")
	if code != 0 || !strings.Contains(out, `"state": "checkpoint"`) {
		t.Errorf("rollouts -o json (exit %d):\n%s", code, out)
	}
	code, out, errOut = molt(t, args(conn, []string{"resume", "--poll-min", "5ms"})...)
	// The count is the rollout's: the canary replaced before the checkpoint, and 8 more.
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "done: 9 replaced") {
		t.Fatalf("resume: exit %d: %s\n%s", code, errOut, out)
	}
	if n := namesOnImage(t, env.Client, "role:web")["web-1.6.0"]; n != 11 {
		t.Errorf("%d web servers on web-1.6.0, want the 9 of fra1 and the 2 that were", n)
	}
	code, _, errOut = molt(t, args(conn, []string{"resume"})...)
	if code != 1 || !strings.Contains(errOut, "no unfinished rollout") {
		t.Errorf("a second resume: exit %d: %s", code, errOut)
	}
}

func TestLaunchTemplateFromTheConfigFile(t *testing.T) {
	_, conn := engineSim(t, dosim.Config{})
	dir := os.Getenv("XDG_CONFIG_HOME")
	userData := filepath.Join(dir, "web.cloud-init")
	os.WriteFile(userData, []byte("#cloud-config\npassword: hunter2\n"), 0o600)
	os.MkdirAll(filepath.Join(dir, "molt"), 0o700)
	os.WriteFile(filepath.Join(dir, "molt", "config.yaml"), []byte("launch:\n  web:\n    user_data: "+userData+"\n    ssh_keys: [\"1234\"]\n"), 0o600)
	code, out, errOut := molt(t, args(conn, []string{"plan", "--tag", "role:web", "--to", "web-1.6.0", "-o", "json"})...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p actions.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	l := p.Strategy.Launch
	if l.Source != "template:web" || l.UserDataPath != userData || len(l.SSHKeys) != 1 || len(p.Warnings) != 0 {
		t.Errorf("launch %+v, warnings %q", l, p.Warnings)
	}
	if strings.Contains(out, "hunter2") {
		t.Error("the plan shows the user data itself")
	}
}

func TestOutcomeExitCodes(t *testing.T) {
	locked := fmt.Errorf("start: %w", &actions.LockedError{Rollout: "20260101-000000-abcd"})
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"done", nil, 0},
		{"rolled back", fmt.Errorf("x: %w", actions.ErrRolledBack), 3},
		{"aborted", actions.ErrAborted, 1},
		{"lock taken after the plan", errors.Join(actions.ErrAborted, locked), 5},
		{"interrupted", actions.ErrInterrupted, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := outcome("id", tt.err, nil)
			code := 0
			var ee *exitError
			if errors.As(err, &ee) {
				code = ee.code
			} else if err != nil {
				code = -1
			}
			if code != tt.want {
				t.Errorf("exit %d (%v), want %d", code, err, tt.want)
			}
		})
	}
}
