package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/fleet"
)

// Timing holds the engine's clocks. Tests and benchmarks against the simulator scale
// them down; the defaults suit DigitalOcean.
type Timing struct {
	// PollMin is the shortest wait between two polls of the same create group.
	PollMin time.Duration
	// ProvisionEstimate is when to look first after a create (0: unknown, look early).
	// The executor learns it from the droplets it sees turn active.
	ProvisionEstimate time.Duration
	// RetryBase and RetryMax bound the backoff between retries of a failed call.
	RetryBase, RetryMax time.Duration
	// Attempts is how many times a call that may be repeated is tried.
	Attempts int
	// AdoptDelay is the wait after an unclear create result before listing by tag.
	AdoptDelay time.Duration
	// CallTimeout bounds one API call.
	CallTimeout time.Duration
	// Lease is how long a driver's cloud lease on its rollout runs (default
	// DefaultLease); it is renewed at half that.
	Lease time.Duration
	// Settle is how long after a create answered with an error (or not at all) a
	// rollout looks for droplets the API committed late before it releases its lock
	// (default DefaultSettle; negative: not at all).
	Settle time.Duration
}

func (t Timing) withDefaults() Timing {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.PollMin, 2*time.Second)
	def(&t.RetryBase, time.Second)
	def(&t.RetryMax, 30*time.Second)
	def(&t.AdoptDelay, 2*time.Second)
	def(&t.CallTimeout, 60*time.Second)
	def(&t.Lease, DefaultLease)
	if t.Settle == 0 {
		t.Settle = DefaultSettle
	}
	if t.Attempts <= 0 {
		t.Attempts = 8
	}
	return t
}

// callClass says how a call may be retried.
type callClass int

const (
	// read calls change nothing and are retried on any transient failure.
	read callClass = iota
	// mutate calls have an effect that a repeat does not double (destroy, LB membership,
	// tags, power actions): retried on transient failures, the caller checks the outcome.
	mutate
	// create calls are never repeated: after an unclear result the caller adopts by tag.
	create
)

// unclearError is a create whose outcome is unknown: a transport error, 429 or 5xx.
type unclearError struct{ err error }

func (e *unclearError) Error() string { return "unclear result: " + e.err.Error() }
func (e *unclearError) Unwrap() error { return e.err }

// api calls godo with the engine's retry policy, reporting every call as an event.
type api struct {
	c       *godo.Client
	timing  Timing
	publish func(Event)
	// halted reports an injected crash: no request leaves after it.
	halted func() bool
	// stop, when set, gives a context that also ends on the operator's abort, for the
	// waits between retries.
	stop func(context.Context) (context.Context, context.CancelFunc)
	// hold, when set, is passed before every mutating call: the driver's lease.
	hold func(context.Context) error
	// failed counts attempts that failed and were retried: a wait they lengthened says
	// nothing about how long droplets take to turn active.
	failed atomic.Int64
}

// call runs fn, retrying as its class allows. fn gets a context that is not cancelled
// when ctx is, so that a call in flight when the operator interrupts still finishes and
// its result is journaled; ctx (or the operator's abort) stops the retries and waits.
// A mutating call is made only while the run holds its lease on the rollout.
func (a *api) call(ctx context.Context, class callClass, fn func(context.Context) (*godo.Response, error)) error {
	if class != read && a.hold != nil {
		if err := a.hold(ctx); err != nil {
			return err
		}
	}
	return a.callRaw(ctx, class, fn)
}

