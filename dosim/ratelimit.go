package dosim

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// window counts the requests of the last span, each request expiring on its own timer
// as DigitalOcean describes its limits (rather than a counter reset once per period).
type window struct {
	span  time.Duration
	limit int
	times []time.Time // in order; times[head:] are the live ones
	head  int
}

func newWindow(limit int, span time.Duration) *window {
	return &window{span: span, limit: limit}
}

// expire drops the requests older than the window.
func (w *window) expire(now time.Time) {
	for w.head < len(w.times) && !now.Before(w.times[w.head].Add(w.span)) {
		w.head++
	}
	if w.head > 1024 && w.head*2 > len(w.times) {
		w.times = append(w.times[:0], w.times[w.head:]...)
		w.head = 0
	}
}

func (w *window) used() int { return len(w.times) - w.head }

func (w *window) full() bool { return w.used() >= w.limit }

// oldestExpiry is when the oldest counted request leaves the window (now if none).
func (w *window) oldestExpiry(now time.Time) time.Time {
	if w.used() == 0 {
		return now
	}
	return w.times[w.head].Add(w.span)
}

// rateLimiter enforces DigitalOcean's two limits: the hourly limit that the ratelimit-*
// headers report, and a per-minute burst limit.
type rateLimiter struct {
	mu     sync.Mutex
	minute *window
	hour   *window
}

type limitResult struct {
	ok        bool
	limit     int
	remaining int
	reset     int64
	// retryAfter is set (in seconds) when the burst limit refused the request.
	retryAfter int
}

func newRateLimiter(perMinute, perHour int) *rateLimiter {
	return &rateLimiter{minute: newWindow(perMinute, time.Minute), hour: newWindow(perHour, time.Hour)}
}

// take spends one request of the allowance, if there is one. Refused requests do not count.
func (l *rateLimiter) take(now time.Time) limitResult { return l.check(now, true) }

// peek reports the allowance without spending it (for answers that do not count).
func (l *rateLimiter) peek(now time.Time) limitResult { return l.check(now, false) }

func (l *rateLimiter) check(now time.Time, spend bool) limitResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.minute.expire(now)
	l.hour.expire(now)
	res := limitResult{limit: l.hour.limit, ok: true}
	switch {
	case !spend:
	case l.hour.full():
		res.ok = false
	case l.minute.full():
		// DigitalOcean reports a spent burst allowance as no requests remaining, and says
		// how long to wait in retry-after.
		res.ok = false
		wait := l.minute.oldestExpiry(now).Sub(now)
		res.retryAfter = max(1, int((wait+time.Second-1)/time.Second))
	default:
		l.minute.times = append(l.minute.times, now)
		l.hour.times = append(l.hour.times, now)
	}
	res.remaining = max(0, l.hour.limit-l.hour.used())
	if !res.ok {
		res.remaining = 0
	}
	// The reset is when the oldest request counted against the hour expires.
	// The reset is rounded up, so that a client waiting until then is never early.
	res.reset = l.hour.oldestExpiry(now).Add(time.Second - 1).Unix()
	return res
}

func (r limitResult) setHeaders(h http.Header) {
	h.Set("ratelimit-limit", strconv.Itoa(r.limit))
	h.Set("ratelimit-remaining", strconv.Itoa(r.remaining))
	h.Set("ratelimit-reset", strconv.FormatInt(r.reset, 10))
	if r.retryAfter > 0 {
		h.Set("retry-after", strconv.Itoa(r.retryAfter))
	}
}
