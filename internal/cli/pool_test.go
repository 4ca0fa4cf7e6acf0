package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// poolSim is the demo with its api pool, pools on 5ms minutes (a 50ms cooldown), and
// rate limits lifted for polls every few milliseconds.
func poolSim(t *testing.T) (*dosimtest.Env, []string) {
	t.Helper()
	return engineSim(t, dosim.Config{DemoExtras: true, PoolMinute: 5 * time.Millisecond, RatePerMinute: 1 << 20, RatePerHour: 1 << 30})
}

// poolFlags roll the api pool quickly: the simulator's minute, and a health check that
// fails an unhealthy member after three answers.
func poolFlags(env *dosimtest.Env, to string) []string {
	return []string{"--pool", "api", "--to", to, "--pool-minute", "5ms", "--health",
		fmt.Sprintf("http:%d/healthz", env.Sim.HealthPort()), "--health-interval", "5ms", "--health-timeout", "10s",
		"--unhealthy-threshold", "3"}
}

// poolHooks lift the client's per-minute budget: a pool whose minute lasts 5ms is polled
// every few milliseconds, hundreds of requests a second.
var poolHooks = Hooks{RequestsPerMinute: 1 << 20}

// poolMolt is molt with poolHooks.
func poolMolt(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runHooked(context.Background(), poolHooks, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// apiImages counts the pool's members by image name.
func apiImages(t *testing.T, c *godo.Client) map[string]int {
	t.Helper()
	servers, err := fleet.Load(context.Background(), c, fleet.LoadOptions{Tag: "role:api", Pools: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, s := range servers {
		if s.Pool == "api" && s.Status == "active" {
			out[s.Image.Name]++
		}
	}
	return out
}

func TestPoolPlanApplyRollBack(t *testing.T) {
	env, conn := poolSim(t)
	code, out, errOut := poolMolt(t, args(conn, []string{"plan", "-o", "json"}, poolFlags(env, "api-1.1.0"))...)
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	var p actions.PoolPlan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p.Replaced != 4 || p.Pool.Name != "api" || p.Estimate.Duration.D() != 4*actions.PoolStep(10, 5*time.Millisecond)-50*time.Millisecond {
		t.Errorf("plan: %d replaced, estimate %s", p.Replaced, p.Estimate.Duration)
	}
	code, out, _ = poolMolt(t, args(conn, []string{"plan"}, poolFlags(env, "api-1.1.0"))...)
	for _, want := range []string{"Roll pool api (nyc3, fixed 4, c-2", "from api-1.0.0 to api-1.1.0", "No pause", "Estimate: about 370ms"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("plan text lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = poolMolt(t, args(conn, []string{"apply", "--yes", "--poll-min", "5ms"}, poolFlags(env, "api-1.1.0"))...)
	if code != 0 || !strings.Contains(out, "done: 4 replaced, 0 failed") || !strings.Contains(out, "made by the pool") ||
		!strings.Contains(out, "pool api: 4 of 4 members on api-1.1.0, 0 behind") {
		t.Fatalf("apply: exit %d: %s\n%s", code, errOut, out)
	}
	if got := apiImages(t, env.Client); got["api-1.1.0"] != 4 || len(got) != 1 {
		t.Errorf("after the rollout the pool runs %v", got)
	}
	id := rolloutID.FindString(out)
	code, out, _ = poolMolt(t, "rollouts")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "pool api") {
		t.Errorf("rollouts (exit %d):\n%s", code, out)
	}
	code, out, errOut = poolMolt(t, args(conn, []string{"rollback", id, "--yes", "--poll-min", "5ms"})...)
	if code != 0 || !strings.Contains(out, "Rollout "+id+" is rolled back") {
		t.Fatalf("rollback: exit %d: %s\n%s", code, errOut, out)
	}
	if got := apiImages(t, env.Client); got["api-1.0.0"] != 4 || len(got) != 1 {
		t.Errorf("after the rollback the pool runs %v", got)
	}
}

func TestPoolApplyBrokenImageRollsBackWithExit3(t *testing.T) {
	env, conn := poolSim(t)
	im, err := actions.ResolveImage(context.Background(), env.Client, "api-1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Sim.SetImageFlags(im.ImageID, true, false); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := poolMolt(t, args(conn, []string{"apply", "--yes", "--poll-min", "5ms"}, poolFlags(env, "api-1.1.0"))...)
	if code != 3 || !strings.Contains(errOut, "failed molt's health check") || !strings.Contains(out, "rolling back") {
		t.Errorf("exit %d: %s\n%s", code, errOut, out)
	}
	if got := apiImages(t, env.Client); got["api-1.0.0"] != 4 || len(got) != 1 {
		t.Errorf("after the rollback the pool runs %v", got)
	}
}

// cancelOn is stdout that cancels a run once it has printed want.
type cancelOn struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	want   string
	cancel func()
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if strings.Contains(c.buf.String(), c.want) {
		c.cancel()
	}
	return len(p), nil
}

// An apply interrupted while the pool replaces its second member exits 4; the pool
// goes on meanwhile, and molt resume checks the members it did not judge and ends done.
func TestPoolInterruptedThenResumed(t *testing.T) {
	env, conn := poolSim(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOn{want: "made by the pool", cancel: cancel}
	var errOut bytes.Buffer
	code := runHooked(ctx, poolHooks, args(conn, []string{"apply", "--yes", "--poll-min", "5ms"}, poolFlags(env, "api-1.1.0")), out, &errOut)
	if code != 4 || !strings.Contains(errOut.String(), "without molt's health check") || !strings.Contains(errOut.String(), "molt resume") {
		t.Fatalf("interrupted apply: exit %d: %s\n%s", code, errOut.String(), out.buf.String())
	}
	code, stdout, stderr := poolMolt(t, args(conn, []string{"resume", "--poll-min", "5ms"})...)
	if code != 0 || !strings.Contains(stdout, "done: 4 replaced") {
		t.Fatalf("resume: exit %d: %s\n%s", code, stderr, stdout)
	}
	if got := apiImages(t, env.Client); got["api-1.1.0"] != 4 || len(got) != 1 {
		t.Errorf("after the resume the pool runs %v", got)
	}
}

func TestPoolUsageErrors(t *testing.T) {
	env, conn := poolSim(t)
	before := env.Sim.Stats().Requests
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--pool", "api"}, "--to"},
		{[]string{"plan", "--pool", "api", "--to", "api-1.1.0", "--tag", "role:api"}, "takes no --tag"},
		{[]string{"plan", "--pool", "api", "--to", "api-1.1.0", "--surge", "2"}, "--surge does not apply to a pool"},
		{[]string{"apply", "--pool", "api", "--to", "api-1.1.0", "--pause", "manual"}, "nothing in DigitalOcean's API holds"},
		{[]string{"plan", "--pool", "api", "--to", "api-1.1.0", "--on-failure", "pause"}, "--on-failure pause cannot apply"},
		{[]string{"plan", "--pool", "api", "--to", "api-1.1.0", "--pool-minute", "0s"}, "--pool-minute must be positive"},
		{[]string{"plan", "--pool", "api", "--to", "api-1.1.0", "-o", "yaml"}, "unknown output"},
		{[]string{"apply", "--pool", "api", "--to", "api-1.1.0"}, "--yes"},
		{[]string{"apply", "--yes", "--pool", "api", "--to", "api-1.1.0", "--drain", "5s"}, "--drain does not apply to a pool"},
		{[]string{"apply", "--yes", "--pool", "api", "--to", "api-1.1.0", "--settle", "5s"}, "--settle does not apply to a pool"},
		{[]string{"plan", "--pool", "api", "--to", "api-1.1.0", "--drifted"}, "takes no --drifted"},
		{[]string{"plan", "--pool", "api", "--to", "current"}, "--to current does not apply to a pool"},
	} {
		code, _, errOut := poolMolt(t, args(conn, c.args)...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, %q; want 2 and one line with %q", c.args, code, errOut, c.want)
		}
	}
	if env.Sim.Stats().Requests != before {
		t.Error("molt talked to the API before refusing")
	}
	code, _, errOut := poolMolt(t, args(conn, []string{"plan", "--pool", "nope", "--to", "api-1.1.0"})...)
	if code != 1 || !strings.Contains(errOut, `there is no autoscale pool named "nope" (the account has api)`) {
		t.Errorf("an unknown pool: exit %d, %q", code, errOut)
	}
}

// A pool whose members another rollout holds is rolling already: exit 5, naming it.
func TestPoolLockedByAnotherRollout(t *testing.T) {
	env, conn := poolSim(t)
	pools, err := fleet.ReadPools(context.Background(), env.Client)
	if err != nil {
		t.Fatal(err)
	}
	lock := "molt:20250101-120000-abcd"
	if _, err := env.Client.Tags.TagResources(context.Background(), lock, &godo.TagResourcesRequest{
		Resources: []godo.Resource{{ID: strconv.Itoa(pools[0].Members[0].DropletID), Type: godo.DropletResourceType}}}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := poolMolt(t, args(conn, []string{"apply", "--yes", "--poll-min", "5ms"}, poolFlags(env, "api-1.1.0"))...)
	if code != 5 || !strings.Contains(errOut, "pool api is rolling already") || !strings.Contains(errOut, "20250101-120000-abcd") {
		t.Errorf("exit %d, %q; want 5 naming the other rollout", code, errOut)
	}
}

// A droplet plan whose selection is the pool's members leaves every one of them out.
func TestDropletPlanLeavesPoolMembersOut(t *testing.T) {
	_, conn := poolSim(t)
	code, out, errOut := poolMolt(t, args(conn, []string{"plan", "--tag", "role:api", "--to", "api-1.1.0", "--ssh-key", "1234"})...)
	if code != 0 || strings.Count(out, "member of pool api: roll the pool instead") != 4 || !strings.Contains(out, "Replace 0 of 4") {
		t.Errorf("exit %d: %s\n%s", code, errOut, out)
	}
}

// Another role's image onto the pool is refused (exit 1) after the plan is shown, and
// nothing changes; --allow-other-role lets it plan.
func TestPoolGuardsTheTarget(t *testing.T) {
	env, conn := poolSim(t)
	code, out, errOut := poolMolt(t, args(conn, []string{"apply", "--yes", "--poll-min", "5ms"}, poolFlags(env, "web-1.6.0"))...)
	if code != 1 || !strings.Contains(errOut, "pass --allow-other-role") || !strings.Contains(out, "Refused unless --allow-other-role: 4 servers of role api") {
		t.Errorf("exit %d: %s\n%s", code, errOut, out)
	}
	if st := env.Sim.Stats(); st.ByMethod["PUT"]+st.ByMethod["POST"] != 0 {
		t.Errorf("a refused rollout changed something: %v", st.ByMethod)
	}
	code, out, errOut = poolMolt(t, args(conn, []string{"plan", "--allow-other-role"}, poolFlags(env, "web-1.6.0"))...)
	if code != 0 || !strings.Contains(out, "Allowed by --allow-other-role") {
		t.Errorf("plan with --allow-other-role: exit %d: %s\n%s", code, errOut, out)
	}
}
