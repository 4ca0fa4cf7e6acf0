package actions

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/fleet"
)

// A journal lost with its state directory, or damaged, is rebuilt from what the cloud
// holds: every droplet of a rollout carries its lock tag, and every droplet it created
// one of its create tags besides, with the old droplet's name. Recover reads them:
//
//   - a new droplet whose old one is gone (or powered off and kept, or being powered
//     off: the only action molt runs on an old droplet) is done;
//   - a new droplet beside its old one, still running, has not finished: it is taken as
//     created, and as possibly handed over, so that a resume health checks it before it
//     goes into service and a rollback hands back (checking each load balancer and
//     reserved IP first) before it destroys it;
//   - an old droplet with no new one is pending;
//   - a re-creation by a rollback means the rollout was rolling back;
//   - a volume tagged with an old droplet (VolumeTag) is one of its volumes, even when a
//     move left it attached to nothing: the move goes on (and --move-volumes with it).
//
// The plan the journal starts with holds those replacements (done and in flight first,
// then the pending ones in waves of the strategy given) onto the target the new
// droplets run (or the one given), or, for a rollout onto the image each server runs
// (its new droplets carry OwnImageTag), each onto its own. The image an old droplet that
// is gone ran is on its new droplet (ImageTag), so a rollback re-creates it from that; a
// new droplet without the tag (made by a molt before it) leaves the image unknown, and
// that replacement cannot be rolled back (Rollback refuses, naming it; resume finishes
// the rollout). What the cloud cannot say at all: the strategy of the lost plan (health
// check, surge, ...), which the operator gives again.

// Recovery says that a journal was rebuilt, and from what.
type Recovery struct {
	At   time.Time `json:"at"`
	From string    `json:"from"`
	// Replaced is where the damaged journal it replaces was moved ("" when none).
	Replaced string `json:"replaced,omitempty"`
	// VolumeTags are the tags moves of volumes left on them (VolumeTag), which the
	// rollout removes as it ends.
	VolumeTags []string `json:"volume_tags,omitempty"`
}

// RecoverOptions say what the cloud cannot.
type RecoverOptions struct {
	// Strategy runs the rest of the rollout (its Retire mode becomes keep when old
	// droplets are kept powered off).
	Strategy Strategy
	// Target is the image, by name or ID, when no new droplet was made yet.
	Target string
	// SameImage says the rollout replaced each server onto the image it runs (molt
	// recover --to current), when no new droplet was made yet; once one was, its
	// OwnImageTag says so.
	SameImage bool
}

// Recover rebuilds the journal of rollout id in opt.Dir from the cloud's tags and
// returns its path. A journal there that can be read is left alone (an error says to
// resume it); a damaged one is moved aside. A rollout that another live driver holds
// the lease of is refused.
func Recover(ctx context.Context, c *godo.Client, id string, ro RecoverOptions, opt Options) (string, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return "", err
	}
	path := JournalPath(opt.Dir, id)
	if _, err := ReadJournal(path); err == nil {
		return "", fmt.Errorf("rollout %s has a readable journal here (%s): resume or roll it back", id, path)
	}
	a := &api{c: c, timing: opt.Timing, publish: func(Event) {}, halted: func() bool { return false }}
	found, err := a.listByTag(ctx, RolloutTag(id))
	if err != nil {
		return "", err
	}
	if len(found) == 0 {
		return recoverUnlocked(ctx, a, id, path, opt)
	}
	tags := make([][]string, len(found))
	for i, d := range found {
		tags[i] = d.Tags
	}
	if d, until, ok := LeaseOf(id, tags); ok {
		return "", &DrivenError{Rollout: id, Driver: d, Until: until}
	}
	if err := refusePoolLock(ctx, c, id, found); err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err == nil {
		release, err := holdJournal(path) // the damaged one: no process drives it
		if err != nil {
			return "", err
		}
		defer release()
	}
	r := &rebuild{id: id, found: found}
	h, recs, err := r.journal(ctx, c, ro, opt)
	if err != nil {
		return "", err
	}
	return writeRecovered(opt.Dir, path, h, recs)
}

