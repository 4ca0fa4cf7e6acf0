package fleet

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/digitalocean/godo"
)

// Drift: a server is drifted when it was changed in place after it was created, through
// the API or the control panel: resized, rebuilt, its password reset, its kernel changed,
// restored from a backup, IPv6 or private networking enabled, or any other action that
// changes it. The account's action feed (GET /v2/actions, newest first) lists every such
// action; the audit reads it incrementally and keeps, per account, the changes of each
// droplet in the state directory (drift_store.go), so that an audit after the first reads
// only the actions that are new since. The first audit reads back a bounded window
// (DefaultDriftWindow): a change older than that, on a droplet older than that, is not
// seen. Changes made inside a server (over SSH, by configuration management) leave no
// action and are never seen: drift here is what the API knows.

// DefaultDriftWindow is how far back the first audit of an account reads the feed.
const DefaultDriftWindow = 90 * Day

// Change is a change made to a droplet in place: an action of a changing type.
type Change struct {
	Type string    `json:"type"`
	At   time.Time `json:"at"`
}

// unchanging are the droplet action types that leave a droplet as it was built: its
// birth and death, power changes, snapshots and backups (which read it), and rename,
// which changes the name the API shows (and the PTR record), not the server: the
// hostname inside it stays as it was. Every other type, known or not, is a change.
var unchanging = map[string]bool{
	"create": true, "destroy": true, "power_on": true, "power_off": true, "power_cycle": true,
	"shutdown": true, "reboot": true, "snapshot": true, "backup": true, "enable_backups": true,
	"disable_backups": true, "change_backup_policy": true, "rename": true,
}

// IsChange reports whether a droplet action of type typ changes the droplet in place.
func IsChange(typ string) bool { return !unchanging[typ] }

// maxChanges bounds the changes kept per droplet: the first (when drift began) and the
// newest others.
const maxChanges = 20

// DriftOptions tune ReadDrift.
type DriftOptions struct {
	// Dir is the account's directory in the state directory (AccountDir), where the
	// changes read are kept between audits; empty keeps nothing, and every audit reads
	// the whole window.
	Dir string
	// Window is how far back a first audit reads (default DefaultDriftWindow). A window
	// reaching further back than the kept changes know makes the audit start over.
	Window time.Duration
	// Now is when the window ends (default time.Now()).
	Now time.Time
	// PerPage is the size of the feed's pages (default and at most MaxPerPage).
	PerPage int
	// FirstPage, when set, is the feed's newest page of PerPage actions as another
	// reader read it just now (a refresh of the inventory: Refreshed.Feed); the read
	// takes it instead of asking for page 1 again.
	FirstPage []godo.Action
	// Logf, when set, is told when the kept changes could not be used.
	Logf func(format string, a ...any)
}

