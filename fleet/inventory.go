package fleet

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/digitalocean/godo"
)

// Inventory is the fleet as last read: one full read, and the per-droplet updates applied
// since. It is the hook for cheap refreshes: a caller that learns which droplets changed
// (from the account's action feed, say) reads only those with Update, and calls Reload
// for a full read when too many changed or the last full read is too old (tags and
// names change without an action). Snapshots are never changed once returned: an update
// makes a new slice, so a spread computed from an older snapshot stays valid.
type Inventory struct {
	c   *godo.Client
	opt LoadOptions

	mu        sync.Mutex
	servers   []Server
	at        map[int]int // droplet ID -> index in servers
	images    *imageCache
	fullAt    time.Time
	updatedAt time.Time
	// feed is where the inventory stands in the account's action feed (see Refresh).
	feed feedCursor
	// stale are droplets changed without an action (see Stale), read again by the next
	// refresh, each with the generation it was last said stale in (staleGen counts).
	stale    map[int]uint64
	staleGen uint64
	// refreshing makes refreshes take turns: each moves the feed cursor.
	refreshing sync.Mutex
	// pools are the autoscale pools as last read (with LoadOptions.Pools), and
	// templates their template images by reference (pool_inventory.go).
	pools     []Pool
	templates map[string]Version
	members   memberCache
}

// NewInventory reads through c with opt (Tag keeps the inventory to one tag, as in Load).
// Nothing is read until Reload.
func NewInventory(c *godo.Client, opt LoadOptions) *Inventory {
	return &Inventory{c: c, opt: opt.withDefaults(), images: newImageCache()}
}

// Reload reads the whole fleet (see Load) and keeps it. On error the inventory keeps
// what it had.
func (inv *Inventory) Reload(ctx context.Context) ([]Server, error) {
	opt := inv.opt
	opt.Pools = false // read below, and kept
	servers, err := Load(ctx, inv.c, opt)
	if err != nil {
		return nil, err
	}
	pools, err := inv.readPools(ctx, true, false)
	if err != nil {
		return nil, err
	}
	MarkMembers(servers, pools)
	now := time.Now()
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.servers, inv.at, inv.fullAt, inv.updatedAt, inv.pools = servers, indexByID(servers), now, now, pools
	inv.images = newImageCache()
	return servers, nil
}

// Snapshot returns the fleet as last read and when the last full read ended (zero before
// the first).
func (inv *Inventory) Snapshot() (servers []Server, fullAt time.Time) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.servers, inv.fullAt
}

// UpdatedAt is when the inventory last changed, by a full read or an update.
func (inv *Inventory) UpdatedAt() time.Time {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.updatedAt
}

// Update reads the droplets with the given IDs one by one (GET /v2/droplets/{id}, one
// request each, as reads: PriorityRead) and applies what it finds: a droplet that is gone
// (404), or no longer carries the inventory's tag, leaves; one not seen before joins at
// the end; the others are replaced. It returns the new snapshot. On error nothing is
// applied.
func (inv *Inventory) Update(ctx context.Context, ids ...int) ([]Server, error) {
	ctx = WithPriority(ctx, PriorityRead)
	conv := newConverter(inv.imageCache())
	var changed []Server
	var gone []int
	for _, id := range ids {
		srv, ok, err := readDroplet(ctx, inv.c, conv, id)
		if err != nil {
			return nil, fmt.Errorf("read droplet %d: %w", id, err)
		}
		if !ok || inv.opt.Tag != "" && !srv.HasTag(inv.opt.Tag) {
			gone = append(gone, id)
			continue
		}
		changed = append(changed, srv)
	}
	inv.markChanged(changed)
	return inv.Apply(changed, gone), nil
}

func (inv *Inventory) imageCache() *imageCache {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.images
}

// Apply makes a new snapshot from the current one: servers in changed replace those with
// their IDs or join at the end, and the IDs in gone leave. It reads nothing.
func (inv *Inventory) Apply(changed []Server, gone []int) []Server {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	next := make([]Server, len(inv.servers), len(inv.servers)+len(changed))
	copy(next, inv.servers)
	for _, srv := range changed {
		if i, ok := inv.at[srv.ID]; ok {
			next[i] = srv
		} else {
			next = append(next, srv)
		}
	}
	if len(gone) > 0 {
		next = slices.DeleteFunc(next, func(s Server) bool { return slices.Contains(gone, s.ID) })
	}
	inv.servers, inv.at, inv.updatedAt = next, indexByID(next), time.Now()
	return next
}

func indexByID(servers []Server) map[int]int {
	at := make(map[int]int, len(servers))
	for i := range servers {
		at[servers[i].ID] = i
	}
	return at
}

// readDroplet reads one droplet into a Server; ok is false when the API says it is gone.
func readDroplet(ctx context.Context, c *godo.Client, conv *converter, id int) (Server, bool, error) {
	var one wireOne
	_, _, err := getJSON(ctx, c, "v2/droplets/"+strconv.Itoa(id), &one, nil, 0, nil)
	var er *godo.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
		return Server{}, false, nil
	}
	if err != nil {
		return Server{}, false, err
	}
	if one.Droplet == nil {
		return Server{}, false, fmt.Errorf("the API answered without a droplet")
	}
	var srv Server
	conv.server(one.Droplet, &srv)
	return srv, true, nil
}
