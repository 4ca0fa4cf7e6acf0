package fleet

import (
	"context"
	"errors"
	"io"
	"net/http"
	"syscall"
	"time"
)

// Reads retry: a GET (or HEAD) answered with a server error (5xx) or not at all (a
// dropped connection, a timeout) is sent again after a backoff, up to ReadAttempts in
// all. A 429 is left to the caller: the Limiter already holds every request of the
// process until the API's Retry-After, and the loader waits it out and says so
// (LoadOptions.OnWait), as docs/status.md documents. What reads before a rollout (plan,
// status, the TUI's loads) thus rides out what the engine's own retries absorb during
// one. Writes are never retried here: a
// create repeated blindly can make a duplicate, and the engine decides what to repeat.
// A caller with retries of its own (the engine, which reports every attempt) opts out
// with WithoutRetry.

// ReadAttempts bounds the tries of one read, as the engine bounds its own (with 30% of
// reads failing, one in 15,000 still fails; the backoffs add up to 15.75 s at most).
const ReadAttempts = 8

// refusedAttempts bounds the tries of a read whose connection is refused (0.75 s of
// backoff in all).
const refusedAttempts = 3

// Backoff between two tries of a read: doubling from readBackoff, at most readBackoffMax.
const (
	readBackoff    = 250 * time.Millisecond
	readBackoffMax = 4 * time.Second
)

type noRetryKey struct{}

// WithoutRetry marks ctx's requests as retried by the caller: the client sends them once.
func WithoutRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetryKey{}, true)
}

// retryReads wraps base so that reads retry as above.
func retryReads(base http.RoundTripper) http.RoundTripper {
	return &readRetry{base: base, attempts: ReadAttempts, backoff: readBackoff, most: readBackoffMax}
}

type readRetry struct {
	base     http.RoundTripper
	attempts int
	backoff  time.Duration
	most     time.Duration
}

func (t *readRetry) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || r.Body != nil && r.Body != http.NoBody ||
		ctx.Value(noRetryKey{}) != nil {
		return t.base.RoundTrip(r)
	}
	for attempt := 1; ; attempt++ {
		resp, err := t.base.RoundTrip(r)
		wait, again := t.retry(resp, err, attempt)
		if !again || ctx.Err() != nil {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		if serr := sleep(ctx, wait); serr != nil {
			return nil, errors.Join(err, serr)
		}
	}
}

// retry says whether an answer is worth another try, and after how long.
func (t *readRetry) retry(resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if attempt >= t.attempts {
		return 0, false
	}
	wait := min(t.backoff<<(attempt-1), t.most)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		// Nothing listens there: most likely a wrong --api-url, which the operator should
		// hear of in a second, not after 16; a restart of what listens gets two more tries.
		return wait, attempt < refusedAttempts
	case err != nil:
		return wait, !errors.Is(err, context.Canceled)
	case resp.StatusCode >= 500:
		return wait, true
	}
	return 0, false
}
