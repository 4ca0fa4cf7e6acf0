package dosim_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
)

// Tests of the account-wide resources: SSH keys, VPCs, projects and firewalls.

const testPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb8pTFzKOgpjNcM2E5HFtBJ0Wxm3mWcHXVvfyhn1MxH test@molt.example"

func TestKeys(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	seeded, resp, err := env.Client.Keys.List(ctx, nil)
	wantCode(t, "list keys", resp, err, http.StatusOK)
	if len(seeded) != 2 || seeded[0].ID != 1234 || seeded[1].ID != 12345 || seeded[1].Fingerprint == "" {
		t.Errorf("seeded keys: %+v", seeded)
	}
	k, resp, err := env.Client.Keys.Create(ctx, &godo.KeyCreateRequest{Name: "laptop", PublicKey: testPublicKey})
	wantCode(t, "create key", resp, err, http.StatusCreated)
	if k.Fingerprint == "" || len(k.Fingerprint) != 47 || k.PublicKey != testPublicKey {
		t.Errorf("created key: %+v", k)
	}
	_, _, err = env.Client.Keys.Create(ctx, &godo.KeyCreateRequest{Name: "again", PublicKey: testPublicKey})
	refused(t, "the same key twice", err, "already in use")
	_, _, err = env.Client.Keys.Create(ctx, &godo.KeyCreateRequest{Name: "junk", PublicKey: "not a key"})
	refused(t, "a key that is not one", err, "Key invalid")
	byFP, _, err := env.Client.Keys.GetByFingerprint(ctx, k.Fingerprint)
	if err != nil || byFP.ID != k.ID {
		t.Errorf("get by fingerprint: %+v, %v", byFP, err)
	}
	renamed, resp, err := env.Client.Keys.UpdateByID(ctx, k.ID, &godo.KeyUpdateRequest{Name: "old laptop"})
	wantCode(t, "rename key", resp, err, http.StatusOK)
	if renamed.Name != "old laptop" {
		t.Errorf("renamed key: %+v", renamed)
	}
	req := createReq("keyed")
	req.SSHKeys = []godo.DropletCreateSSHKey{{Fingerprint: k.Fingerprint}, {ID: 12345}}
	create(t, env, req)
	req = createReq("unkeyed")
	req.SSHKeys = []godo.DropletCreateSSHKey{{ID: 99}}
	_, _, err = env.Client.Droplets.Create(ctx, req)
	refused(t, "a droplet with an unknown key", err, "invalid SSH key")
	resp, err = env.Client.Keys.DeleteByFingerprint(ctx, k.Fingerprint)
	wantCode(t, "delete key", resp, err, http.StatusNoContent)
	_, _, err = env.Client.Keys.GetByID(ctx, k.ID)
	wantStatus(t, err, http.StatusNotFound)
}

