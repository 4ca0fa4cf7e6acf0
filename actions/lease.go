package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/digitalocean/godo"
)

// One rollout has one driver. Two locks keep it so:
//
//   - on this machine, the journal's exclusive flock (OpenJournal, CreateJournal), held
//     while a run has it open and lifted by the kernel when the process dies;
//   - in the cloud, a lease: the tag molt:<id>:lease:<expiry>:<pid>:<host> (the expiry
//     in Unix milliseconds, the host in tag characters) on the
//     droplets that carry the rollout's lock tag (and on every droplet it creates, from
//     birth). The driver renews it in the background at half its time (Timing.Lease),
//     and before every mutating call it compares the time with the expiry it holds:
//     no API call unless the lease runs short, when it lists the lock tag, checks that
//     nobody else took the rollout, and renews. A run that starts (a resume, a
//     rollback, a finalisation) reads the leases first and refuses one that another
//     live driver holds; a lease is dead once expired, or at once when its host is this
//     one and its process is gone. A run that ends drops its lease.

// Driver is the process that drives a rollout.
type Driver struct {
	User  string    `json:"user,omitempty"`
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since,omitzero"`
}

// String names the driver as user@host (pid N).
func (d Driver) String() string {
	who := d.Host
	if d.User != "" {
		who = d.User + "@" + d.Host
	}
	if who == "" {
		who = "another process"
	}
	if d.PID > 0 {
		who += fmt.Sprintf(" (pid %d)", d.PID)
	}
	return who
}

// DrivenError is a refusal: another live process drives the rollout.
type DrivenError struct {
	Rollout string
	Driver  Driver
	// Until is when the driver's cloud lease runs out (zero: its journal's lock on this
	// machine).
	Until time.Time
}

// Error names the rollout's driver.
func (e *DrivenError) Error() string {
	s := fmt.Sprintf("rollout %s is driven by %s", e.Rollout, e.Driver)
	if !e.Until.IsZero() {
		s += ", whose lease runs until " + e.Until.Local().Format(time.DateTime)
	} else if !e.Driver.Since.IsZero() {
		s += " since " + e.Driver.Since.Local().Format(time.DateTime)
	}
	return s + "; watch it there, or wait for it to stop"
}

// errLockHeld: another open file holds a journal's lock.
var errLockHeld = errors.New("the journal is locked by another process")

// driverPath is the file beside a journal that names the process holding its lock.
func driverPath(journal string) string { return journal + ".driver" }

// rolloutOfPath is the rollout ID of a journal's file name.
func rolloutOfPath(path string) string { return strings.TrimSuffix(filepath.Base(path), ".jsonl") }

// markDriver writes who holds the journal's lock beside it (best effort: the lock is
// what counts, this only names its holder).
func (j *Journal) markDriver(op Operator) {
	host, _ := os.Hostname()
	d := Driver{User: op.User, Host: host, PID: os.Getpid(), Since: time.Now().UTC()}
	if b, err := json.Marshal(d); err == nil {
		_ = os.WriteFile(driverPath(j.path), b, 0o600)
	}
}

// readDriver names the process holding a journal's lock, as far as its mark says.
func readDriver(journal string) Driver {
	var d Driver
	if b, err := os.ReadFile(driverPath(journal)); err == nil {
		_ = json.Unmarshal(b, &d)
	}
	return d
}

// DefaultLease is how long a driver's cloud lease runs before it must be renewed.
const DefaultLease = 5 * time.Minute

// leaseTag is a lease on the cloud, as its tag says.
type leaseTag struct {
	tag    string
	until  time.Time
	driver Driver
}

var unsafeTagChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// tagSafe turns a host name into tag characters.
func tagSafe(s string) string {
	s = unsafeTagChars.ReplaceAllString(s, "-")
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

func leaseTagName(id string, until time.Time, d Driver) string {
	return fmt.Sprintf("%s%s:lease:%d:%d:%s", tagPrefix, id, until.UnixMilli(), d.PID, tagSafe(d.Host))
}

// leasesOf returns the leases on rollout id found on droplets, each once.
func leasesOf(id string, found []godo.Droplet) []leaseTag {
	prefix := RolloutTag(id) + ":lease:"
	seen := map[string]bool{}
	var out []leaseTag
	for _, d := range found {
		for _, t := range d.Tags {
			rest, ok := strings.CutPrefix(t, prefix)
			if !ok || seen[t] {
				continue
			}
			seen[t] = true
			parts := strings.SplitN(rest, ":", 3)
			if len(parts) != 3 {
				continue
			}
			ms, err1 := strconv.ParseInt(parts[0], 10, 64)
			pid, err2 := strconv.Atoi(parts[1])
			if err1 != nil || err2 != nil {
				continue
			}
			out = append(out, leaseTag{tag: t, until: time.UnixMilli(ms), driver: Driver{Host: parts[2], PID: pid}})
		}
	}
	return out
}

// LeaseOf returns the live lease on rollout id among the tags of droplets that carry
// its lock: who drives it and until when; ok is false when nobody does.
func LeaseOf(id string, tags [][]string) (d Driver, until time.Time, ok bool) {
	found := make([]godo.Droplet, len(tags))
	for i, t := range tags {
		found[i].Tags = t
	}
	me := thisDriver(nil)
	for _, l := range leasesOf(id, found) {
		if l.alive(me, time.Now()) && l.until.After(until) {
			d, until, ok = l.driver, l.until, true
		}
	}
	return d, until, ok
}

// alive reports whether the lease still binds a driver other than me: not expired, and
// not left by a dead process of this host (or by this very process, whose journal's
// lock already says that no other run of it drives the rollout).
func (l leaseTag) alive(me Driver, now time.Time) bool {
	if !now.Before(l.until) {
		return false
	}
	if l.driver.Host == tagSafe(me.Host) && (l.driver.PID == me.PID || !processAlive(l.driver.PID)) {
		return false
	}
	return true
}

// thisDriver is this process, or the driver a test stands in for.
func thisDriver(o *Options) Driver {
	if o != nil && o.driver != nil {
		return *o.driver
	}
	host, _ := os.Hostname()
	return Driver{Host: host, PID: os.Getpid()}
}

// lease is a run's hold on its rollout in the cloud: a droplet rollout's (Executor) or
// a pool rollout's (PoolRollout).
type lease struct {
	id  string // the rollout's
	api *api
	me  Driver
	ttl time.Duration

	mu    sync.Mutex
	tag   string    // the lease tag this run put on the droplets ("" none yet)
	until time.Time // when it runs out
	lost  error     // another driver holds the rollout: no more mutating calls
	stop  context.CancelFunc
}

// current is the lease tag new droplets carry from birth ("" before the lease is taken).
func (l *lease) current() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tag
}

// take reads the leases on what the lock tag holds (found) and puts this run's own on
// it, unless another live driver holds one; then it keeps it renewed until drop.
func (l *lease) take(ctx context.Context, found []godo.Droplet) error {
	l.mu.Lock()
	err := l.renewLocked(ctx, found)
	l.mu.Unlock()
	if err == nil && l.stop == nil {
		var kctx context.Context
		kctx, l.stop = context.WithCancel(ctx)
		go l.keep(kctx)
	}
	return err
}

// hold is passed before every mutating call: while the lease has more than a quarter of
// its time left it costs nothing; else it lists the lock tag and renews (or finds the
// rollout taken, and stops this run's changes).
func (l *lease) hold(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return l.lost
	}
	if l.tag == "" || time.Until(l.until) > l.ttl/4 {
		return nil
	}
	return l.relistLocked(ctx)
}

func (l *lease) relistLocked(ctx context.Context) error {
	found, err := l.api.listByTag(ctx, RolloutTag(l.id))
	if err != nil {
		return err
	}
	return l.renewLocked(ctx, found)
}

// refresh renews the lease now, on whatever carries the lock tag (after droplets were
// locked again), or finds the rollout taken.
func (l *lease) refresh(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return l.lost
	}
	return l.relistLocked(ctx)
}

