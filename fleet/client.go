package fleet

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/digitalocean/godo"
)

// DefaultRequestTimeout bounds one API request, not counting time spent waiting for the
// rate limiter.
const DefaultRequestTimeout = 60 * time.Second

// ClientOptions tunes NewClient.
type ClientOptions struct {
	// UserAgent names the program, such as "molt/1.2.0" (default "molt").
	UserAgent string
	// Limiter paces every request of the client (default: a new one at
	// DefaultRequestsPerMinute). Share it with everything else using the account.
	Limiter *Limiter
	// Timeout bounds each request (default DefaultRequestTimeout).
	Timeout time.Duration
	// Transport is the base HTTP transport (default: a clone of http.DefaultTransport).
	Transport http.RoundTripper
	// Priority is the limiter's priority for requests whose context names none (see
	// WithPriority): PriorityRollout, the zero value, for a client that changes the
	// fleet; Load tags its own requests PriorityRead whatever the client's default.
	Priority Priority
}

// NewClient builds a godo client for creds. godo's own retries stay off: they would replay
// creates on a 5xx, and DigitalOcean has no idempotency keys; callers decide what to retry.
// Reads retry on their own (retry.go), unless the context says WithoutRetry.
func NewClient(creds Credentials, opt ClientOptions) (*godo.Client, error) {
	if opt.UserAgent == "" {
		opt.UserAgent = "molt"
	}
	if opt.Limiter == nil {
		opt.Limiter = NewLimiter(DefaultRequestsPerMinute)
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultRequestTimeout
	}
	if opt.Transport == nil {
		opt.Transport = defaultTransport()
	}
	rt := opt.Limiter.TransportAt(opt.Priority, &timeoutTransport{timeout: opt.Timeout,
		base: &authTransport{token: creds.Token, base: opt.Transport}})
	c, err := godo.New(&http.Client{Transport: retryReads(rt)}, godo.SetBaseURL(creds.Endpoint()), godo.SetUserAgent(opt.UserAgent))
	if err != nil {
		return nil, fmt.Errorf("build the API client for %s: %w", creds.Endpoint(), err)
	}
	return c, nil
}

func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.MaxIdleConnsPerHost = DefaultWorkers
	return t
}

// authTransport adds the bearer token.
type authTransport struct {
	token Secret
	base  http.RoundTripper
}

func (a *authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+a.token.Reveal())
	return a.base.RoundTrip(r)
}

// timeoutTransport bounds a request from the moment it leaves the limiter until its body
// is closed, which an http.Client timeout cannot do without counting the limiter's waits.
type timeoutTransport struct {
	timeout time.Duration
	base    http.RoundTripper
}

func (t *timeoutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(r.Context(), t.timeout)
	resp, err := t.base.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