// callRaw is call without the lease: the lease's own calls.
func (a *api) callRaw(ctx context.Context, class callClass, fn func(context.Context) (*godo.Response, error)) error {
	var err error
	for attempt := 0; attempt < a.timing.Attempts; attempt++ {
		if a.halted() {
			return errCrashed
		}
		if cerr := ctx.Err(); cerr != nil {
			return errors.Join(ErrInterrupted, err)
		}
		var resp *godo.Response
		resp, err = a.once(ctx, fn)
		if err == nil {
			return nil
		}
		if !transient(resp, err) {
			return err
		}
		a.failed.Add(1)
		if class == create {
			return &unclearError{err: err}
		}
		if werr := a.backoff(ctx, resp, attempt); werr != nil {
			return errors.Join(werr, err)
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", a.timing.Attempts, err)
}

func (a *api) once(ctx context.Context, fn func(context.Context) (*godo.Response, error)) (*godo.Response, error) {
	// The engine retries for itself, reporting every attempt: the client sends once.
	cctx, cancel := context.WithTimeout(fleet.WithoutRetry(context.WithoutCancel(ctx)), a.timing.CallTimeout)
	defer cancel()
	start := time.Now()
	resp, err := fn(cctx)
	a.publish(callEvent(start, resp, err))
	return resp, err
}

// transient reports a failure that may pass: no answer, 429 or a server error.
func transient(resp *godo.Response, err error) bool {
	if errors.Is(err, errCrashed) {
		return false
	}
	status := statusOf(resp, err)
	return status == 0 || status == http.StatusTooManyRequests || status >= 500
}

func statusOf(resp *godo.Response, err error) int {
	if resp != nil && resp.Response != nil {
		return resp.StatusCode
	}
	var er *godo.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// backoff waits before a retry: what a 429 asks for, else exponentially longer.
func (a *api) backoff(ctx context.Context, resp *godo.Response, attempt int) error {
	d := min(a.timing.RetryBase<<attempt, a.timing.RetryMax)
	reason := "retry after a failed call"
	if statusOf(resp, nil) == http.StatusTooManyRequests {
		reason = "rate limited (429)"
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			d = time.Duration(s) * time.Second
		}
		a.publish(RateLimitWait{At: time.Now(), Wait: Duration(d), Reason: reason})
	}
	if a.stop != nil {
		var cancel context.CancelFunc
		ctx, cancel = a.stop(ctx)
		defer cancel()
	}
	return sleep(ctx, d)
}

// sleep waits for d, or returns stopCause when ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		if ctx.Err() != nil {
			return stopCause(ctx)
		}
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return stopCause(ctx)
	case <-t.C:
		return nil
	}
}

// stopCause says why a context ended: the operator's abort or pause when a stopCtx
// ended for them, else ErrInterrupted.
func stopCause(ctx context.Context) error {
	cause := context.Cause(ctx)
	var ab *abortError
	var ce *controlError
	if errors.As(cause, &ab) || errors.Is(cause, errPaused) || errors.As(cause, &ce) {
		return cause
	}
	return ErrInterrupted
}

func callEvent(start time.Time, resp *godo.Response, err error) APICall {
	ev := APICall{At: start, Took: Duration(time.Since(start)), Status: statusOf(resp, err)}
	if resp != nil && resp.Response != nil {
		if resp.Request != nil {
			ev.Method, ev.Path = resp.Request.Method, resp.Request.URL.Path
		}
		ev.RequestID = resp.Header.Get("X-Request-Id")
		ev.Remaining = resp.Rate.Remaining
	}
	var ue *url.Error
	if ev.Method == "" && errors.As(err, &ue) {
		ev.Method = ue.Op
		if u, perr := url.Parse(ue.URL); perr == nil {
			ev.Path = u.Path
		}
	}
	if err != nil {
		ev.Err = err.Error()
	}
	return ev
}

// isStatus reports whether err is an API answer with that status.
func isStatus(err error, status int) bool {
	var er *godo.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == status
}

// listByTag returns every droplet carrying tag, following pages.
func (a *api) listByTag(ctx context.Context, tag string) ([]godo.Droplet, error) {
	var all []godo.Droplet
	opt := &godo.ListOptions{Page: 1, PerPage: 200}
	for {
		var page []godo.Droplet
		var resp *godo.Response
		err := a.call(ctx, read, func(c context.Context) (*godo.Response, error) {
			var err error
			page, resp, err = a.c.Droplets.ListByTag(c, tag, opt)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("list droplets tagged %s: %w", tag, err)
		}
		all = append(all, page...)
		if resp == nil || resp.Links == nil || resp.Links.IsLastPage() {
			return all, nil
		}
		opt.Page++
	}
}
