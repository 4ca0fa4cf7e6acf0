package fleet

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/digitalocean/godo"
)

// The action feed: DigitalOcean has no watch API, but every droplet create, destroy,
// power change, resize, rebuild or rename is an action in the account's feed
// (GET /v2/actions, newest first). A refresh reads the feed's newest page first and reads
// only the droplets it names; it falls back to a full read when many changed, when the
// page does not reach back to the last read, or when the last full read is old, because
// some changes leave no action: tags added or removed, and droplets changed through
// another account's API (a team member's token shows in the same feed, so that is rare).
// docs/performance.md says what this misses and for how long.

// RefreshOptions tune Inventory.Refresh.
type RefreshOptions struct {
	// FullEvery is the longest time between two full reads (default FullEveryFor the
	// fleet's size): what the feed cannot see (tags, by-hand edits of names through other
	// tools) is at most this old.
	FullEvery time.Duration
	// MaxChanged is the most droplets read one by one; more mean a full read (default
	// DefaultMaxChanged).
	MaxChanged int
	// FeedPage is the size of the feed page read (default and at most MaxPerPage).
	FeedPage int
}

// Defaults of RefreshOptions.
const (
	DefaultFullEvery  = 10 * time.Minute
	DefaultMaxChanged = 20
	// FullReadShare is the most of the API's hourly budget (DigitalOcean's 5,000
	// requests) that the periodic full reads may take: a big fleet is read whole less
	// often, so that they leave the rest to rollouts and other tools.
	FullReadShare = 0.10
	hourlyBudget  = 5000
)

// FullEveryFor is the period of full reads for a fleet of n droplets: DefaultFullEvery,
// or longer when reading the fleet's pages that often would take more than FullReadShare
// of the hourly budget (10,000 droplets: 10 minutes; 50,000: 30; 100,000: an hour).
func FullEveryFor(n int) time.Duration {
	pages := (n + MaxPerPage - 1) / MaxPerPage
	perHour := FullReadShare * hourlyBudget
	return max(DefaultFullEvery, time.Duration(math.Ceil(float64(pages)/perHour*3600))*time.Second)
}

func (o RefreshOptions) withDefaults() RefreshOptions {
	if o.MaxChanged <= 0 {
		o.MaxChanged = DefaultMaxChanged
	}
	if o.FeedPage <= 0 || o.FeedPage > MaxPerPage {
		o.FeedPage = MaxPerPage
	}
	return o
}

// Refreshed says what a refresh did.
type Refreshed struct {
	// Servers is the fleet now.
	Servers []Server
	// Full says the refresh read the whole fleet; Why says why ("first read", "the
	// last full read is 10m old", "31 droplets changed", ...).
	Full bool
	Why  string
	// Changed is the droplets read one by one (when not Full).
	Changed int
	// FullAt is when the last full read ended.
	FullAt time.Time
	// Feed is the action feed's newest page as the refresh read it (of FeedPage
	// actions), for the drift audit to take rather than read again
	// (DriftOptions.FirstPage).
	Feed []godo.Action
}

// feedCursor is where the inventory stands in the action feed: the newest action seen,
// and the droplets whose actions were still running then (their droplets change again
// when those actions end, without a new action).
type feedCursor struct {
	newest  int
	pending []int
}

// Refresh brings the inventory up to date with as few requests as it can: one request
// for the feed's newest page when nothing changed, plus one per changed droplet; a full
// read (with the feed read first, so that nothing between the two is missed) the first
// time, when the last full read is older than FullEvery, or when the feed cannot say
// what changed. progress is told the pages of a full read.
func (inv *Inventory) Refresh(ctx context.Context, opt RefreshOptions, progress func(done, total int)) (Refreshed, error) {
	opt = opt.withDefaults()
	ctx = WithPriority(ctx, PriorityRead)
	inv.refreshing.Lock()
	defer inv.refreshing.Unlock()
	known, fullAt := inv.Snapshot()
	if opt.FullEvery <= 0 {
		opt.FullEvery = FullEveryFor(len(known))
	}
	why := ""
	switch {
	case fullAt.IsZero():
		why = "first read"
	case time.Since(fullAt) >= opt.FullEvery:
		why = fmt.Sprintf("the last full read is %s old", time.Since(fullAt).Round(time.Second))
	}
	page, err := readFeed(ctx, inv.c, opt.FeedPage)
	if err != nil {
		return Refreshed{}, fmt.Errorf("read the action feed: %w", err)
	}
	cur := inv.cursor()
	stale := inv.staleIDs()
	var ids []int
	if why == "" {
		var reached bool
		ids, reached = changedSince(page, cur, opt.FeedPage)
		ids = union(ids, stale.ids)
		switch {
		case !reached:
			why = fmt.Sprintf("more than %d actions since the last read", len(page))
		case len(ids) > opt.MaxChanged:
			why = fmt.Sprintf("%d droplets changed", len(ids))
		}
	}
	next := cursorOf(page, cur)
	if why != "" {
		r, err := inv.fullRefresh(ctx, next, why, progress)
		if err == nil {
			inv.freshen(stale)
			r.Feed = page
		}
		return r, err
	}
	servers := inv.snapshotServers()
	if len(ids) > 0 {
		if servers, err = inv.Update(ctx, ids...); err != nil {
			return Refreshed{}, err
		}
	}
	if servers, err = inv.refreshPools(ctx, servers, len(ids) > 0); err != nil {
		return Refreshed{}, err
	}
	inv.setCursor(next)
	inv.freshen(stale)
	_, fullAt = inv.Snapshot()
	return Refreshed{Servers: servers, Changed: len(ids), FullAt: fullAt, Feed: page}, nil
}

