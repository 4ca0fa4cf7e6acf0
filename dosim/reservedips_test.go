package dosim_test

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/netip"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// demoIPs returns the demo seed's spare reserved IP (nyc3, unassigned) and an assigned one.
func demoIPs(t *testing.T, env *dosimtest.Env) (spare, held godo.ReservedIP) {
	t.Helper()
	ips, resp, err := env.Client.ReservedIPs.List(context.Background(), nil)
	wantCode(t, "list reserved IPs", resp, err, http.StatusOK)
	for _, ip := range ips {
		switch {
		case ip.Droplet == nil && ip.Region.Slug == "nyc3":
			spare = ip
		case ip.Droplet != nil && ip.Region.Slug == "nyc3":
			held = ip
		}
	}
	if spare.IP == "" || held.IP == "" {
		t.Fatalf("the demo seed should have a spare and a held reserved IP in nyc3: %+v", ips)
	}
	return spare, held
}

func ipInt(t *testing.T, ip string) int {
	t.Helper()
	a := netip.MustParseAddr(ip).As4()
	return int(binary.BigEndian.Uint32(a[:]))
}

func TestReservedIPAssign(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	spare, _ := demoIPs(t, env)
	d := createIn(t, env, "edge-nyc3-new", "nyc3")
	a, resp, err := env.Client.ReservedIPActions.Assign(ctx, spare.IP, d.ID)
	wantCode(t, "assign", resp, err, http.StatusCreated)
	if a.Status != "in-progress" || a.Type != "assign_ip" || a.ResourceType != "reserved_ip" || a.ResourceID != ipInt(t, spare.IP) {
		t.Errorf("assign action: %+v", a)
	}
	ip, _, err := env.Client.ReservedIPs.Get(ctx, spare.IP)
	if err != nil || !ip.Locked || ip.Droplet != nil {
		t.Errorf("while assigning: locked %v droplet %v, %v", ip.Locked, ip.Droplet, err)
	}
	_, _, err = env.Client.ReservedIPActions.Unassign(ctx, spare.IP)
	wantStatus(t, err, http.StatusUnprocessableEntity)
	waitAction(t, "assign", func(ctx context.Context) (*godo.Action, *godo.Response, error) {
		return env.Client.ReservedIPActions.Get(ctx, spare.IP, a.ID)
	})
	ip, _, err = env.Client.ReservedIPs.Get(ctx, spare.IP)
	if err != nil || ip.Locked || ip.Droplet == nil || ip.Droplet.ID != d.ID || ip.Droplet.Name != d.Name {
		t.Fatalf("after assign: %+v, %v", ip, err)
	}
	a, _, err = env.Client.ReservedIPActions.Unassign(ctx, spare.IP)
	if err != nil {
		t.Fatal(err)
	}
	waitAction(t, "unassign", func(ctx context.Context) (*godo.Action, *godo.Response, error) {
		return env.Client.Actions.Get(ctx, a.ID)
	})
	if ip, _, _ = env.Client.ReservedIPs.Get(ctx, spare.IP); ip.Droplet != nil {
		t.Errorf("after unassign the IP is still on droplet %d", ip.Droplet.ID)
	}
	actions, _, err := env.Client.ReservedIPActions.List(ctx, spare.IP, nil)
	if err != nil || len(actions) != 2 || actions[0].Type != "unassign_ip" || actions[1].Type != "assign_ip" { // newest first
		t.Errorf("actions of %s: %+v, %v", spare.IP, actions, err)
	}
}

func TestReservedIPMovesBetweenDroplets(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	_, held := demoIPs(t, env)
	d := createIn(t, env, "edge-nyc3-next", "nyc3")
	a, _, err := env.Client.ReservedIPActions.Assign(ctx, held.IP, d.ID)
	if err != nil {
		t.Fatalf("reassigning a held IP: %v", err)
	}
	waitAction(t, "reassign", func(ctx context.Context) (*godo.Action, *godo.Response, error) {
		return env.Client.ReservedIPActions.Get(ctx, held.IP, a.ID)
	})
	if ip, _, _ := env.Client.ReservedIPs.Get(ctx, held.IP); ip.Droplet == nil || ip.Droplet.ID != d.ID {
		t.Errorf("after moving: %+v, want droplet %d", ip.Droplet, d.ID)
	}
}

func TestReservedIPErrors(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	spare, held := demoIPs(t, env)
	fra := createIn(t, env, "edge-fra1-new", "fra1")
	cases := []struct {
		name   string
		ip     string
		assign int // 0 unassigns
		status int
	}{
		{"droplet of another region", spare.IP, fra.ID, http.StatusUnprocessableEntity},
		{"unknown droplet", spare.IP, 1, http.StatusNotFound},
		{"droplet holding another IP", spare.IP, held.Droplet.ID, http.StatusUnprocessableEntity},
		{"unassign an unassigned IP", spare.IP, 0, http.StatusUnprocessableEntity},
		{"unknown IP", "192.0.2.1", fra.ID, http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.assign != 0 {
				_, _, err = env.Client.ReservedIPActions.Assign(ctx, c.ip, c.assign)
			} else {
				_, _, err = env.Client.ReservedIPActions.Unassign(ctx, c.ip)
			}
			wantStatus(t, err, c.status)
		})
	}
	if resp, body := raw(t, env, http.MethodPost, "/v2/reserved_ips/"+spare.IP+"/actions", "", map[string]any{"type": "teleport"}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unknown action type: %d %s", resp.StatusCode, body)
	}
	_, _, err := env.Client.ReservedIPActions.Get(ctx, spare.IP, 1)
	wantStatus(t, err, http.StatusNotFound)
}

func TestFloatingIPNames(t *testing.T) {
	env := startDemo(t)
	ctx := context.Background()
	spare, _ := demoIPs(t, env)
	list, _, err := env.Client.FloatingIPs.List(ctx, nil)
	if err != nil || len(list) < 2 {
		t.Fatalf("floating IPs: %d, %v", len(list), err)
	}
	fip, _, err := env.Client.FloatingIPs.Get(ctx, spare.IP)
	if err != nil || fip.IP != spare.IP || fip.Droplet != nil {
		t.Fatalf("floating IP %s: %+v, %v", spare.IP, fip, err)
	}
	d := createIn(t, env, "edge-nyc3-float", "nyc3")
	a, _, err := env.Client.FloatingIPActions.Assign(ctx, spare.IP, d.ID)
	if err != nil || a.ResourceType != "floating_ip" {
		t.Fatalf("assign through floating_ips: %+v, %v", a, err)
	}
	waitAction(t, "floating assign", func(ctx context.Context) (*godo.Action, *godo.Response, error) {
		return env.Client.FloatingIPActions.Get(ctx, spare.IP, a.ID)
	})
	if ip, _, _ := env.Client.ReservedIPs.Get(ctx, spare.IP); ip.Droplet == nil || ip.Droplet.ID != d.ID {
		t.Errorf("the reserved IP view of a floating assign: %+v", ip.Droplet)
	}
	if acts, _, _ := env.Client.ReservedIPActions.List(ctx, spare.IP, nil); len(acts) != 1 {
		t.Errorf("the reserved IP lists %d actions, want the floating one", len(acts))
	}
}
