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
//
// Requests have a Priority. A rollout's requests (PriorityRollout, the default) only wait
// for the minute's budget. Reads (PriorityRead: loads and refreshes) also leave the
// reserve — the last RolloutReserve(perMinute) requests of the minute — to a rollout while
// one is running (a rollout request started within the window), and never take a slot a
// rollout request is waiting for. So a read of any size never holds a running rollout
// back by more than the reserve allows, and never pushes it into a 429.
type Limiter struct {
	mu             sync.Mutex
	perMinute      int
	rolloutReserve int
	starts         []time.Time // start times of the requests of the window, oldest first
	lastRollout    time.Time   // the start of the last PriorityRollout request
	waitingRollout int         // PriorityRollout requests waiting for a slot
	pausedUntil    time.Time
	remaining      int // the last RateLimit-Remaining seen; -1 until one is
	now            func() time.Time
}

// limiterWindow is the span the per-minute limit counts over: a minute, and a second for
// the requests' latency, since the API counts a request when it arrives and the limiter
// when it starts (two requests a minute apart at the start may arrive 59.9 s apart).
const limiterWindow = time.Minute + time.Second

// waitNoticeFloor is the shortest limiter wait told through WithWaitNotice.
const waitNoticeFloor = time.Second

// NewLimiter allows perMinute requests in any sliding minute, all of them at once if need
// be: never more than perMinute start within a minute (and a second) of each other.
func NewLimiter(perMinute int) *Limiter {
	perMinute = max(perMinute, 1)
	return &Limiter{perMinute: perMinute, rolloutReserve: RolloutReserve(perMinute), remaining: -1, now: time.Now}
}

// RolloutReserve is the part of a minute's budget that reads leave to a running rollout:
// a fifth (50 of DigitalOcean's 250), enough for a rollout's creates, polls and handovers
// at about one call every 1.2 seconds, while reads keep four fifths (40,000 droplets a
// minute at 200 a page).
func RolloutReserve(perMinute int) int { return perMinute / 5 }

// Priority orders requests that compete for the API's budget.
type Priority int

// The priorities, most urgent first.
const (
	// PriorityRollout is a running rollout's calls, and any request not tagged otherwise.
	PriorityRollout Priority = iota
	// PriorityRead is inventory reads and refreshes: they never take the reserve of a
	// running rollout.
	PriorityRead
)

type priorityKey struct{}

// WithPriority tags the requests made under ctx with p, overriding the client's default.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

func priorityOf(ctx context.Context, def Priority) Priority {
	if p, ok := ctx.Value(priorityKey{}).(Priority); ok {
		return p
	}
	return def
}

type waitNoticeKey struct{}

// WithWaitNotice makes every request under ctx that the limiter holds back for a second or
// more call fn with how long it expects to wait, before it waits.
func WithWaitNotice(ctx context.Context, fn func(time.Duration)) context.Context {
	return context.WithValue(ctx, waitNoticeKey{}, fn)
}

// Wait blocks until a request may start: after any pause a 429 imposed, then until fewer
// than the per-minute limit started in the window. It counts the request as started, as
// a PriorityRollout request unless ctx says otherwise (WithPriority).
func (l *Limiter) Wait(ctx context.Context) error {
	return l.wait(ctx, priorityOf(ctx, PriorityRollout))
}