func (o DriftOptions) withDefaults() DriftOptions {
	if o.Window <= 0 {
		o.Window = DefaultDriftWindow
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.PerPage <= 0 || o.PerPage > MaxPerPage {
		o.PerPage = MaxPerPage
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// DriftRead says what ReadDrift read.
type DriftRead struct {
	// Pages and Actions are the feed's pages read and the actions looked at; Shared
	// says the newest page was DriftOptions.FirstPage, read by another reader.
	Pages, Actions int
	Shared         bool
	// Fresh says the feed was read back over the whole window: the first audit of the
	// account, or one that could not use what was kept; Why says why.
	Fresh bool
	Why   string
}

// DriftLog is what an account's action feed says of its droplets' changes.
type DriftLog struct {
	// From is how far back the log knows: the oldest action the first audit read, at or
	// before the start of its window. Complete says that audit read the whole feed, so
	// the log knows every change there is to know.
	From     time.Time
	Complete bool
	// Newest is the newest action read.
	Newest int
	// Open are changes still in progress when read: they are read again until they end
	// (one that ends in error is forgotten).
	Open []int
	// Droplets are the changes per droplet ID, oldest first.
	Droplets map[int][]LoggedChange
}

// LoggedChange is a change as the log keeps it.
type LoggedChange struct {
	Action int       `json:"id"`
	Type   string    `json:"type"`
	At     time.Time `json:"at"`
}

// Changes are the changes made to srv since it was created, oldest first: an action
// before its creation was on another droplet as far as the audit is concerned.
func (l *DriftLog) Changes(srv *Server) []Change {
	if l == nil {
		return nil
	}
	var out []Change
	for _, c := range l.Droplets[srv.ID] {
		if !c.At.Before(srv.CreatedAt) {
			out = append(out, Change{Type: c.Type, At: c.At})
		}
	}
	return out
}

// ReadDrift brings the account's drift log up to date from its action feed: the actions
// newer than the log's newest (one page when nothing happened), or, the first time, the
// actions of the whole window. The log is kept in opt.Dir.
func ReadDrift(ctx context.Context, c *godo.Client, opt DriftOptions) (*DriftLog, DriftRead, error) {
	opt = opt.withDefaults()
	ctx = WithPriority(ctx, PriorityRead)
	from := opt.Now.Add(-opt.Window)
	log, why := loadDriftLog(opt.Dir)
	if log != nil && !log.Complete && log.From.After(from) {
		log, why = nil, fmt.Sprintf("the window asked reaches further back than the kept changes (since %s)", log.From.UTC().Format(time.DateOnly))
	}
	var read DriftRead
	if log == nil {
		if why != "" && opt.Dir != "" {
			opt.Logf("drift: %s: reading the action feed back %s", why, FormatAge(opt.Window))
		}
		log = &DriftLog{From: from, Droplets: map[int][]LoggedChange{}}
		read.Fresh, read.Why = true, why
	}
	if err := log.read(ctx, c, opt, from, &read); err != nil {
		return nil, read, fmt.Errorf("read the action feed: %w", err)
	}
	if err := saveDriftLog(opt.Dir, log); err != nil {
		opt.Logf("drift: could not keep what was read: %v", err)
	}
	return log, read, nil
}

// read reads the feed newest first, page by page, until it reaches what the log knows
// (the older of its newest action and its open ones), or, the first time, the start of
// the window. A first read keeps every change on the pages it read, older ones
// included: they cost nothing more, and the log then knows back to the oldest action
// read (all of the feed, when it reached its end).
func (l *DriftLog) read(ctx context.Context, c *godo.Client, opt DriftOptions, from time.Time, r *DriftRead) error {
	stop := l.Newest
	for _, id := range l.Open {
		stop = min(stop, id-1)
	}
	pass := newDriftPass(l)
	var oldest time.Time // the oldest action read
	for page := 1; ; page++ {
		var actions []godo.Action
		var resp *godo.Response
		if page == 1 && opt.FirstPage != nil {
			actions = opt.FirstPage
			r.Shared = true
		} else {
			var err error
			resp, err = retryRateLimited(ctx, func() (*godo.Response, error) {
				var resp *godo.Response
				var err error
				actions, resp, err = c.Actions.List(ctx, &godo.ListOptions{Page: page, PerPage: opt.PerPage})
				return resp, err
			})
			if err != nil {
				return err
			}
			r.Pages++
		}
		r.Actions += len(actions)
		reached := false
		for i := range actions {
			a := &actions[i]
			if at := startedAt(a); !at.IsZero() && (oldest.IsZero() || at.Before(oldest)) {
				oldest = at
			}
			if r.Fresh && startedAt(a).Before(from) {
				reached = true
			}
			if a.ID <= stop {
				reached = true
				continue
			}
			pass.apply(a)
		}
		last := len(actions) < opt.PerPage || resp != nil && (resp.Links == nil || resp.Links.IsLastPage())
		if r.Fresh {
			l.From, l.Complete = cmp.Or(oldest, from), last
		}
		if reached || last {
			break
		}
	}
	pass.finish()
	return nil
}

func startedAt(a *godo.Action) time.Time {
	if a.StartedAt == nil {
		return time.Time{}
	}
	return a.StartedAt.Time
}

// driftPass applies one read's actions, newest first, to the log.
type driftPass struct {
	l         *DriftLog
	destroyed map[int]bool
	seen      map[int]bool // actions applied in this pass (a page may repeat one)
	open      []int
}

func newDriftPass(l *DriftLog) *driftPass {
	return &driftPass{l: l, destroyed: map[int]bool{}, seen: map[int]bool{}}
}

func (p *driftPass) apply(a *godo.Action) {
	p.l.Newest = max(p.l.Newest, a.ID) // every action: the next read stops at it
	if a.ResourceType != "droplet" || a.ResourceID == 0 || p.seen[a.ID] {
		return
	}
	p.seen[a.ID] = true
	id := a.ResourceID
	switch {
	case a.Type == "destroy":
		p.destroyed[id] = true
		delete(p.l.Droplets, id)
	case p.destroyed[id] || !IsChange(a.Type):
	case a.Status == "errored":
		p.l.forget(id, a.ID)
	default:
		p.l.keep(id, LoggedChange{Action: a.ID, Type: a.Type, At: startedAt(a).UTC()})
		if a.Status == "in-progress" {
			p.open = append(p.open, a.ID)
		}
	}
}

// finish sets the open changes: those this pass saw in progress. Every change open
// before was read again, since the pass read back past the oldest of them.
func (p *driftPass) finish() {
	slices.Sort(p.open)
	p.l.Open = p.open
}

// keep records (or updates) a change of droplet id, within maxChanges.
func (l *DriftLog) keep(id int, c LoggedChange) {
	list := l.Droplets[id]
	if i := slices.IndexFunc(list, func(x LoggedChange) bool { return x.Action == c.Action }); i >= 0 {
		list[i] = c
		return
	}
	list = append(list, c)
	slices.SortFunc(list, func(a, b LoggedChange) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Action, b.Action)) })
	if len(list) > maxChanges {
		list = slices.Delete(list, 1, len(list)-maxChanges+1) // keep the first: when drift began
	}
	l.Droplets[id] = list
}

// forget drops a change that ended in error.
func (l *DriftLog) forget(id, action int) {
	list := slices.DeleteFunc(l.Droplets[id], func(x LoggedChange) bool { return x.Action == action })
	if len(list) == 0 {
		delete(l.Droplets, id)
		return
	}
	l.Droplets[id] = list
}

// retryRateLimited calls call again after a 429, as long as the API asks (telling the
// wait notice of ctx, if any), up to maxRateRetries times.
func retryRateLimited(ctx context.Context, call func() (*godo.Response, error)) (*godo.Response, error) {
	notice, _ := ctx.Value(waitNoticeKey{}).(func(time.Duration))
	for attempt := 0; ; attempt++ {
		resp, err := call()
		if err == nil || !isRateLimited(resp) || attempt >= maxRateRetries {
			return resp, err
		}
		d := RetryDelay(resp.Header)
		if notice != nil {
			notice(d)
		}
		if err := sleep(ctx, d); err != nil {
			return resp, err
		}
	}
}
