package fleet

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/digitalocean/godo"
)

// DefaultRequestsPerMinute is DigitalOcean's burst limit on API requests per minute.
const DefaultRequestsPerMinute = 250

// Limiter keeps one process within the API's rate limits. Every request through a client
// it is attached to waits for it; it learns from the RateLimit-* headers of the answers
// and pauses everyone after a 429. Share one Limiter between everything that talks to the
// same account (the loader, the engine, the TUI).
type Limiter struct {
	mu          sync.Mutex
	perMinute   int
	starts      []time.Time // start times of the requests of the last minute, oldest first
	pausedUntil time.Time
	remaining   int // the last RateLimit-Remaining seen; -1 until one is
	now         func() time.Time
}

// limiterWindow is the span the per-minute limit counts over.
const limiterWindow = time.Minute

// NewLimiter allows perMinute requests in any sliding minute, all of them at once if need
// be: never more than perMinute start within 60 seconds of each other.
func NewLimiter(perMinute int) *Limiter {
	return &Limiter{perMinute: max(perMinute, 1), remaining: -1, now: time.Now}
}

// Wait blocks until a request may start: after any pause a 429 imposed, then until fewer
// than the per-minute limit started in the last minute. It counts the request as started.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		d := l.reserve()
		if d <= 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// reserve records a start and returns 0, or returns how long to wait before trying again.
func (l *Limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Before(l.pausedUntil) {
		return l.pausedUntil.Sub(now)
	}
	l.prune(now)
	if len(l.starts) >= l.perMinute {
		return l.starts[0].Add(limiterWindow).Sub(now)
	}
	l.starts = append(l.starts, now)
	return 0
}

// prune forgets the starts that left the window. Runs under l.mu.
func (l *Limiter) prune(now time.Time) {
	i := 0
	for i < len(l.starts) && !now.Before(l.starts[i].Add(limiterWindow)) {
		i++
	}
	if i > 0 {
		l.starts = append(l.starts[:0], l.starts[i:]...)
	}
}

// Available is how many requests may start now without waiting: what is left of the
// per-minute limit, bounded by the hourly allowance the API last reported.
func (l *Limiter) Available() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Before(l.pausedUntil) {
		return 0
	}
	l.prune(now)
	n := l.perMinute - len(l.starts)
	if l.remaining >= 0 && l.remaining < n {
		n = l.remaining
	}
	return max(n, 0)
}

// Observe learns from an API answer: the hourly allowance left, and after a 429 a pause
// for everyone until the API's retry time.
func (l *Limiter) Observe(status int, h http.Header) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, err := strconv.Atoi(h.Get("RateLimit-Remaining")); err == nil {
		l.remaining = v
	}
	if status == http.StatusTooManyRequests {
		if until := l.now().Add(RetryDelay(h)); until.After(l.pausedUntil) {
			l.pausedUntil = until
		}
	}
}

// Transport wraps base so that every request waits for the limiter and feeds it its answer.
func (l *Limiter) Transport(base http.RoundTripper) http.RoundTripper {
	return &limitedTransport{lim: l, base: base}
}

// Attach routes every request of c through the limiter.
func (l *Limiter) Attach(c *godo.Client) {
	hc := *c.HTTPClient
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = l.Transport(base)
	c.HTTPClient = &hc
}

type limitedTransport struct {
	lim  *Limiter
	base http.RoundTripper
}

func (t *limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.lim.Wait(r.Context()); err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		t.lim.Observe(resp.StatusCode, resp.Header)
	}
	return resp, err
}

// maxRetryDelay bounds a wait taken from the reset header, which may name the end of the
// hour; a Retry-After the API sends is honoured as it is.
const maxRetryDelay = 5 * time.Minute

// RetryDelay is how long a 429 asks the client to wait: Retry-After when the API sends
// it, else until RateLimit-Reset (at most a few minutes), else one second.
func RetryDelay(h http.Header) time.Duration {
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if r, err := strconv.ParseInt(h.Get("RateLimit-Reset"), 10, 64); err == nil {
		d := time.Until(time.Unix(r, 0))
		return min(max(d, time.Second), maxRetryDelay)
	}
	return time.Second
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
