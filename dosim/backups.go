package dosim

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/droplets/{id}/backups/policy", s.getBackupPolicy)
		api("GET /v2/droplets/backups/policies", s.listBackupPolicies)
		api("GET /v2/droplets/backups/supported_policies", s.listSupportedPolicies)
	})
	actionEffects["enable_backups"] = backupEffect(func(d *Droplet, p *BackupPolicy) { d.Backups, d.BackupPolicy = true, p })
	actionEffects["change_backup_policy"] = backupEffect(func(d *Droplet, p *BackupPolicy) { d.BackupPolicy = p })
	actionEffects["disable_backups"] = backupEffect(func(d *Droplet, _ *BackupPolicy) { d.Backups, d.BackupPolicy = false, nil })
	actionEffects["restore"] = func(s *Sim, a *Action) {} // the disk is the backup's again; nothing the API shows changes
}

// The backup plans DigitalOcean offers: a four-hour window starting at one of these
// hours (UTC), daily with seven days' retention or weekly with four weeks'.
var (
	backupHours    = []int{0, 4, 8, 12, 16, 20}
	backupWeekdays = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
)

const backupWindowHours = 4

// retentionDays is how long a plan keeps its backups.
func retentionDays(plan string) int {
	if plan == "weekly" {
		return 28
	}
	return 7
}

// keptBackups is how many backups a plan keeps.
func keptBackups(plan string) int {
	if plan == "weekly" {
		return 4
	}
	return 7
}

// backupPolicyFields is a backup_policy as requests send it; every field is optional.
type backupPolicyFields struct {
	Plan    string `json:"plan"`
	Weekday string `json:"weekday"`
	Hour    *int   `json:"hour"`
}

// resolve fills in DigitalOcean's defaults (daily; weekly on Sunday; a window picked
// for the droplet) and refuses values outside the plans.
func (f *backupPolicyFields) resolve(d *Droplet) (*BackupPolicy, *failure) {
	p := &BackupPolicy{Plan: "daily", Hour: backupHours[d.ID%len(backupHours)]}
	if f == nil {
		return p, nil
	}
	switch f.Plan {
	case "", "daily":
	case "weekly":
		p.Plan, p.Weekday = "weekly", "SUN"
	default:
		return nil, refuse("The backup plan must be daily or weekly, not %q.", f.Plan)
	}
	if f.Weekday != "" && p.Plan == "weekly" {
		if !hasString(backupWeekdays, f.Weekday) {
			return nil, refuse("The backup weekday must be one of SUN, MON, TUE, WED, THU, FRI, SAT, not %q.", f.Weekday)
		}
		p.Weekday = f.Weekday
	}
	if f.Hour != nil {
		if !hasInt(backupHours, *f.Hour) {
			return nil, refuse("The backup hour must be one of 0, 4, 8, 12, 16, 20, not %d.", *f.Hour)
		}
		p.Hour = *f.Hour
	}
	return p, nil
}

func (p *BackupPolicy) params() map[string]string {
	return map[string]string{"plan": p.Plan, "weekday": p.Weekday, "hour": strconv.Itoa(p.Hour)}
}

func policyFromParams(m map[string]string) *BackupPolicy {
	h, _ := strconv.Atoi(m["hour"])
	return &BackupPolicy{Plan: m["plan"], Weekday: m["weekday"], Hour: h}
}

func backupEffect(apply func(*Droplet, *BackupPolicy)) func(*Sim, *Action) {
	return func(s *Sim, a *Action) {
		if d, ok := s.w.Droplets[a.ResourceID]; ok {
			apply(d, policyFromParams(a.Params))
		}
	}
}

func checkEnableBackups(_ *Sim, d *Droplet, req *dropletActionRequest) (map[string]string, *failure) {
	p, f := req.BackupPolicy.resolve(d)
	if f != nil {
		return nil, f
	}
	return p.params(), nil
}

func checkChangeBackupPolicy(_ *Sim, d *Droplet, req *dropletActionRequest) (map[string]string, *failure) {
	if !d.Backups {
		return nil, refuse("Backups are not enabled on this Droplet; enable them with a policy instead.")
	}
	if req.BackupPolicy == nil {
		return nil, refuse("backup_policy is required to change the backup policy.")
	}
	p, f := req.BackupPolicy.resolve(d)
	if f != nil {
		return nil, f
	}
	return p.params(), nil
}

func checkDisableBackups(_ *Sim, d *Droplet, _ *dropletActionRequest) (map[string]string, *failure) {
	if !d.Backups {
		return nil, refuse("Backups are already disabled on this Droplet.")
	}
	return nil, nil
}

// nextBackupWindow is when the droplet's next backup will start, or nil without backups.
func (w *world) nextBackupWindow(d *Droplet) *backupWindow {
	p := d.BackupPolicy
	if !d.Backups || p == nil {
		return nil
	}
	now := time.Now().UTC()
	start := time.Date(now.Year(), now.Month(), now.Day(), p.Hour, 0, 0, 0, time.UTC)
	for !start.After(now) || (p.Plan == "weekly" && backupWeekdays[start.Weekday()] != p.Weekday) {
		start = start.AddDate(0, 0, 1)
	}
	return &backupWindow{Start: ts(start), End: ts(start.Add(backupWindowHours * time.Hour))}
}