func TestVPCs(t *testing.T) {
	t.Parallel()
	env := startDemo(t)
	ctx := context.Background()
	d := listAll(t, env, "", 200)[0]
	def, resp, err := env.Client.VPCs.Get(ctx, d.VPCUUID)
	wantCode(t, "the droplet's VPC", resp, err, http.StatusOK)
	if !def.Default || def.RegionSlug != d.Region.Slug || def.IPRange == "" {
		t.Errorf("a droplet's VPC is its region's default: %+v", def)
	}
	members, resp, err := env.Client.VPCs.ListMembers(ctx, def.ID, &godo.VPCListMembersRequest{ResourceType: "droplet"}, &godo.ListOptions{PerPage: 200})
	wantCode(t, "VPC members", resp, err, http.StatusOK)
	if len(members) == 0 || members[0].URN != "do:droplet:"+strconv.Itoa(d.ID) {
		t.Errorf("members of %s: %+v", def.Name, members)
	}
	v, resp, err := env.Client.VPCs.Create(ctx, &godo.VPCCreateRequest{Name: "backend", RegionSlug: "nyc3", IPRange: "10.250.0.0/20"})
	wantCode(t, "create VPC", resp, err, http.StatusCreated)
	for _, bad := range []*godo.VPCCreateRequest{
		{Name: "overlap", RegionSlug: "nyc3", IPRange: "10.250.8.0/24"},
		{Name: "public", RegionSlug: "nyc3", IPRange: "8.8.0.0/20"},
		{Name: "wide", RegionSlug: "nyc3", IPRange: "10.0.0.0/8"},
		{Name: "nowhere", RegionSlug: "xyz9"},
	} {
		_, _, err := env.Client.VPCs.Create(ctx, bad)
		wantStatus(t, err, http.StatusUnprocessableEntity)
	}
	req := createReq("in-backend")
	req.VPCUUID = v.ID
	if got := create(t, env, req); got.VPCUUID != v.ID {
		t.Errorf("created in %s, want %s", got.VPCUUID, v.ID)
	}
	yes := true
	updated, resp, err := env.Client.VPCs.Update(ctx, v.ID, &godo.VPCUpdateRequest{Name: "backend-2", Default: &yes})
	wantCode(t, "update VPC", resp, err, http.StatusOK)
	if !updated.Default || updated.Name != "backend-2" {
		t.Errorf("updated VPC: %+v", updated)
	}
	if old, _, _ := env.Client.VPCs.Get(ctx, def.ID); d.Region.Slug == "nyc3" && old.Default {
		t.Errorf("the old default of nyc3 kept the mark")
	}
	_, err = env.Client.VPCs.Delete(ctx, v.ID)
	wantStatus(t, err, http.StatusForbidden) // the default, and it has a member
	patched, _, err := env.Client.VPCs.Set(ctx, v.ID, godo.VPCSetDescription("the backend"))
	if err != nil || patched.Description != "the backend" || patched.Name != "backend-2" {
		t.Errorf("PATCH: %+v, %v", patched, err)
	}
}