// refusePoolLock refuses to rebuild the journal of a pool rollout: its lock is on a
// pool's members, and what a pool rollout needs to go on or back (the template's image
// before it, the health check) is not in the cloud. Rebuilt as a droplet rollout, it
// would leave every member out and release the lock with the template half rolled.
func refusePoolLock(ctx context.Context, c *godo.Client, id string, found []godo.Droplet) error {
	pools, err := fleet.ReadPools(ctx, c)
	if err != nil {
		return fmt.Errorf("read the autoscale pools, to tell a pool rollout's lock: %w", err)
	}
	for _, p := range pools {
		if slices.ContainsFunc(found, func(d godo.Droplet) bool { return p.HasMember(d.ID) }) {
			return fmt.Errorf("rollout %s locks members of autoscale pool %s: a pool rollout cannot be rebuilt from the cloud (the template's previous image is not there); lift its lock with `molt unlock %s`, look at the pool's template with `molt status`, and roll the pool again with `molt apply --pool %s --to IMAGE`",
				id, p.Name, id, p.Name)
		}
	}
	return nil
}

// LockedRollouts lists the rollouts whose lock some droplet of the account carries.
func LockedRollouts(ctx context.Context, c *godo.Client) ([]string, error) {
	servers, err := fleet.Load(ctx, c, fleet.LoadOptions{})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, s := range servers {
		if id := LockOf(s.Tags); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// rebuild turns the droplets carrying a rollout's lock into its journal.
type rebuild struct {
	id    string
	found []godo.Droplet
	// images are the images old droplets that are gone ran, by ID, as their new
	// droplets record them (ImageTag).
	images map[int]fleet.Version
}

// unknownImage stands for the image of an old droplet that is gone when its new droplet
// does not say it: a rollback cannot re-create it.
var unknownImage = fleet.Version{Name: "an unknown image (recovered)"}

// oldImages reads the images that the new droplets whose old one is gone record. An
// image deleted since is left out: nothing can be re-created from it.
func (r *rebuild) oldImages(ctx context.Context, c *godo.Client, old, made map[string]godo.Droplet) (map[int]fleet.Version, error) {
	out := map[int]fleet.Version{}
	for name, n := range made {
		id := imageOfTags(r.id, n.Tags)
		if _, ok := old[name]; ok || id == 0 || out[id].ImageID != 0 {
			continue
		}
		im, err := readImage(ctx, c, id)
		if err != nil {
			return nil, fmt.Errorf("read image %d, which %s ran before: %w", id, name, err)
		}
		if im != nil {
			out[id] = fleet.VersionFromImage(im)
		}
	}
	return out, nil
}

// volumes finds the volumes that moves left tagged with whose they are (VolumeTag) and
// counts each among the volumes of its old droplet, when that is found, so that the
// move goes on (one left attached to nothing by a detach is attached to the new
// droplet). It returns the tags.
func (r *rebuild) volumes(ctx context.Context, c *godo.Client) ([]string, error) {
	byOld, err := movedVolumes(ctx, c, r.id)
	if err != nil {
		return nil, err
	}
	var tags []string
	for _, n := range slices.Sorted(maps.Keys(byOld)) {
		tags = append(tags, VolumeTag(r.id, n))
	}
	for i := range r.found {
		d := &r.found[i]
		for _, v := range byOld[d.ID] {
			if !slices.Contains(d.VolumeIDs, v) {
				d.VolumeIDs = append(d.VolumeIDs, v)
			}
		}
	}
	return tags, nil
}

// movedVolumes lists the volumes that carry a VolumeTag of rollout id, by the old
// droplet the tag names.
func movedVolumes(ctx context.Context, c *godo.Client, id string) (map[int][]string, error) {
	byOld := map[int][]string{}
	opt := &godo.ListVolumeParams{ListOptions: &godo.ListOptions{Page: 1, PerPage: 200}}
	for {
		var page []godo.Volume
		var resp *godo.Response
		err := readOnly(c).call(ctx, read, func(cctx context.Context) (*godo.Response, error) {
			var err error
			page, resp, err = c.Storage.ListVolumes(cctx, opt)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("list volumes: %w", err)
		}
		for _, v := range page {
			if n := volumeOfTags(id, v.Tags); n != 0 {
				byOld[n] = append(byOld[n], v.ID)
			}
		}
		if resp == nil || resp.Links == nil || resp.Links.IsLastPage() {
			return byOld, nil
		}
		opt.ListOptions.Page++
	}
}

// readImage reads an image by ID, with the engine's retries; nil when there is none.
func readImage(ctx context.Context, c *godo.Client, id int) (*godo.Image, error) {
	var im *godo.Image
	err := readOnly(c).call(ctx, read, func(cctx context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		im, resp, err = c.Images.GetByID(cctx, id)
		return resp, err
	})
	if isStatus(err, 404) {
		return nil, nil
	}
	return im, err
}

// kinds sorts the droplets found: old ones (selected, no create tag of the rollout),
// new ones by name (a create tag gN) and re-creations by name (bN).
func (r *rebuild) kinds() (old map[string]godo.Droplet, made map[string]godo.Droplet, restored map[string]godo.Droplet, maxGroup int) {
	old, made, restored = map[string]godo.Droplet{}, map[string]godo.Droplet{}, map[string]godo.Droplet{}
	e := &Executor{id: r.id}
	for _, d := range r.found {
		n, rb, ok := e.createdBy(d)
		switch {
		case !ok:
			old[d.Name] = d
		case rb:
			restored[d.Name] = d
		default:
			made[d.Name] = d
			maxGroup = max(maxGroup, n)
		}
	}
	return old, made, restored, maxGroup
}

// journal is the header and the records of the rebuilt journal.
func (r *rebuild) journal(ctx context.Context, c *godo.Client, ro RecoverOptions, opt Options) (Header, []Record, error) {
	volumeTags, err := r.volumes(ctx, c)
	if err != nil {
		return Header{}, nil, err
	}
	old, made, restored, maxGroup := r.kinds()
	same := ro.SameImage || r.ownImage(made)
	target, err := CurrentImage, error(nil)
	if !same {
		target, err = r.target(ctx, c, made, ro.Target)
	}
	if err != nil {
		return Header{}, nil, err
	}
	st := ro.Strategy
	st.MoveVolumes = st.MoveVolumes || len(volumeTags) > 0 // it was moving volumes
	for _, d := range old {
		if (d.Status == "off" || d.Locked) && made[d.Name].ID != 0 {
			st.Retire = Retire{Mode: RetireKeep}
		}
	}
	var servers []fleet.Server
	for _, d := range r.found {
		if _, n := old[d.Name]; n || made[d.Name].ID != 0 {
			servers = append(servers, withoutLock(fleet.ServerFromDroplet(&d), r.id))
		}
	}
	in, err := Gather(ctx, c, "recovered "+r.id, servers, target, st)
	if err != nil {
		return Header{}, nil, err
	}
	in.SameImage = same
	if r.images, err = r.oldImages(ctx, c, old, made); err != nil {
		return Header{}, nil, err
	}
	p, recs := r.plan(in, old, made, restored, maxGroup)
	h := Header{ID: r.id, Started: time.Now().UTC(), Operator: *opt.Operator, Molt: opt.Version, Plan: p,
		Recovered: &Recovery{At: time.Now().UTC(), From: "the cloud's tags", VolumeTags: volumeTags}}
	return h, recs, nil
}

// ownImage reports whether a new droplet says the rollout kept each server's image.
func (r *rebuild) ownImage(made map[string]godo.Droplet) bool {
	for _, d := range made {
		if slices.Contains(d.Tags, OwnImageTag(r.id)) {
			return true
		}
	}
	return false
}

// target is the image the new droplets run, or the one named.
func (r *rebuild) target(ctx context.Context, c *godo.Client, made map[string]godo.Droplet, named string) (fleet.Version, error) {
	if named != "" {
		return ResolveImage(ctx, c, named)
	}
	for _, d := range made {
		if d.Image != nil {
			return fleet.VersionFromImage(d.Image), nil
		}
	}
	return fleet.Version{}, fmt.Errorf("rollout %s made no droplet yet, so the cloud does not say its target: name it with --to (--to current when it kept each server's image), or lift the lock with `molt unlock %s`", r.id, r.id)
}

// plan builds the recovered plan and the records of where each replacement is.
func (r *rebuild) plan(in PlanInput, old, made, restored map[string]godo.Droplet, maxGroup int) (Plan, []Record) {
	p := Plan{Selection: in.Selection, Target: in.Target, Strategy: in.Strategy, SameImage: in.SameImage, Account: in.Owner}
	var first Wave
	var pending []fleet.Server
	var recs []Record
	slot := 0
	for _, name := range sortedNames(old, made) {
		o, hasOld := old[name]
		n, hasNew := made[name]
		if !hasNew {
			srv := withoutLock(fleet.ServerFromDroplet(&o), r.id)
			if reason := skipReason(in, srv); len(srv.VolumeIDs) > 0 && reason != "" {
				p.Skipped = append(p.Skipped, Skip{Server: srv, Reason: reason}) // as the plan skips it
				continue
			}
			pending = append(pending, srv)
			continue
		}
		group, _, _ := (&Executor{id: r.id}).createdBy(n)
		rep := r.replacement(in, slot, group, o, hasOld, n)
		first.Replacements = append(first.Replacements, rep)
		recs = append(recs, r.phase(rep, o, hasOld, n, restored[name]))
		slot++
	}
	if len(first.Replacements) > 0 {
		p.Waves = append(p.Waves, first)
	}
	in.Servers = pending
	for _, w := range buildWaves(in, pending) {
		w.Index = len(p.Waves)
		for i := range w.Replacements {
			w.Replacements[i].Slot += slot
			w.Replacements[i].Group += maxGroup
		}
		p.Waves = append(p.Waves, w)
	}
	p.LBs = involvedLBs(in.LBs, p.Waves)
	p.Sources = sources(pending)
	state := Record{Kind: KindState, State: StateInterrupted, Reason: "recovered from the cloud's tags"}
	if len(restored) > 0 {
		state = Record{Kind: KindState, State: StateRollingBack, Reason: "recovered from the cloud's tags while rolling back"}
	}
	return p, append([]Record{state}, recs...)
}

// replacement is a replacement that made a new droplet: handed over on the load
// balancers and the reserved IP that list either droplet.
func (r *rebuild) replacement(in PlanInput, slot, group int, o godo.Droplet, hasOld bool, n godo.Droplet) Replacement {
	nr := newReplacement(in, withoutLock(fleet.ServerFromDroplet(&n), r.id), slot, group)
	if !hasOld {
		image, ok := r.images[imageOfTags(r.id, n.Tags)]
		switch {
		case in.SameImage:
			image = nr.Old.Image // it ran the image its replacement runs
		case !ok:
			image = unknownImage
		}
		nr.Old.ID, nr.Old.Image, nr.Old.Status = 0, image, ""
		return nr
	}
	rep := newReplacement(in, withoutLock(fleet.ServerFromDroplet(&o), r.id), slot, group)
	for _, lb := range nr.LBs {
		if !slices.Contains(rep.LBs, lb) {
			rep.LBs = append(rep.LBs, lb)
		}
	}
	if rep.ReservedIP == "" {
		rep.ReservedIP = nr.ReservedIP
	}
	return rep
}

// phase records where a replacement is, as the cloud shows it.
func (r *rebuild) phase(rep Replacement, o godo.Droplet, hasOld bool, n godo.Droplet, back godo.Droplet) Record {
	rec := Record{Kind: KindPhase, Slots: []int{rep.Slot}, Droplets: []int{n.ID}, Reason: "recovered"}
	rec.IP, _ = n.PublicIPv4()
	switch {
	case back.ID != 0:
		rec.Phase, rec.Target = PhaseRollingBack, fmt.Sprint(back.ID)
	case !hasOld, o.Status == "off", o.Locked:
		rec.Phase = PhaseDone // retired: destroyed, or powered off (or powering off) and kept
	case n.Status == "active":
		rec.Phase = PhaseActive
	default:
		rec.Phase = PhaseCreated
	}
	return rec
}

func sortedNames(maps ...map[string]godo.Droplet) []string {
	var out []string
	for _, m := range maps {
		for n := range m {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}

// withoutLock drops the rollout's own tags from a server, as the plan had it.
func withoutLock(s fleet.Server, id string) fleet.Server {
	s.Tags = slices.DeleteFunc(s.Tags, func(t string) bool {
		return t == RolloutTag(id) || strings.HasPrefix(t, RolloutTag(id)+":")
	})
	return s
}

// writeRecovered writes the rebuilt journal, moving a damaged one aside first.
func writeRecovered(dir, path string, h Header, recs []Record) (string, error) {
	if _, err := os.Stat(path); err == nil {
		aside, err := setAside(path)
		if err != nil {
			return "", err
		}
		h.Recovered.Replaced = aside
	}
	j, err := CreateJournal(dir, h)
	if err != nil {
		return "", err
	}
	_, err = j.AppendBatch(recs)
	return path, errors.Join(err, j.Close())
}
