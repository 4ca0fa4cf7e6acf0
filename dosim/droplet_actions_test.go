package dosim_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// done waits for a droplet action to complete and returns it.
func done(t *testing.T, env *dosimtest.Env, dropletID int, a *godo.Action, resp *godo.Response, err error) *godo.Action {
	t.Helper()
	wantCode(t, "post "+dropletAction(a), resp, err, http.StatusCreated)
	return waitAction(t, a.Type, func(ctx context.Context) (*godo.Action, *godo.Response, error) {
		return env.Client.DropletActions.Get(ctx, dropletID, a.ID)
	})
}

func dropletAction(a *godo.Action) string {
	if a == nil {
		return "action"
	}
	return a.Type
}

// refused checks that an action was answered 422 with a message containing want.
func refused(t *testing.T, what string, err error, want string) {
	t.Helper()
	if er := wantStatus(t, err, http.StatusUnprocessableEntity); !strings.Contains(er.Message, want) {
		t.Errorf("%s: refused with %q, want it to say %q", what, er.Message, want)
	}
}

// activeDroplet starts an empty world and creates one active droplet of a size in nyc3.
func activeDroplet(t *testing.T, size string) (*dosimtest.Env, *godo.Droplet) {
	t.Helper()
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	req := createReq("acted")
	req.Size = size
	return env, waitStatus(t, env, create(t, env, req).ID, "active")
}

func TestResize(t *testing.T) {
	t.Parallel()
	env, d := activeDroplet(t, "s-1vcpu-1gb")
	ctx := context.Background()
	_, _, err := env.Client.DropletActions.Resize(ctx, d.ID, "s-2vcpu-4gb", false)
	refused(t, "resize while on", err, "power it off")
	a, resp, err := env.Client.DropletActions.PowerOff(ctx, d.ID)
	done(t, env, d.ID, a, resp, err)
	for _, c := range []struct{ size, want string }{
		{"s-9vcpu-1tb", "invalid size"},
		{"gpu-h100x1-80gb", "not available in region nyc3"},
		{"s-1vcpu-1gb", "already of size"},
		{"s-1vcpu-512mb-10gb", "a disk cannot shrink"},
	} {
		_, _, err := env.Client.DropletActions.Resize(ctx, d.ID, c.size, false)
		refused(t, "resize to "+c.size, err, c.want)
	}
	// CPU and memory only: the disk stays 25 GB, so the droplet can go back down.
	a, resp, err = env.Client.DropletActions.Resize(ctx, d.ID, "s-2vcpu-4gb", false)
	done(t, env, d.ID, a, resp, err)
	if got := getDroplet(t, env, d.ID); got.SizeSlug != "s-2vcpu-4gb" || got.Vcpus != 2 || got.Memory != 4096 || got.Disk != 25 {
		t.Errorf("after a CPU/RAM resize: %s, %d vCPUs, %d MB, %d GB disk", got.SizeSlug, got.Vcpus, got.Memory, got.Disk)
	}
	a, resp, err = env.Client.DropletActions.Resize(ctx, d.ID, "s-1vcpu-1gb", false)
	done(t, env, d.ID, a, resp, err)
	// With the disk: permanent.
	a, resp, err = env.Client.DropletActions.Resize(ctx, d.ID, "s-2vcpu-2gb", true)
	done(t, env, d.ID, a, resp, err)
	if got := getDroplet(t, env, d.ID); got.SizeSlug != "s-2vcpu-2gb" || got.Disk != 60 {
		t.Errorf("after a disk resize: %s, %d GB disk", got.SizeSlug, got.Disk)
	}
	_, _, err = env.Client.DropletActions.Resize(ctx, d.ID, "s-1vcpu-2gb", false)
	refused(t, "resize below the grown disk", err, "a disk cannot shrink")
	history(t, env, d.ID, "resize", "resize", "resize", "power_off", "create")
}

