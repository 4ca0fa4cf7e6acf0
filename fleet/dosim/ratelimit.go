package dosim

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// bucket is a token bucket: capacity tokens, refilled evenly over per.
type bucket struct {
	capacity float64
	tokens   float64
	rate     float64 // tokens per second
	last     time.Time
}

func newBucket(capacity int, per time.Duration) *bucket {
	return &bucket{capacity: float64(capacity), tokens: float64(capacity), rate: float64(capacity) / per.Seconds()}
}

func (b *bucket) refill(now time.Time) {
	if !b.last.IsZero() {
		b.tokens = math.Min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
}

// wait is how long until one token is available.
func (b *bucket) wait() time.Duration {
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// rateLimiter enforces DigitalOcean's two limits: a burst limit per minute and the hourly
// limit that the ratelimit-* headers report.
type rateLimiter struct {
	mu     sync.Mutex
	minute *bucket
	hour   *bucket
	limit  int
}

type limitResult struct {
	ok         bool
	limit      int
	remaining  int
	reset      int64
	retryAfter int
}

func newRateLimiter(perMinute, perHour int) *rateLimiter {
	return &rateLimiter{minute: newBucket(perMinute, time.Minute), hour: newBucket(perHour, time.Hour), limit: perHour}
}

// take spends one request of the allowance, if there is one.
func (l *rateLimiter) take(now time.Time) limitResult { return l.check(now, true) }

// peek reports the allowance without spending it (for answers that do not count).
func (l *rateLimiter) peek(now time.Time) limitResult { return l.check(now, false) }

func (l *rateLimiter) check(now time.Time, spend bool) limitResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.minute.refill(now)
	l.hour.refill(now)
	res := limitResult{limit: l.limit}
	if !spend {
		res.ok = true
	} else if l.minute.tokens >= 1 && l.hour.tokens >= 1 {
		l.minute.tokens--
		l.hour.tokens--
		res.ok = true
	} else {
		wait := max(l.minute.wait(), l.hour.wait())
		res.retryAfter = max(1, int(math.Ceil(wait.Seconds())))
	}
	res.remaining = int(l.hour.tokens)
	// The reset is when the hourly allowance is whole again.
	full := time.Duration((l.hour.capacity - l.hour.tokens) / l.hour.rate * float64(time.Second))
	res.reset = now.Add(full).Unix()
	if full <= 0 {
		res.reset = now.Unix()
	}
	return res
}

func (r limitResult) setHeaders(h http.Header) {
	h.Set("ratelimit-limit", strconv.Itoa(r.limit))
	h.Set("ratelimit-remaining", strconv.Itoa(r.remaining))
	h.Set("ratelimit-reset", strconv.FormatInt(r.reset, 10))
}
