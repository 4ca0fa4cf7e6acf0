package fleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/digitalocean/godo"
)

// PageError is a page of the droplet list that could not be read; the load failed as a
// whole because of it.
type PageError struct {
	Page, Pages int
	Err         error
}

// Error says which page failed and why.
func (e *PageError) Error() string {
	if e.Pages > 0 {
		return fmt.Sprintf("list droplets, page %d of %d: %v", e.Page, e.Pages, e.Err)
	}
	return fmt.Sprintf("list droplets, page %d: %v", e.Page, e.Err)
}

// Unwrap returns the cause.
func (e *PageError) Unwrap() error { return e.Err }

// UserError is an error phrased for the operator: one sentence that says what failed and
// what to do. Err keeps the details (URL, request ID) for logs and -v.
type UserError struct {
	Sentence string
	Err      error
}

// Error is the sentence.
func (e *UserError) Error() string { return e.Sentence }

// Unwrap returns the detailed error.
func (e *UserError) Unwrap() error { return e.Err }

// Explain turns an API error into a UserError naming the endpoint and, for a refused
// token, where the token came from. It never includes the token. Errors it does not
// recognise come back as they are.
func Explain(err error, creds Credentials) error {
	if err == nil {
		return nil
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return err
	}
	s := explain(err, creds)
	if s == "" {
		return err
	}
	var pe *PageError
	if errors.As(err, &pe) && pe.Page > 1 {
		s = fmt.Sprintf("%s (on page %d; nothing is shown rather than part of the fleet)", s, pe.Page)
	}
	return &UserError{Sentence: s, Err: err}
}

func explain(err error, creds Credentials) string {
	at := "the API at " + creds.Endpoint()
	var er *godo.ErrorResponse
	switch {
	case errors.Is(err, ErrFleetChanged):
		return "the fleet kept changing while it was being read; try again when it is quieter"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.As(err, &er) && er.Response != nil:
		return explainStatus(at, er.Response.StatusCode, creds)
	case isTimeout(err):
		return at + " did not answer in time; check the network or try again"
	}
	if reason := unreachable(err); reason != "" {
		return fmt.Sprintf("cannot reach %s: %s", at, reason)
	}
	return ""
}

func explainStatus(at string, status int, creds Credentials) string {
	code := fmt.Sprintf("%d %s", status, http.StatusText(status))
	switch status {
	case http.StatusUnauthorized:
		return fmt.Sprintf("%s refused the token from %s (%s); check the token, or log in again with doctl auth init",
			at, tokenSource(creds), code)
	case http.StatusForbidden:
		return fmt.Sprintf("%s does not allow this with the token from %s (%s); check the token's scopes",
			at, tokenSource(creds), code)
	case http.StatusTooManyRequests:
		return fmt.Sprintf("%s kept answering %s; wait a minute and try again", at, code)
	}
	if status >= 500 && creds.Endpoint() == DefaultAPIURL {
		return fmt.Sprintf("%s answered %s; try again, and see status.digitalocean.com if it persists", at, code)
	}
	return fmt.Sprintf("%s answered %s; try again", at, code)
}

func tokenSource(c Credentials) string {
	if c.Source == "" {
		return "nowhere (no token was found)"
	}
	return c.Source
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// unreachable names why a connection failed ("connection refused", "no such host"), or
// returns "" when err is not a connection failure.
func unreachable(err error) string {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "no such host " + dns.Name
	}
	var op *net.OpError
	if errors.As(err, &op) {
		msg := op.Err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return msg
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return ""
}