// history checks a droplet's newest actions, newest first, and that the first page of
// the account's feed holds the newest one too.
func history(t *testing.T, env *dosimtest.Env, id int, want ...string) {
	t.Helper()
	ctx := context.Background()
	list, resp, err := env.Client.Droplets.Actions(ctx, id, &godo.ListOptions{PerPage: 200})
	wantCode(t, "droplet actions", resp, err, http.StatusOK)
	var got []string
	for i, a := range list {
		if i < len(want) {
			got = append(got, a.Type)
		}
		if a.StartedAt == nil || a.CompletedAt == nil || a.ResourceID != id || a.ResourceType != "droplet" || a.RegionSlug == "" {
			t.Errorf("action %d %s: %+v", a.ID, a.Type, a)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("droplet %d's actions, newest first: %v, want %v", id, got, want)
	}
	feed, _, err := env.Client.Actions.List(ctx, nil)
	if err != nil || len(list) == 0 || !slices.ContainsFunc(feed, func(a godo.Action) bool { return a.ID == list[0].ID }) {
		t.Errorf("the account's newest actions miss the droplet's newest (%v)", err)
	}
}

func TestPasswordResetAndKernels(t *testing.T) {
	t.Parallel()
	env := startDemo(t)
	ctx := context.Background()
	all := listAll(t, env, "", 200)
	var external, internal godo.Droplet
	for _, d := range all {
		if d.Kernel != nil {
			external = d
		} else {
			internal = d
		}
	}
	if external.ID == 0 {
		t.Fatal("the demo has no droplet with an externally managed kernel")
	}
	a, resp, err := env.Client.DropletActions.PasswordReset(ctx, internal.ID)
	done(t, env, internal.ID, a, resp, err)
	kernels, resp, err := env.Client.Droplets.Kernels(ctx, external.ID, nil)
	wantCode(t, "kernels", resp, err, http.StatusOK)
	if len(kernels) < 2 {
		t.Fatalf("kernels: %+v", kernels)
	}
	_, _, err = env.Client.DropletActions.ChangeKernel(ctx, internal.ID, kernels[1].ID)
	refused(t, "change_kernel on an internal kernel", err, "internally managed kernel")
	_, _, err = env.Client.DropletActions.ChangeKernel(ctx, external.ID, 1)
	refused(t, "an unknown kernel", err, "invalid kernel")
	a, resp, err = env.Client.DropletActions.ChangeKernel(ctx, external.ID, kernels[1].ID)
	done(t, env, external.ID, a, resp, err)
	if d := getDroplet(t, env, external.ID); d.Kernel == nil || d.Kernel.ID != kernels[1].ID {
		t.Errorf("kernel after change_kernel: %+v", d.Kernel)
	}
	history(t, env, external.ID, "change_kernel", "change_kernel", "create")
	history(t, env, internal.ID, "password_reset")
}

func TestBackups(t *testing.T) {
	t.Parallel()
	env, d := activeDroplet(t, "s-1vcpu-1gb")
	ctx := context.Background()
	if d.NextBackupWindow != nil || len(d.BackupIDs) != 0 {
		t.Errorf("a droplet without backups: window %+v, backups %v", d.NextBackupWindow, d.BackupIDs)
	}
	_, _, err := env.Client.DropletActions.ChangeBackupPolicy(ctx, d.ID, &godo.DropletBackupPolicyRequest{Plan: "weekly"})
	refused(t, "change_backup_policy without backups", err, "not enabled")
	hour := 20
	_, _, err = env.Client.DropletActions.EnableBackupsWithPolicy(ctx, d.ID, &godo.DropletBackupPolicyRequest{Plan: "hourly"})
	refused(t, "an unknown plan", err, "daily or weekly")
	a, resp, err := env.Client.DropletActions.EnableBackupsWithPolicy(ctx, d.ID, &godo.DropletBackupPolicyRequest{Plan: "daily", Hour: &hour})
	done(t, env, d.ID, a, resp, err)
	got := getDroplet(t, env, d.ID)
	w := got.NextBackupWindow
	if w == nil || w.Start.Hour() != 20 || w.End.Sub(w.Start.Time) != 4*time.Hour || !w.Start.After(time.Now()) || !hasTag(got.Features, "backups") {
		t.Fatalf("after enable_backups: window %+v, features %v", w, got.Features)
	}
	pol, resp, err := env.Client.Droplets.GetBackupPolicy(ctx, d.ID)
	wantCode(t, "backup policy", resp, err, http.StatusOK)
	if !pol.BackupEnabled || pol.BackupPolicy.Plan != "daily" || pol.BackupPolicy.RetentionPeriodDays != 7 {
		t.Errorf("policy: %+v %+v", pol, pol.BackupPolicy)
	}
	backupID, err := env.Sim.TakeBackup(d.ID)
	if err != nil {
		t.Fatal(err)
	}
	backups, resp, err := env.Client.Droplets.Backups(ctx, d.ID, nil)
	wantCode(t, "backups", resp, err, http.StatusOK)
	if len(backups) != 1 || backups[0].ID != backupID || backups[0].Type != "backup" {
		t.Fatalf("backups: %+v", backups)
	}
	if ids := getDroplet(t, env, d.ID).BackupIDs; len(ids) != 1 || ids[0] != backupID {
		t.Errorf("backup_ids: %v, want [%d]", ids, backupID)
	}
	_, _, err = env.Client.DropletActions.Restore(ctx, d.ID, d.Image.ID)
	refused(t, "restore from an image that is no backup", err, "must be a backup of this Droplet")
	a, resp, err = env.Client.DropletActions.Restore(ctx, d.ID, backupID)
	done(t, env, d.ID, a, resp, err)
	a, resp, err = env.Client.DropletActions.ChangeBackupPolicy(ctx, d.ID, &godo.DropletBackupPolicyRequest{Plan: "weekly", Weekday: "TUE", Hour: &hour})
	done(t, env, d.ID, a, resp, err)
	if w := getDroplet(t, env, d.ID).NextBackupWindow; w == nil || w.Start.Weekday() != time.Tuesday {
		t.Errorf("a weekly policy on Tuesdays: window %+v", w)
	}
	a, resp, err = env.Client.DropletActions.DisableBackups(ctx, d.ID)
	done(t, env, d.ID, a, resp, err)
	if got := getDroplet(t, env, d.ID); got.NextBackupWindow != nil || hasTag(got.Features, "backups") {
		t.Errorf("after disable_backups: window %+v, features %v", got.NextBackupWindow, got.Features)
	}
	history(t, env, d.ID, "disable_backups", "change_backup_policy", "restore", "enable_backups", "create")
}

func TestBackupPolicyListings(t *testing.T) {
	t.Parallel()
	env := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	ctx := context.Background()
	req := createReq("backed-up")
	req.Backups = true
	d := create(t, env, req)
	plain := create(t, env, createReq("plain"))
	policies, resp, err := env.Client.Droplets.ListBackupPolicies(ctx, nil)
	wantCode(t, "backup policies", resp, err, http.StatusOK)
	if len(policies) != 2 || !policies[d.ID].BackupEnabled || policies[plain.ID].BackupEnabled || policies[d.ID].NextBackupWindow == nil {
		t.Errorf("policies: %+v", policies)
	}
	supported, resp, err := env.Client.Droplets.ListSupportedBackupPolicies(ctx)
	wantCode(t, "supported policies", resp, err, http.StatusOK)
	if len(supported) != 2 || supported[0].Name != "weekly" || len(supported[0].PossibleDays) != 7 || supported[1].RetentionPeriodDays != 7 {
		t.Errorf("supported policies: %+v", supported)
	}
	snaps, resp, err := env.Client.Droplets.Snapshots(ctx, d.ID, nil)
	wantCode(t, "droplet snapshots", resp, err, http.StatusOK)
	if len(snaps) != 0 {
		t.Errorf("a new droplet's snapshots: %+v", snaps)
	}
}
