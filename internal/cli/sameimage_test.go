package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// droplet is a server as these tests compare it: its droplet and image.
type droplet struct{ id, image int }

// webServers are the web droplets by name.
func webServers(t *testing.T, env *dosimtest.Env) map[string]droplet {
	t.Helper()
	ds, _, err := env.Client.Droplets.ListByTag(t.Context(), "role:web", &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]droplet{}
	for _, d := range ds {
		out[d.Name] = droplet{d.ID, d.Image.ID}
	}
	return out
}

// demoDriftedWeb are the demo's web servers changed by hand.
var demoDriftedWeb = []string{"web-fra1-02", "web-nyc3-03"}

// replacedExactly fails t unless exactly names were replaced (a new droplet), each on
// the image it ran, and the other servers are as they were.
func replacedExactly(t *testing.T, before, after map[string]droplet, names []string) {
	t.Helper()
	if len(after) != len(before) {
		t.Errorf("%d web servers, before %d", len(after), len(before))
	}
	for name, b := range before {
		a, replaced := after[name], slices.Contains(names, name)
		switch {
		case replaced && (a.id == b.id || a.image != b.image):
			t.Errorf("%s: droplet %d on image %d, before %d on %d; want a new droplet on the same image", name, a.id, a.image, b.id, b.image)
		case !replaced && a != b:
			t.Errorf("%s changed: %v, before %v", name, a, b)
		}
	}
}

// driftedWeb is what `molt status` reports of the web role's drift.
func driftedWeb(t *testing.T, conn []string) map[string]string {
	t.Helper()
	code, out, errOut := molt(t, args(conn, []string{"status", "-o", "json", "--tag", "role:web"})...)
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errOut)
	}
	return decodeAudit(t, out).drifted()
}

// `molt apply --tag role:web --drifted --to current --yes` replaces exactly the drifted
// web servers, each onto the image it ran, and afterwards none is drifted (a new droplet
// has none of its predecessor's actions). The plan says which rule picked each.
func TestApplyDriftedOntoTheirOwnImage(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{})
	if d := driftedWeb(t, conn); len(d) != 2 {
		t.Fatalf("drifted web servers before: %v", d)
	}
	code, out, errOut := molt(t, args(conn, []string{"plan", "--tag", "role:web", "--drifted", "--to", "current", "-o", "json"})...)
	var p actions.Plan
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	for _, r := range p.Replacements() {
		if !strings.HasPrefix(r.Picked, "drifted: changed in place: ") || p.TargetOf(r).ImageID != r.Old.Image.ImageID {
			t.Errorf("%s: picked %q, onto %s", r.Old.Name, r.Picked, p.TargetOf(r).Name)
		}
	}
	before := webServers(t, env)
	code, out, errOut = molt(t, args(conn, fastFlags(env), []string{"apply", "--tag", "role:web", "--drifted", "--to", "current", "--yes"})...)
	if code != 0 || !strings.Contains(out, "the image each runs") {
		t.Fatalf("apply: exit %d: %s\n%s", code, errOut, out)
	}
	replacedExactly(t, before, webServers(t, env), demoDriftedWeb)
	if d := driftedWeb(t, conn); len(d) != 0 {
		t.Errorf("drifted web servers after: %v", d)
	}
	code, out, _ = molt(t, args(conn, fastFlags(env), []string{"apply", "--tag", "role:web", "--drifted", "--to", "current", "--yes"})...)
	if code != 0 || !strings.Contains(out, "No server of the selection (role:web drifted) is picked") {
		t.Errorf("apply with nothing drifted: exit %d:\n%s", code, out)
	}
}

// The same, killed (SIGKILL) once its first new droplet is created, then resumed.
func TestApplyDriftedKilledThenResumed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildMolt(t)
	env, conn := engineSim(t, dosim.Config{Provision: 300 * time.Millisecond, ActionDelay: 10 * time.Millisecond})
	before := webServers(t, env)
	cmd := exec.Command(bin, args(conn, fastFlags(env), []string{"apply", "--yes", "--tag", "role:web", "--drifted", "--to", "current", "--surge", "1"})...)
	cmd.Env = os.Environ()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	id, sc := "", bufio.NewScanner(stdout)
	for sc.Scan() {
		if id == "" {
			id = rolloutID.FindString(sc.Text())
		}
		if strings.Contains(sc.Text(), ": created droplet") {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	for sc.Scan() {
	}
	if err := cmd.Wait(); err == nil || id == "" {
		t.Fatalf("apply was not killed mid-rollout (%v), rollout %q", err, id)
	}
	code, out, errOut := molt(t, args(conn, []string{"resume", id, "--poll-min", "5ms"})...)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s\n%s", code, errOut, out)
	}
	replacedExactly(t, before, webServers(t, env), demoDriftedWeb)
	if d := driftedWeb(t, conn); len(d) != 0 {
		t.Errorf("drifted web servers after the resume: %v", d)
	}
}

