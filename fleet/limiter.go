package fleet

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	"golang.org/x/time/rate"
)

// DefaultRequestsPerMinute is DigitalOcean's burst limit on API requests per minute.
const DefaultRequestsPerMinute = 250

// Limiter keeps one process within the API's rate limits. Every request through a client
// it is attached to waits for it; it learns from the RateLimit-* headers of the answers
// and pauses everyone after a 429. Share one Limiter between everything that talks to the
// same account (the loader, the engine, the TUI).
type Limiter struct {
	bucket *rate.Limiter

	mu          sync.Mutex
	pausedUntil time.Time
	remaining   int // the last RateLimit-Remaining seen; -1 until one is
}

// NewLimiter allows perMinute requests a minute, all of them at once if need be, as
// DigitalOcean does.
func NewLimiter(perMinute int) *Limiter {
	perMinute = max(perMinute, 1)
	return &Limiter{
		bucket:    rate.NewLimiter(rate.Limit(float64(perMinute)/60), perMinute),
		remaining: -1,
	}
}

// Wait blocks until a request may start: after any pause a 429 imposed, then for a token.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		d := time.Until(l.pauseEnd())
		if d <= 0 {
			break
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	return l.bucket.Wait(ctx)
}

// Available is how many requests may start now without waiting: the tokens left, bounded
// by the hourly allowance the API last reported.
func (l *Limiter) Available() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Now().Before(l.pausedUntil) {
		return 0
	}
	n := int(math.Floor(l.bucket.Tokens()))
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
		if until := time.Now().Add(RetryDelay(h)); until.After(l.pausedUntil) {
			l.pausedUntil = until
		}
	}
}

func (l *Limiter) pauseEnd() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pausedUntil
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
