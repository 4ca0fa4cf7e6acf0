package fleet

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/digitalocean/godo"
)

// MaxPerPage is the largest page DigitalOcean serves.
const MaxPerPage = 200

// DefaultWorkers bounds the pages fetched at once: enough to read 12,800 droplets in
// one parallel round after the first page.
const DefaultWorkers = 64

// LoadOptions tunes Load.
type LoadOptions struct {
	// Tag lists only the droplets carrying this tag (the API filters).
	Tag string
	// PerPage is the page size (default and at most MaxPerPage).
	PerPage int
	// Workers bounds the pages fetched at once (default DefaultWorkers).
	Workers int
	// Limiter is the limiter attached to the client, if any (see Limiter.Attach): the
	// pool starts no more workers than it allows at once.
	Limiter *Limiter
	// OnProgress is told the pages read so far and the pages in all, from one goroutine.
	OnProgress func(done, total int)
	// OnWait is told when the loader must wait, and for how long: after a 429, or when
	// the limiter holds a page back (the minute's budget is spent, or kept for a rollout).
	// It may be called from any goroutine, once for workers held back together.
	OnWait func(d time.Duration)
	// Pools also reads the account's autoscale pools (ReadPools) and marks their members
	// (Server.Pool); an Inventory keeps the pools (Inventory.Pools).
	Pools bool
}

// ErrFleetChanged means droplets came or went while the pages were read, so the pages do
// not add up to one fleet; reading again usually succeeds.
var ErrFleetChanged = errors.New("the fleet changed while it was being read")

// maxRateRetries bounds how often one page is retried after a 429.
const maxRateRetries = 10

// Load reads every droplet (or every droplet with opt.Tag): the first page, then all the
// others in parallel. It returns the whole fleet or an error, never part of it: a page
// that fails fails the load, and pages that do not add up (droplets created or destroyed
// meanwhile) are read again once before ErrFleetChanged.
func Load(ctx context.Context, c *godo.Client, opt LoadOptions) ([]Server, error) {
	opt = opt.withDefaults()
	servers, err := loadOnce(ctx, c, opt)
	if errors.Is(err, ErrFleetChanged) {
		servers, err = loadOnce(ctx, c, opt)
	}
	if err != nil || !opt.Pools {
		return servers, err
	}
	pools, err := ReadPools(ctx, c)
	if err != nil {
		return nil, err
	}
	MarkMembers(servers, pools)
	return servers, nil
}