// keep renews the lease at half its time, in the background, until ctx ends.
func (l *lease) keep(ctx context.Context) {
	t := time.NewTicker(max(l.ttl/8, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.mu.Lock()
		if l.lost == nil && l.tag != "" && time.Until(l.until) < l.ttl/2 {
			_ = l.relistLocked(ctx) // a failure is tried again; hold renews before a change
		}
		l.mu.Unlock()
	}
}

// renewLocked checks the leases found and puts a fresh one of this run's on the
// droplets found, removing its previous one and dead ones.
func (l *lease) renewLocked(ctx context.Context, found []godo.Droplet) error {
	now := time.Now()
	var stale []string
	for _, t := range leasesOf(l.id, found) {
		switch {
		case t.tag == l.tag:
		case t.alive(l.me, now):
			l.lost = &DrivenError{Rollout: l.id, Driver: t.driver, Until: t.until}
			return l.lost
		default:
			stale = append(stale, t.tag)
		}
	}
	until := now.Add(l.ttl)
	tag := leaseTagName(l.id, until, l.me)
	ids := make([]int, 0, len(found))
	for _, d := range found {
		ids = append(ids, d.ID)
	}
	if tag != l.tag && len(ids) > 0 {
		if err := l.api.tagRaw(ctx, tag, ids); err != nil {
			return fmt.Errorf("renew the lease on rollout %s: %w", l.id, err)
		}
	}
	if l.tag != "" && l.tag != tag {
		stale = append(stale, l.tag)
	}
	l.tag, l.until = tag, until
	for _, t := range stale {
		if err := l.api.deleteTagRaw(ctx, t); err != nil {
			return fmt.Errorf("remove an old lease on rollout %s: %w", l.id, err)
		}
	}
	return nil
}

// drop ends the lease: the renewals stop and its tag goes (another driver may take the
// rollout at once).
func (l *lease) drop(ctx context.Context) {
	if l.stop != nil {
		l.stop()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tag != "" && l.lost == nil {
		_ = l.api.deleteTagRaw(ctx, l.tag)
	}
	l.tag = ""
}

// clear removes, as the rollout ends, the leases of other runs still on what the sweep
// listed (a driver that lost its lease to this one leaves its tag on the droplets it
// created): best effort, their tags are junk once the rollout has ended.
func (l *lease) clear(ctx context.Context, listed []godo.Droplet) {
	mine := l.current()
	for _, t := range leasesOf(l.id, listed) {
		if t.tag != mine {
			_ = l.api.deleteTagRaw(ctx, t.tag)
		}
	}
}

// tagRaw tags droplets without journaling (the lease changes no droplet's service), in
// batches, creating the tag when the API wants it first. A droplet destroyed since it was
// listed (an autoscale pool retires its members when it likes) fails its batch: the
// batch is then tagged one droplet at a time, and a droplet not found needs no lease.
func (a *api) tagRaw(ctx context.Context, tag string, ids []int) error {
	for chunk := range slices.Chunk(ids, tagBatch) {
		err := a.tagOnce(ctx, tag, chunk)
		if isStatus(err, 404) {
			err = a.callRaw(ctx, mutate, func(c context.Context) (*godo.Response, error) {
				_, resp, err := a.c.Tags.Create(c, &godo.TagCreateRequest{Name: tag})
				return resp, err
			})
			if err == nil {
				err = a.tagOnce(ctx, tag, chunk)
			}
		}
		if isStatus(err, 404) {
			err = a.tagEach(ctx, tag, chunk)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *api) tagOnce(ctx context.Context, tag string, ids []int) error {
	return a.callRaw(ctx, mutate, func(c context.Context) (*godo.Response, error) {
		return a.c.Tags.TagResources(c, tag, &godo.TagResourcesRequest{Resources: dropletResources(ids)})
	})
}

// tagEach tags droplets one at a time, leaving out those not found.
func (a *api) tagEach(ctx context.Context, tag string, ids []int) error {
	for _, id := range ids {
		if err := a.tagOnce(ctx, tag, []int{id}); err != nil && !isStatus(err, 404) {
			return err
		}
	}
	return nil
}

// tagResourcesRaw tags resources (at most tagBatch) without journaling, creating the
// tag when the API wants it first.
func (e *Executor) tagResourcesRaw(ctx context.Context, tag string, res []godo.Resource) error {
	call := func() error {
		return e.api.callRaw(ctx, mutate, func(c context.Context) (*godo.Response, error) {
			return e.api.c.Tags.TagResources(c, tag, &godo.TagResourcesRequest{Resources: res})
		})
	}
	err := call()
	if isStatus(err, 404) {
		if err = e.createTagRaw(ctx, tag); err == nil {
			err = call()
		}
	}
	return err
}

// createTagRaw creates a tag without journaling; one that exists already is fine.
func (e *Executor) createTagRaw(ctx context.Context, tag string) error {
	err := e.api.callRaw(ctx, mutate, func(c context.Context) (*godo.Response, error) {
		_, resp, err := e.api.c.Tags.Create(c, &godo.TagCreateRequest{Name: tag})
		return resp, err
	})
	if isStatus(err, 422) {
		return nil
	}
	return err
}

// deleteTagRaw deletes a tag (from every droplet) without journaling; one already gone
// is fine.
func (a *api) deleteTagRaw(ctx context.Context, tag string) error {
	err := a.callRaw(ctx, mutate, func(c context.Context) (*godo.Response, error) { return a.c.Tags.Delete(c, tag) })
	if isStatus(err, 404) {
		return nil
	}
	return err
}