func (l *Limiter) wait(ctx context.Context, p Priority) error {
	notice, _ := ctx.Value(waitNoticeKey{}).(func(time.Duration))
	queued := false
	defer func() {
		if queued {
			l.mu.Lock()
			l.waitingRollout--
			l.mu.Unlock()
		}
	}()
	for {
		d := l.reserveFor(p, &queued)
		if d <= 0 {
			return nil
		}
		if notice != nil && d >= waitNoticeFloor {
			notice(d)
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// reserve records a PriorityRollout start and returns 0, or returns how long to wait
// before trying again.
func (l *Limiter) reserve() time.Duration {
	var queued bool
	return l.reserveFor(PriorityRollout, &queued)
}

// reserveFor records a start of priority p and returns 0, or returns how long to wait
// before trying again. A rollout request that must wait is counted as queued (once), so
// that reads leave it the next slot.
func (l *Limiter) reserveFor(p Priority, queued *bool) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Before(l.pausedUntil) {
		return l.pausedUntil.Sub(now)
	}
	l.prune(now)
	if d := l.delay(now, p); d > 0 {
		if p == PriorityRollout && !*queued {
			*queued = true
			l.waitingRollout++
		}
		return d
	}
	if *queued {
		*queued = false
		l.waitingRollout--
	}
	l.starts = append(l.starts, now)
	if p == PriorityRollout {
		l.lastRollout = now
	}
	return 0
}

// budget is how many starts the window may hold for a request of priority p. Runs under
// l.mu.
func (l *Limiter) budget(now time.Time, p Priority) int {
	if p == PriorityRollout {
		return l.perMinute
	}
	b := l.perMinute - l.waitingRollout
	if l.rolloutRunning(now) {
		b -= l.rolloutReserve
	}
	return b
}

// rolloutRunning reports whether a rollout request started within the window. Runs under
// l.mu.
func (l *Limiter) rolloutRunning(now time.Time) bool {
	return !l.lastRollout.IsZero() && now.Before(l.lastRollout.Add(limiterWindow))
}

// delay is how long a request of priority p must wait before the window has room for it,
// or 0. Runs under l.mu, after prune.
func (l *Limiter) delay(now time.Time, p Priority) time.Duration {
	used, b := len(l.starts), l.budget(now, p)
	if used < b {
		return 0
	}
	if k := used - max(b, 0); k < used {
		// the window has room once starts[0..k] have left it
		return l.starts[k].Add(limiterWindow).Sub(now)
	}
	// A read with no budget at all (rollout requests waiting, or the reserve is the
	// whole budget): look again when the oldest start leaves or the rollout stops
	// counting as running, whichever comes first.
	d := l.lastRollout.Add(limiterWindow).Sub(now)
	if used > 0 {
		d = min(d, l.starts[0].Add(limiterWindow).Sub(now))
	}
	return max(d, 10*time.Millisecond)
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

// Available is how many rollout requests may start now without waiting: what is left of
// the per-minute limit, bounded by the hourly allowance the API last reported.
func (l *Limiter) Available() int { return l.AvailableTo(PriorityRollout) }

// AvailableTo is how many requests of priority p may start now without waiting.
func (l *Limiter) AvailableTo(p Priority) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Before(l.pausedUntil) {
		return 0
	}
	l.prune(now)
	n := l.budget(now, p) - len(l.starts)
	if l.remaining >= 0 && l.remaining < n {
		n = l.remaining
	}
	return max(n, 0)
}

// LimiterStatus is a snapshot of a Limiter, for a status line.
type LimiterStatus struct {
	// PerMinute is the budget, Used the requests started in the window.
	PerMinute, Used int
	// Reserve is the part of the budget that reads leave to a running rollout.
	Reserve int
	// RolloutRunning says whether a rollout request started within the window.
	RolloutRunning bool
	// PausedUntil is the end of a pause a 429 imposed (zero when none).
	PausedUntil time.Time
	// HourRemaining is the hourly allowance the API last reported, or -1.
	HourRemaining int
}

// Status reports the limiter's state now.
func (l *Limiter) Status() LimiterStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)
	st := LimiterStatus{PerMinute: l.perMinute, Used: len(l.starts), Reserve: l.rolloutReserve,
		RolloutRunning: l.rolloutRunning(now), HourRemaining: l.remaining}
	if now.Before(l.pausedUntil) {
		st.PausedUntil = l.pausedUntil
	}
	return st
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
// Requests are PriorityRollout unless their context says otherwise.
func (l *Limiter) Transport(base http.RoundTripper) http.RoundTripper {
	return l.TransportAt(PriorityRollout, base)
}

// TransportAt is Transport with p as the priority of requests whose context names none.
func (l *Limiter) TransportAt(p Priority, base http.RoundTripper) http.RoundTripper {
	return &limitedTransport{lim: l, base: base, priority: p}
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
	lim      *Limiter
	base     http.RoundTripper
	priority Priority
}

func (t *limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.lim.wait(r.Context(), priorityOf(r.Context(), t.priority)); err != nil {
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