// Bad rules are one sentence and exit 2, before any API call.
func TestPickUsageErrors(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{HealthPort: -1})
	before := env.Sim.Stats().Requests
	for _, a := range [][]string{
		{"plan", "--tag", "role:web", "--pets", "--to", "current"},
		{"plan", "--tag", "role:web", "--older-than", "a while", "--to", "current"},
		{"apply", "--yes", "--tag", "role:web", "--drifted", "--drift-window", "soon", "--to", "current"},
		{"plan", "--tag", "role:web", "--unhealthy", "--health", "none", "--to", "current"},
		{"plan", "--tag", "role:web", "--drifted", "--drift-window", "0", "--to", "current"},
		{"apply", "--yes", "--tag", "role:web", "--max-age", "0d", "--to", "current"},
		{"plan", "--tag", "role:web", "--older-than", "-3d", "--to", "current"},
	} {
		code, _, errOut := molt(t, args(conn, a)...)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, %q; want 2 and one line", a, code, errOut)
		}
	}
	if n := env.Sim.Stats().Requests - before; n != 0 {
		t.Errorf("%d API requests before refusing", n)
	}
}

// Each rule picks what the audit finds, and the plan says so per server.
func TestPlanPicks(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{DemoExtras: true})
	if err := env.Sim.SetImageFlags(env.ImageID(t, "web-1.5.0"), true, false); err != nil {
		t.Fatal(err)
	}
	health := fmt.Sprintf("http:%d/healthz", env.Sim.HealthPort())
	for _, c := range []struct {
		args   []string
		picked int
		word   string
	}{
		{[]string{"--tag", "role:web", "--older-than", "60d", "--to", "current"}, 7, "older than 60d ("},
		{[]string{"--tag", "role:web", "--unhealthy", "--health", health, "--to", "current"}, 12, "unhealthy: http:"},
		{[]string{"--tag", "env:prod", "--pets", "--to", "web-1.6.0", "--allow-other-role"}, 2, "pet: built from the distribution image"},
		// Several roles, each onto its own image: no guard trips.
		{[]string{"--drifted", "--to", "current"}, 4, "drifted: changed in place"},
	} {
		code, out, errOut := molt(t, args(conn, []string{"plan", "-o", "json"}, c.args)...)
		var p actions.Plan
		if code != 0 || json.Unmarshal([]byte(out), &p) != nil {
			t.Fatalf("%v: exit %d: %s", c.args, code, errOut)
		}
		n := 0
		for _, r := range p.Replacements() {
			if strings.HasPrefix(r.Picked, c.word) {
				n++
			}
		}
		// Picked servers are replaced or skipped (the drifted worker has a volume).
		if n != len(p.Replacements()) || n+len(p.Skipped) != c.picked || p.Refusal() != nil {
			t.Errorf("%v: %d picked of %d replacements and %d skipped, want %d picked %q...; refusal %v",
				c.args, n, len(p.Replacements()), len(p.Skipped), c.picked, c.word, p.Refusal())
		}
	}
}

// allServers are every droplet by name.
func allServers(t *testing.T, env *dosimtest.Env) map[string]droplet {
	t.Helper()
	ds, _, err := env.Client.Droplets.List(t.Context(), &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]droplet{}
	for _, d := range ds {
		out[d.Name] = droplet{d.ID, d.Image.ID}
	}
	return out
}

// A repair of the drifted servers of every role onto their own images, its state
// directory lost at the canary's checkpoint, is recovered from the cloud as such a
// repair (not onto the image of the one new droplet): `molt recover` then `molt resume`
// end with exactly the drifted servers replaced, each on the image it ran.
func TestRecoverADriftRepair(t *testing.T) {
	env, conn := engineSim(t, dosim.Config{DemoExtras: true})
	code, out, errOut := molt(t, args(conn, []string{"plan", "--drifted", "--to", "current", "-o", "json"})...)
	var p actions.Plan
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	var picked []string
	images := map[int]bool{}
	for _, r := range p.Replacements() {
		picked = append(picked, r.Old.Name)
		images[r.Old.Image.ImageID] = true
	}
	if len(images) < 2 {
		t.Fatalf("the drifted servers run %d images; want several", len(images))
	}
	before := allServers(t, env)
	code, out, errOut = moltTyped(t, "all drifted\n", args(conn, fastFlags(env), []string{"apply", "--drifted", "--to", "current",
		"--canary", "1", "--pause", "manual"})...)
	if code != ExitInterrupted {
		t.Fatalf("apply to the checkpoint: exit %d: %s\n%s", code, errOut, out)
	}
	id := rolloutID.FindString(out)
	dir, _ := actions.DefaultDir()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = molt(t, args(conn, strategyFlags(env), []string{"recover", id})...)
	if code != 0 || !strings.Contains(out, "onto "+actions.CurrentImage.Name) {
		t.Fatalf("recover: exit %d: %s\n%s", code, errOut, out)
	}
	code, out, errOut = molt(t, args(conn, []string{"resume", id, "--poll-min", "5ms"})...)
	if code != 0 {
		t.Fatalf("resume after recover: exit %d: %s\n%s", code, errOut, out)
	}
	replacedExactly(t, before, allServers(t, env), picked)
}