func TestProjects(t *testing.T) {
	t.Parallel()
	env := startDemo(t)
	ctx := context.Background()
	def, resp, err := env.Client.Projects.GetDefault(ctx)
	wantCode(t, "default project", resp, err, http.StatusOK)
	lbs, _, err := env.Client.LoadBalancers.List(ctx, nil)
	if err != nil || len(lbs) == 0 {
		t.Fatal(err)
	}
	if got, _, err := env.Client.Projects.Get(ctx, lbs[0].ProjectID); err != nil || got.ID != def.ID || !got.IsDefault {
		t.Errorf("a load balancer's project_id %q does not resolve to the default project: %+v, %v", lbs[0].ProjectID, got, err)
	}
	res, _, err := env.Client.Projects.ListResources(ctx, def.ID, &godo.ListOptions{PerPage: 200})
	if err != nil || len(res) < 48 {
		t.Errorf("the default project holds %d resources (%v), want every droplet and more", len(res), err)
	}
	p, resp, err := env.Client.Projects.Create(ctx, &godo.CreateProjectRequest{Name: "web", Purpose: "Web Application", Environment: "Production"})
	wantCode(t, "create project", resp, err, http.StatusCreated)
	_, _, err = env.Client.Projects.Create(ctx, &godo.CreateProjectRequest{Name: "WEB", Purpose: "again"})
	wantStatus(t, err, http.StatusUnprocessableEntity)
	d := create(t, env, createReq("moved"))
	urn := "do:droplet:" + strconv.Itoa(d.ID)
	assigned, resp, err := env.Client.Projects.AssignResources(ctx, p.ID, urn)
	wantCode(t, "assign", resp, err, http.StatusOK)
	if len(assigned) != 1 || assigned[0].URN != urn || assigned[0].Status != "assigned" {
		t.Errorf("assigned: %+v", assigned)
	}
	_, _, err = env.Client.Projects.AssignResources(ctx, p.ID, "do:droplet:1")
	wantStatus(t, err, http.StatusNotFound)
	_, err = env.Client.Projects.Delete(ctx, p.ID)
	wantStatus(t, err, http.StatusPreconditionFailed)
	updated, _, err := env.Client.Projects.Update(ctx, p.ID, &godo.UpdateProjectRequest{Description: "the web tier"})
	if err != nil || updated.Description != "the web tier" || updated.Name != "web" {
		t.Errorf("PATCH project: %+v, %v", updated, err)
	}
	if _, err := env.Client.Droplets.Delete(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	resp, err = env.Client.Projects.Delete(ctx, p.ID)
	wantCode(t, "delete an emptied project", resp, err, http.StatusNoContent)
	_, err = env.Client.Projects.Delete(ctx, def.ID)
	wantStatus(t, err, http.StatusPreconditionFailed)
}

func TestFirewalls(t *testing.T) {
	t.Parallel()
	env := startDemo(t)
	ctx := context.Background()
	web := listAll(t, env, "role:web", 200)
	in := []godo.InboundRule{{Protocol: "tcp", PortRange: "80", Sources: &godo.Sources{Addresses: []string{"0.0.0.0/0"}}},
		{Protocol: "icmp", Sources: &godo.Sources{Tags: []string{"role:edge"}}}}
	out := []godo.OutboundRule{{Protocol: "tcp", PortRange: "1-65535", Destinations: &godo.Destinations{Addresses: []string{"0.0.0.0/0", "::/0"}}}}
	fw, resp, err := env.Client.Firewalls.Create(ctx, &godo.FirewallRequest{Name: "web-in", Tags: []string{"role:web"},
		InboundRules: in, OutboundRules: out})
	wantCode(t, "create firewall", resp, err, http.StatusAccepted)
	if fw.Status != "succeeded" || len(fw.InboundRules) != 2 || fw.InboundRules[1].PortRange != "0" {
		t.Errorf("firewall: %+v", fw)
	}
	for _, bad := range []*godo.FirewallRequest{
		{Name: "-bad", InboundRules: in},
		{Name: "notag", Tags: []string{"no-such-tag"}},
		{Name: "ports", InboundRules: []godo.InboundRule{{Protocol: "tcp", PortRange: "99999", Sources: &godo.Sources{Addresses: []string{"0.0.0.0/0"}}}}},
		{Name: "nosource", InboundRules: []godo.InboundRule{{Protocol: "udp", PortRange: "53", Sources: &godo.Sources{}}}},
	} {
		_, _, err := env.Client.Firewalls.Create(ctx, bad)
		wantStatus(t, err, http.StatusBadRequest)
	}
	mine, _, err := env.Client.Firewalls.ListByDroplet(ctx, web[0].ID, nil)
	if err != nil || len(mine) != 1 || mine[0].ID != fw.ID {
		t.Errorf("firewalls of a web droplet (by tag): %+v, %v", mine, err)
	}
	other := listAll(t, env, "role:worker", 200)[0]
	resp, err = env.Client.Firewalls.AddDroplets(ctx, fw.ID, other.ID)
	wantCode(t, "add droplet", resp, err, http.StatusNoContent)
	resp, err = env.Client.Firewalls.AddRules(ctx, fw.ID, &godo.FirewallRulesRequest{InboundRules: []godo.InboundRule{
		{Protocol: "tcp", PortRange: "443", Sources: &godo.Sources{Addresses: []string{"0.0.0.0/0"}}}}})
	wantCode(t, "add rule", resp, err, http.StatusNoContent)
	got, _, err := env.Client.Firewalls.Get(ctx, fw.ID)
	if err != nil || len(got.InboundRules) != 3 || len(got.DropletIDs) != 1 {
		t.Errorf("after adding: %+v, %v", got, err)
	}
	if _, err := env.Client.Droplets.Delete(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if got, _, _ = env.Client.Firewalls.Get(ctx, fw.ID); len(got.DropletIDs) != 0 {
		t.Errorf("a deleted droplet stays in the firewall: %v", got.DropletIDs)
	}
	got.Name = "web-in-2"
	updated, resp, err := env.Client.Firewalls.Update(ctx, fw.ID, &godo.FirewallRequest{Name: "web-in-2", Tags: got.Tags,
		InboundRules: got.InboundRules[:1], OutboundRules: got.OutboundRules})
	wantCode(t, "update firewall", resp, err, http.StatusOK)
	if updated.Name != "web-in-2" || len(updated.InboundRules) != 1 {
		t.Errorf("updated: %+v", updated)
	}
	resp, err = env.Client.Firewalls.Delete(ctx, fw.ID)
	wantCode(t, "delete firewall", resp, err, http.StatusNoContent)
	_, _, err = env.Client.Firewalls.Get(ctx, fw.ID)
	wantStatus(t, err, http.StatusNotFound)
}
