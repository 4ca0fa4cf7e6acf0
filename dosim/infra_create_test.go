package dosim_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/digitalocean/godo"
)

// Tests of creating and deleting load balancers, reserved IPs and volumes.

func httpRule(port int) []godo.ForwardingRule {
	return []godo.ForwardingRule{{EntryProtocol: "http", EntryPort: 80, TargetProtocol: "http", TargetPort: port}}
}

func TestLoadBalancerLifecycle(t *testing.T) {
	t.Parallel()
	env := startDemo(t)
	ctx := context.Background()
	web := dropletIDs(listAll(t, env, "role:web", 200))
	nyc := []int{}
	for _, d := range listAll(t, env, "role:web", 200) {
		if d.Region.Slug == "nyc3" {
			nyc = append(nyc, d.ID)
		}
	}
	lb, resp, err := env.Client.LoadBalancers.Create(ctx, &godo.LoadBalancerRequest{Name: "web-new", Region: "nyc3",
		ForwardingRules: httpRule(8080), DropletIDs: nyc[:2], HealthCheck: &godo.HealthCheck{Protocol: "http", Port: 8080, Path: "/healthz"}})
	wantCode(t, "create LB", resp, err, http.StatusAccepted)
	if lb.Status != "new" || lb.IP != "" || len(lb.DropletIDs) != 2 || lb.HealthCheck.CheckIntervalSeconds != 10 || lb.VPCUUID == "" {
		t.Errorf("a new LB: %+v", lb)
	}
	waitFor(t, 2e9, "the LB to be active", func() bool {
		got, _, err := env.Client.LoadBalancers.Get(ctx, lb.ID)
		return err == nil && got.Status == "active" && got.IP != ""
	})
	for _, bad := range []*godo.LoadBalancerRequest{
		{Name: "no-rules", Region: "nyc3", DropletIDs: nyc[:1]},
		{Name: "both", Region: "nyc3", ForwardingRules: httpRule(80), DropletIDs: nyc[:1], Tag: "role:web"},
		{Name: "elsewhere", Region: "sfo3", ForwardingRules: httpRule(80), DropletIDs: web[:1]},
		{Name: "udp", Region: "nyc3", ForwardingRules: []godo.ForwardingRule{{EntryProtocol: "udp", EntryPort: 53, TargetProtocol: "tcp", TargetPort: 53}}},
		{Name: "https", Region: "nyc3", ForwardingRules: []godo.ForwardingRule{{EntryProtocol: "https", EntryPort: 443, TargetProtocol: "http", TargetPort: 80}}},
	} {
		_, _, err := env.Client.LoadBalancers.Create(ctx, bad)
		wantStatus(t, err, http.StatusUnprocessableEntity)
	}
	byTag, resp, err := env.Client.LoadBalancers.Create(ctx, &godo.LoadBalancerRequest{Name: "web-tag", Region: "nyc3",
		ForwardingRules: httpRule(8080), Tag: "role:web"})
	wantCode(t, "create a tag LB", resp, err, http.StatusAccepted)
	if len(byTag.DropletIDs) != len(nyc) || byTag.Tag != "role:web" {
		t.Errorf("a tag LB lists %v, want the %d web droplets of nyc3", byTag.DropletIDs, len(nyc))
	}
	up, resp, err := env.Client.LoadBalancers.Update(ctx, lb.ID, &godo.LoadBalancerRequest{Name: "web-new", Region: "nyc3",
		ForwardingRules: append(httpRule(8080), godo.ForwardingRule{EntryProtocol: "tcp", EntryPort: 5432, TargetProtocol: "tcp", TargetPort: 5432}),
		DropletIDs:      nyc, RedirectHttpToHttps: false, SizeUnit: 2})
	wantCode(t, "update LB", resp, err, http.StatusOK)
	if len(up.ForwardingRules) != 2 || len(up.DropletIDs) != len(nyc) || up.SizeUnit != 2 || up.ID != lb.ID {
		t.Errorf("updated LB: %+v", up)
	}
	_, _, err = env.Client.LoadBalancers.Update(ctx, lb.ID, &godo.LoadBalancerRequest{Name: "web-new", Region: "fra1", ForwardingRules: httpRule(80)})
	wantStatus(t, err, http.StatusUnprocessableEntity)
	resp, err = env.Client.LoadBalancers.Delete(ctx, lb.ID)
	wantCode(t, "delete LB", resp, err, http.StatusNoContent)
	_, _, err = env.Client.LoadBalancers.Get(ctx, lb.ID)
	wantStatus(t, err, http.StatusNotFound)
	_, err = env.Client.LoadBalancers.Delete(ctx, lb.ID)
	wantStatus(t, err, http.StatusNotFound) // gone now, so 404 is the truth
}