func (o LoadOptions) withDefaults() LoadOptions {
	if o.PerPage <= 0 || o.PerPage > MaxPerPage {
		o.PerPage = MaxPerPage
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	return o
}

// pageResult is what a worker says of one page: read and converted into its place, or not.
type pageResult struct {
	n   int
	err error
}

func loadOnce(ctx context.Context, c *godo.Client, opt LoadOptions) ([]Server, error) {
	f := &fetcher{c: c, opt: opt, images: newImageCache(), slots: make(chan struct{}, decodeSlots())}
	var servers []Server
	err := f.read(ctx, 1, func(first *wirePage) error {
		servers = make([]Server, first.total())
		return f.place(newConverter(f.images), first, 1, servers)
	})
	if err != nil {
		return nil, err
	}
	pages := max(1, (len(servers)+opt.PerPage-1)/opt.PerPage)
	f.pages = pages
	report(opt.OnProgress, 1, pages)
	if err := f.rest(ctx, pages, servers); err != nil {
		return nil, err
	}
	if !distinct(servers) {
		return nil, ErrFleetChanged
	}
	return servers, nil
}

// place converts page n into its place in servers: the pages of one fleet fill it
// exactly, so a page of another length means the fleet changed.
func (f *fetcher) place(conv *converter, page *wirePage, n int, servers []Server) error {
	from := (n - 1) * f.opt.PerPage
	if page.total() != len(servers) || from+len(page.Droplets) != min(from+f.opt.PerPage, len(servers)) {
		return ErrFleetChanged
	}
	conv.servers(page.Droplets, servers[from:])
	return nil
}

// rest reads pages 2..pages with a bounded pool, stopping everything at the first error.
// Each worker converts its pages into their places in servers.
func (f *fetcher) rest(ctx context.Context, pages int, servers []Server) error {
	if pages < 2 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int, pages-1)
	for n := 2; n <= pages; n++ {
		jobs <- n
	}
	close(jobs)
	out := make(chan pageResult)
	var wg sync.WaitGroup
	for range f.poolSize(pages - 1) {
		wg.Go(func() {
			conv := newConverter(f.images)
			for n := range jobs {
				r := pageResult{n: n}
				r.err = f.read(ctx, n, func(page *wirePage) error { return f.place(conv, page, n, servers) })
				select {
				case out <- r:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(out) }()
	return f.collect(out, pages, cancel)
}

func (f *fetcher) collect(out <-chan pageResult, pages int, cancel func()) error {
	var firstErr error
	done := 1
	for r := range out {
		switch {
		case firstErr != nil:
		case r.err != nil:
			firstErr = r.err
			cancel()
		default:
			done++
			report(f.opt.OnProgress, done, pages)
		}
	}
	return firstErr
}

// poolSize is the number of workers for n pages: no more than the pages, the configured
// bound, and what the limiter allows a read at once (at least one).
func (f *fetcher) poolSize(n int) int {
	size := min(n, f.opt.Workers)
	if f.opt.Limiter != nil {
		size = min(size, max(1, f.opt.Limiter.AvailableTo(PriorityRead)))
	}
	return size
}

// distinct reports whether no droplet is listed twice: pages that shifted while they were
// read (one droplet created, another destroyed) add up to the right total with a
// droplet twice.
func distinct(servers []Server) bool {
	ids := make([]int, len(servers))
	for i := range servers {
		ids[i] = servers[i].ID
	}
	slices.Sort(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			return false
		}
	}
	return true
}

func report(fn func(int, int), done, total int) {
	if fn != nil {
		fn(done, total)
	}
}

// fetcher reads single pages, waiting out 429s.
type fetcher struct {
	c      *godo.Client
	opt    LoadOptions
	pages  int // known after the first page
	images *imageCache
	// pageSize is the buffer to read a page into, from the first page's size.
	pageSize atomic.Int64
	// slots bounds the pages held and decoded at once (see body).
	slots chan struct{}

	mu         sync.Mutex
	waitingTil time.Time // the end of the last wait reported through OnWait
}

// read fetches page n, decodes it and hands it to use while it holds a decoding slot,
// retrying after 429s. use's error comes back as it is; the others as a PageError.
func (f *fetcher) read(ctx context.Context, n int, use func(*wirePage) error) error {
	ctx = WithWaitNotice(WithPriority(ctx, PriorityRead), f.limiterWait)
	path := dropletsPath(f.opt.Tag, n, f.opt.PerPage)
	for attempt := 0; ; attempt++ {
		var page wirePage
		var useErr error
		resp, size, err := getJSON(ctx, f.c, path, &page, f.slots, int(f.pageSize.Load()), func() error {
			useErr = use(&page)
			return useErr
		})
		switch {
		case useErr != nil:
			return useErr
		case err == nil:
			if n == 1 {
				f.pageSize.Store(int64(size + size/8)) // the pages to come are about as long
			}
			return nil
		case !isRateLimited(resp) || attempt >= maxRateRetries:
			return &PageError{Page: n, Pages: f.pages, Err: err}
		}
		if err := f.waitOut(ctx, RetryDelay(resp.Header)); err != nil {
			return &PageError{Page: n, Pages: f.pages, Err: err}
		}
	}
}

// decodeSlots bounds the pages held and decoded at once: decoding is the CPU's work, so
// more than a couple per core only holds more pages in memory.
func decodeSlots() int { return 2 * runtime.GOMAXPROCS(0) }

// total is the number of droplets the API says there are, or those of the page when it
// does not say.
func (p *wirePage) total() int {
	if p.Meta == nil {
		return len(p.Droplets)
	}
	return p.Meta.Total
}

func isRateLimited(resp *godo.Response) bool {
	return resp != nil && resp.Response != nil && resp.StatusCode == http.StatusTooManyRequests
}

// waitOut waits d after a 429, telling OnWait once per distinct wait: workers rate limited
// together report one wait, not one each.
func (f *fetcher) waitOut(ctx context.Context, d time.Duration) error {
	f.limiterWait(d)
	return sleep(ctx, d)
}

// limiterWait tells OnWait of a wait of d starting now, unless it ends within half a
// second of one already told.
func (f *fetcher) limiterWait(d time.Duration) {
	until := time.Now().Add(d)
	f.mu.Lock()
	tell := until.Sub(f.waitingTil) > 500*time.Millisecond
	if tell {
		f.waitingTil = until
	}
	f.mu.Unlock()
	if tell && f.opt.OnWait != nil {
		f.opt.OnWait(d)
	}
}
