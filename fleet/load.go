package fleet

import (
	"context"
	"errors"
	"net/http"
	"sync"
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
	// OnWait is told when a 429 makes the loader wait, and for how long; it may be
	// called from any goroutine, once for workers rate limited together.
	OnWait func(d time.Duration)
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
	return servers, err
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

// pageResult is one page read by a worker.
type pageResult struct {
	n        int
	droplets []godo.Droplet
	total    int
	err      error
}

func loadOnce(ctx context.Context, c *godo.Client, opt LoadOptions) ([]Server, error) {
	f := &fetcher{c: c, opt: opt}
	first := f.page(ctx, 1)
	if first.err != nil {
		return nil, first.err
	}
	pages := max(1, (first.total+opt.PerPage-1)/opt.PerPage)
	f.pages = pages
	report(opt.OnProgress, 1, pages)
	results := make([][]godo.Droplet, pages+1)
	results[1] = first.droplets
	if err := f.rest(ctx, pages, first.total, results); err != nil {
		return nil, err
	}
	return assemble(results, first.total)
}

// rest reads pages 2..pages with a bounded pool, stopping everything at the first error.
func (f *fetcher) rest(ctx context.Context, pages, total int, results [][]godo.Droplet) error {
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
			for n := range jobs {
				select {
				case out <- f.page(ctx, n):
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(out) }()
	return f.collect(out, pages, total, results, cancel)
}

func (f *fetcher) collect(out <-chan pageResult, pages, total int, results [][]godo.Droplet, cancel func()) error {
	var firstErr error
	done := 1
	for r := range out {
		switch {
		case firstErr != nil:
		case r.err != nil:
			firstErr = r.err
			cancel()
		case r.total != total:
			firstErr = ErrFleetChanged
			cancel()
		default:
			results[r.n] = r.droplets
			done++
			report(f.opt.OnProgress, done, pages)
		}
	}
	return firstErr
}

// poolSize is the number of workers for n pages: no more than the pages, the configured
// bound, and what the limiter allows at once (at least one).
func (f *fetcher) poolSize(n int) int {
	size := min(n, f.opt.Workers)
	if f.opt.Limiter != nil {
		size = min(size, max(1, f.opt.Limiter.Available()))
	}
	return size
}

// assemble joins the pages in order and checks that they add up to total distinct droplets.
func assemble(results [][]godo.Droplet, total int) ([]Server, error) {
	servers := make([]Server, 0, total)
	seen := make(map[int]bool, total)
	for _, page := range results {
		for i := range page {
			if seen[page[i].ID] {
				continue
			}
			seen[page[i].ID] = true
			servers = append(servers, ServerFromDroplet(&page[i]))
		}
	}
	if len(servers) != total {
		return nil, ErrFleetChanged
	}
	return servers, nil
}

func report(fn func(int, int), done, total int) {
	if fn != nil {
		fn(done, total)
	}
}

// fetcher reads single pages, waiting out 429s.
type fetcher struct {
	c     *godo.Client
	opt   LoadOptions
	pages int // known after the first page

	mu         sync.Mutex
	waitingTil time.Time // the end of the last wait reported through OnWait
}

func (f *fetcher) page(ctx context.Context, n int) pageResult {
	lo := &godo.ListOptions{Page: n, PerPage: f.opt.PerPage}
	for attempt := 0; ; attempt++ {
		var (
			ds   []godo.Droplet
			resp *godo.Response
			err  error
		)
		if f.opt.Tag != "" {
			ds, resp, err = f.c.Droplets.ListByTag(ctx, f.opt.Tag, lo)
		} else {
			ds, resp, err = f.c.Droplets.List(ctx, lo)
		}
		if err == nil {
			return pageResult{n: n, droplets: ds, total: metaTotal(resp, len(ds))}
		}
		if !isRateLimited(resp) || attempt >= maxRateRetries {
			return pageResult{n: n, err: &PageError{Page: n, Pages: f.pages, Err: err}}
		}
		if err := f.waitOut(ctx, RetryDelay(resp.Header)); err != nil {
			return pageResult{n: n, err: &PageError{Page: n, Pages: f.pages, Err: err}}
		}
	}
}

func metaTotal(resp *godo.Response, n int) int {
	if resp == nil || resp.Meta == nil {
		return n
	}
	return resp.Meta.Total
}

func isRateLimited(resp *godo.Response) bool {
	return resp != nil && resp.Response != nil && resp.StatusCode == http.StatusTooManyRequests
}

// waitOut waits d after a 429, telling OnWait once per distinct wait: workers rate limited
// together report one wait, not one each.
func (f *fetcher) waitOut(ctx context.Context, d time.Duration) error {
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
	return sleep(ctx, d)
}