// TakeBackup takes the backup a droplet's next window would take, now, keeping as many
// as its plan retains. It is the simulator's stand-in for waiting for the window
// (POST /_sim/droplets/{id}/backups does the same).
func (s *Sim) TakeBackup(dropletID int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.w.Droplets[dropletID]
	if !ok || !d.Backups || d.BackupPolicy == nil {
		return 0, fmt.Errorf("droplet %d has no backups enabled", dropletID)
	}
	im := s.w.takeBackup(d, s.now())
	s.saveStateLocked()
	return im.ID, nil
}

// takeBackup records a backup of a droplet at a time, dropping the oldest beyond what
// its plan retains.
func (w *world) takeBackup(d *Droplet, at time.Time) *Image {
	im := w.imageOf(d, d.Name+" "+at.Format("2006-01-02"), "backup", at)
	d.BackupIDs = append(d.BackupIDs, im.ID)
	for len(d.BackupIDs) > keptBackups(d.BackupPolicy.Plan) {
		delete(w.Images, d.BackupIDs[0])
		d.BackupIDs = d.BackupIDs[1:]
	}
	return im
}

func (s *Sim) handleTakeBackup(w http.ResponseWriter, r *http.Request) {
	id, _ := pathInt(r, "id")
	imageID, err := s.TakeBackup(id)
	if err != nil {
		s.write(w, &reqInfo{}, http.StatusUnprocessableEntity, &errorBody{ID: "unprocessable_entity", Message: err.Error()})
		return
	}
	s.write(w, &reqInfo{}, http.StatusCreated, obj{"backup_id": imageID})
}

// renderDropletImage is a backup or snapshot as a droplet's listings show it.
func renderDropletImage(im *Image) obj {
	o := renderImage(im)
	delete(o, "status")
	delete(o, "error_message")
	return o
}

func (s *Sim) imagesOf(r *http.Request, key string, ids []int) (int, any) {
	list := make([]*Image, 0, len(ids))
	for _, id := range ids {
		if im, ok := s.w.Images[id]; ok {
			list = append(list, im)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return s.listing(r, key, len(list), func(i int) any { return renderDropletImage(list[i]) })
}

func (s *Sim) listDropletBackups(r *http.Request, _ *reqInfo) (int, any) {
	d, ok := s.droplet(r)
	if !ok {
		return notFound()
	}
	return s.imagesOf(r, "backups", d.BackupIDs)
}

func (s *Sim) listDropletSnapshots(r *http.Request, _ *reqInfo) (int, any) {
	d, ok := s.droplet(r)
	if !ok {
		return notFound()
	}
	return s.imagesOf(r, "snapshots", d.Snapshots)
}

// renderPolicy is a droplet's backup policy record.
func (w *world) renderPolicy(d *Droplet) obj {
	o := obj{"droplet_id": d.ID, "backup_enabled": d.Backups}
	if p := d.BackupPolicy; d.Backups && p != nil {
		bp := obj{"plan": p.Plan, "hour": p.Hour, "window_length_hours": backupWindowHours, "retention_period_days": retentionDays(p.Plan)}
		if p.Weekday != "" {
			bp["weekday"] = p.Weekday
		}
		o["backup_policy"] = bp
		o["next_backup_window"] = w.nextBackupWindow(d)
	}
	return o
}

func (s *Sim) getBackupPolicy(r *http.Request, _ *reqInfo) (int, any) {
	d, ok := s.droplet(r)
	if !ok {
		return notFound()
	}
	return http.StatusOK, obj{"policy": s.w.renderPolicy(d)}
}

// listBackupPolicies pages through the droplets, answering a map of their policies by ID.
func (s *Sim) listBackupPolicies(r *http.Request, _ *reqInfo) (int, any) {
	list := s.w.sortedDroplets(nil)
	p, ok := s.paginate(r, len(list))
	if !ok {
		return badRequest("page and per_page must be positive integers")
	}
	policies := obj{}
	for _, d := range list[p.start:p.end] {
		policies[strconv.Itoa(d.ID)] = s.w.renderPolicy(d)
	}
	return http.StatusOK, obj{"policies": policies, "links": p.links, "meta": obj{"total": p.total}}
}

func (s *Sim) listSupportedPolicies(*http.Request, *reqInfo) (int, any) {
	plan := func(name string, days []string) obj {
		return obj{"name": name, "possible_window_starts": backupHours, "window_length_hours": backupWindowHours,
			"retention_period_days": retentionDays(name), "possible_days": days}
	}
	return http.StatusOK, obj{"supported_policies": []obj{plan("weekly", backupWeekdays), plan("daily", []string{})}}
}

// kernels are the externally managed kernels the simulator offers (the first is the
// API description's example). Only droplets from before March 2017 use one.
var kernels = []Kernel{
	{ID: 7515, Name: "DigitalOcean GrubLoader v0.2 (20160714)", Version: "2016.07.13-DigitalOcean_loader_Ubuntu"},
	{ID: 7516, Name: "Ubuntu 16.04 x64 vmlinuz-4.4.0-31-generic", Version: "4.4.0-31-generic"},
	{ID: 7517, Name: "Ubuntu 16.04 x64 vmlinuz-4.4.0-36-generic", Version: "4.4.0-36-generic"},
}

func kernelByID(id int) (Kernel, bool) {
	for _, k := range kernels {
		if k.ID == id {
			return k, true
		}
	}
	return Kernel{}, false
}

func (s *Sim) listKernels(r *http.Request, _ *reqInfo) (int, any) {
	if _, ok := s.droplet(r); !ok {
		return notFound()
	}
	return s.listing(r, "kernels", len(kernels), func(i int) any { return kernels[i] })
}
