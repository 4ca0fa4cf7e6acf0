package dosim_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

var healthClient = &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// healthz GETs a droplet's /healthz on its public address; code 0 means no answer.
func healthz(t *testing.T, env *dosimtest.Env, d *godo.Droplet) (int, string) {
	t.Helper()
	ip := mustIP(t, d)
	url := "http://" + net.JoinHostPort(ip, strconv.Itoa(env.Sim.HealthPort())) + "/healthz"
	resp, err := healthClient.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func waitHealth(t *testing.T, env *dosimtest.Env, d *godo.Droplet, code int) string {
	t.Helper()
	var got int
	var body string
	waitFor(t, 2*time.Second, fmt.Sprintf("/healthz of %s to answer %d", d.Name, code), func() bool {
		got, body = healthz(t, env, d)
		return got == code
	})
	return body
}

func TestHealthLifecycle(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty"})
	ctx := context.Background()
	d := waitStatus(t, env, create(t, env, createReq("web-1")).ID, "active")
	if body := waitHealth(t, env, d, http.StatusOK); !strings.Contains(body, strconv.Itoa(d.ID)) {
		t.Errorf("/healthz of droplet %d answered %q", d.ID, body)
	}
	if _, _, err := env.Client.DropletActions.PowerOff(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, env, d.ID, "off")
	waitHealth(t, env, d, 0)
	if _, _, err := env.Client.DropletActions.PowerOn(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, env, d.ID, "active")
	waitHealth(t, env, d, http.StatusOK)
	if _, err := env.Client.Droplets.Delete(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, env, d, 0)
}

func TestHealthUnhealthyImage(t *testing.T) {
	env := start(t, dosim.Config{Seed: "empty"})
	d := waitStatus(t, env, create(t, env, createReq("web-1")).ID, "active")
	waitHealth(t, env, d, http.StatusOK)
	resp, body := raw(t, env, http.MethodPost, "/_sim/images/"+strconv.Itoa(d.Image.ID), "", map[string]any{"unhealthy": true})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("mark unhealthy: %d %s", resp.StatusCode, body)
	}
	if code, _ := healthz(t, env, d); code != http.StatusInternalServerError {
		t.Errorf("droplet of an unhealthy image: /healthz %d", code)
	}
	later := waitStatus(t, env, create(t, env, createReq("web-2")).ID, "active")
	waitHealth(t, env, later, http.StatusInternalServerError)
}

func TestHealthDemoSeed(t *testing.T) {
	env := start(t, dosim.Config{})
	web := listAll(t, env, "role:web", 200)[0]
	waitHealth(t, env, &web, http.StatusOK)
}

// TestTwoSimulators runs two simulators on the same health port: each has its own
// 127.N.0.0/16, so their droplets' health endpoints do not collide.
func TestTwoSimulators(t *testing.T) {
	a := start(t, dosim.Config{Seed: "empty"})
	b := start(t, dosim.Config{Seed: "empty"})
	if a.Sim.HealthPort() != b.Sim.HealthPort() {
		t.Fatalf("health ports %d and %d: the test wants them shared", a.Sim.HealthPort(), b.Sim.HealthPort())
	}
	da := waitStatus(t, a, create(t, a, createReq("same-name")).ID, "active")
	db := waitStatus(t, b, create(t, b, createReq("same-name")).ID, "active")
	ipa, ipb := mustIP(t, da), mustIP(t, db)
	neta, netb := strings.Split(ipa, ".")[1], strings.Split(ipb, ".")[1]
	if neta == netb {
		t.Fatalf("two simulators share 127.%s.0.0/16 (%s, %s)", neta, ipa, ipb)
	}
	if body := waitHealth(t, a, da, http.StatusOK); !strings.Contains(body, strconv.Itoa(da.ID)) {
		t.Errorf("simulator a's droplet answered %q", body)
	}
	if body := waitHealth(t, b, db, http.StatusOK); !strings.Contains(body, strconv.Itoa(db.ID)) {
		t.Errorf("simulator b's droplet answered %q", body)
	}
}

// TestHealthListenerBudget stands in for a machine whose open-file limit is too low for
// one listener per droplet: the seed leaves room for droplets created later, and the
// simulator says, once, how many droplets go without.
func TestHealthListenerBudget(t *testing.T) {
	env := start(t, dosim.Config{Seed: "scale", Droplets: 30, HealthListeners: 20})
	notice := env.Sim.HealthNotice()
	if !strings.Contains(notice, "serve 18 of the 30 active droplets") || strings.Contains(notice, "\n") {
		t.Errorf("notice %q, want one sentence about 18 of 30", notice)
	}
	d := waitStatus(t, env, create(t, env, createReq("probed")).ID, "active")
	waitHealth(t, env, d, http.StatusOK)
	roomy := start(t, dosim.Config{Seed: "scale", Droplets: 5})
	if n := roomy.Sim.HealthNotice(); n != "" {
		t.Errorf("a world within the limit has a notice: %q", n)
	}
}