func TestReservedIPLifecycle(t *testing.T) {
	t.Parallel()
	env := startDemo(t)
	ctx := context.Background()
	d := waitStatus(t, env, createIn(t, env, "ip-holder", "fra1").ID, "active")
	ip, resp, err := env.Client.ReservedIPs.Create(ctx, &godo.ReservedIPCreateRequest{DropletID: d.ID})
	wantCode(t, "reserve for a droplet", resp, err, http.StatusAccepted)
	if ip.Region.Slug != "fra1" || !ip.Locked {
		t.Errorf("an IP on its way to a droplet: %+v", ip)
	}
	waitFor(t, 2e9, "the assign", func() bool {
		got, _, err := env.Client.ReservedIPs.Get(ctx, ip.IP)
		return err == nil && got.Droplet != nil && got.Droplet.ID == d.ID && !got.Locked
	})
	spare, resp, err := env.Client.ReservedIPs.Create(ctx, &godo.ReservedIPCreateRequest{Region: "sfo3"})
	wantCode(t, "reserve in a region", resp, err, http.StatusAccepted)
	if spare.Droplet != nil || spare.Region.Slug != "sfo3" || spare.ProjectID == "" {
		t.Errorf("a reserved IP in a region: %+v", spare)
	}
	for _, bad := range []*godo.ReservedIPCreateRequest{{DropletID: d.ID, Region: "fra1"}, {}, {Region: "xyz1"}, {DropletID: d.ID}} {
		_, _, err := env.Client.ReservedIPs.Create(ctx, bad)
		wantStatus(t, err, http.StatusUnprocessableEntity)
	}
	fl, resp, err := env.Client.FloatingIPs.Create(ctx, &godo.FloatingIPCreateRequest{Region: "nyc3"})
	wantCode(t, "the same under its old name", resp, err, http.StatusAccepted)
	for _, addr := range []string{ip.IP, spare.IP} {
		resp, err = env.Client.ReservedIPs.Delete(ctx, addr)
		wantCode(t, "delete "+addr, resp, err, http.StatusNoContent)
	}
	resp, err = env.Client.FloatingIPs.Delete(ctx, fl.IP)
	wantCode(t, "delete a floating IP", resp, err, http.StatusNoContent)
	_, _, err = env.Client.ReservedIPs.Get(ctx, ip.IP)
	wantStatus(t, err, http.StatusNotFound)
}

func TestVolumeLifecycle(t *testing.T) {
	t.Parallel()
	env := startDemo(t)
	ctx := context.Background()
	v, resp, err := env.Client.Storage.CreateVolume(ctx, &godo.VolumeCreateRequest{Name: "scratch-1", Region: "nyc3",
		SizeGigaBytes: 50, FilesystemType: "xfs", Tags: []string{"scratch"}})
	wantCode(t, "create volume", resp, err, http.StatusCreated)
	if v.SizeGigaBytes != 50 || len(v.DropletIDs) != 0 || v.FilesystemType != "xfs" || v.Region.Slug != "nyc3" {
		t.Errorf("a new volume: %+v", v)
	}
	for _, bad := range []*godo.VolumeCreateRequest{
		{Name: "Scratch", Region: "nyc3", SizeGigaBytes: 10},
		{Name: "big", Region: "nyc3", SizeGigaBytes: 20000},
		{Name: "fs", Region: "nyc3", SizeGigaBytes: 10, FilesystemType: "zfs"},
		{Name: "from-snap", Region: "nyc3", SizeGigaBytes: 10, SnapshotID: "b0798135-fb76-11eb-946a-0a58ac146f33"},
	} {
		_, _, err := env.Client.Storage.CreateVolume(ctx, bad)
		wantStatus(t, err, http.StatusBadRequest)
	}
	_, _, err = env.Client.Storage.CreateVolume(ctx, &godo.VolumeCreateRequest{Name: "scratch-1", Region: "nyc3", SizeGigaBytes: 10})
	wantStatus(t, err, http.StatusConflict)
	attached := attachedVolume(t, env)
	_, err = env.Client.Storage.DeleteVolume(ctx, attached.ID)
	wantStatus(t, err, http.StatusConflict) // attached: detach it first
	resp, err = env.Client.Storage.DeleteVolume(ctx, v.ID)
	wantCode(t, "delete volume", resp, err, http.StatusNoContent)
	_, _, err = env.Client.Storage.GetVolume(ctx, v.ID)
	wantStatus(t, err, http.StatusNotFound)
	status, _, _, _ := call(t, env, http.MethodDelete, "/v2/volumes?name=worker-data-4&region=nyc3", nil)
	if status != http.StatusNoContent {
		t.Errorf("delete by name and region: %d", status)
	}
}