// Stale says that droplets changed in a way the action feed does not show (a rollout
// tagging or untagging them, say): the next Refresh reads them again, one by one, or
// in its full read when they are many.
func (inv *Inventory) Stale(ids ...int) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.stale == nil {
		inv.stale = map[int]uint64{}
	}
	inv.staleGen++
	for _, id := range ids {
		inv.stale[id] = inv.staleGen
	}
}

// staleSet is the stale droplets as a refresh took them: sorted, and the generation then.
type staleSet struct {
	ids []int
	gen uint64
}

func (inv *Inventory) staleIDs() staleSet {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return staleSet{ids: slices.Sorted(maps.Keys(inv.stale)), gen: inv.staleGen}
}

// freshen forgets the stale droplets a refresh has read; those said stale (again) since
// it took them stay for the next.
func (inv *Inventory) freshen(read staleSet) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	for _, id := range read.ids {
		if inv.stale[id] <= read.gen {
			delete(inv.stale, id)
		}
	}
}

// union is the sorted IDs of a and b, each once.
func union(a, b []int) []int {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func (inv *Inventory) fullRefresh(ctx context.Context, next feedCursor, why string, progress func(done, total int)) (Refreshed, error) {
	saved := inv.opt.OnProgress
	if progress != nil {
		inv.opt.OnProgress = progress
	}
	servers, err := inv.Reload(ctx)
	inv.opt.OnProgress = saved
	if err != nil {
		return Refreshed{}, err
	}
	next.pending = nil // the full read saw every droplet as it is now
	inv.setCursor(next)
	_, fullAt := inv.Snapshot()
	return Refreshed{Servers: servers, Full: true, Why: why, FullAt: fullAt}, nil
}

// readFeed reads the newest page of the account's actions.
func readFeed(ctx context.Context, c *godo.Client, perPage int) ([]godo.Action, error) {
	page, _, err := c.Actions.List(ctx, &godo.ListOptions{Page: 1, PerPage: perPage})
	return page, err
}

// changedSince lists the droplets that actions newer than cur name, and those whose
// actions were pending at cur; reached says the page goes back as far as cur (when it
// does not, more happened than one page shows).
func changedSince(page []godo.Action, cur feedCursor, perPage int) (ids []int, reached bool) {
	ids = slices.Clone(cur.pending)
	for _, a := range page {
		if a.ID <= cur.newest {
			reached = true
			continue
		}
		if a.ResourceType == "droplet" && a.ResourceID != 0 {
			ids = append(ids, a.ResourceID)
		}
	}
	if len(page) < perPage {
		reached = true // the whole feed fits the page
	}
	slices.Sort(ids)
	return slices.Compact(ids), reached
}

// cursorOf is the cursor after reading page: its newest action, and the droplets whose
// actions are still running.
func cursorOf(page []godo.Action, cur feedCursor) feedCursor {
	next := feedCursor{newest: cur.newest}
	for _, a := range page {
		next.newest = max(next.newest, a.ID)
		if a.Status == "in-progress" && a.ResourceType == "droplet" && a.ResourceID != 0 {
			next.pending = append(next.pending, a.ResourceID)
		}
	}
	slices.Sort(next.pending)
	next.pending = slices.Compact(next.pending)
	return next
}

func (inv *Inventory) cursor() feedCursor {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.feed
}

func (inv *Inventory) setCursor(c feedCursor) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.feed = c
}

func (inv *Inventory) snapshotServers() []Server {
	s, _ := inv.Snapshot()
	return s
}
