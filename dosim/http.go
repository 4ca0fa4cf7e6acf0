package dosim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ctxKey carries per-request values the middleware computes.
type reqInfo struct {
	id    string
	route string
}

// handler is a DigitalOcean API handler: it runs under s.mu and returns the status and body.
type handler func(r *http.Request, ri *reqInfo) (int, any)

func (s *Sim) routes() {
	m := http.NewServeMux()
	api := func(pattern string, h handler) {
		served := s.api(pattern, h)
		shadows := operations.shadowedBy(pattern)
		if len(shadows) == 0 {
			m.Handle(pattern, served)
			return
		}
		// A parameter of this pattern also matches a path DigitalOcean spells with a
		// literal there (GET /v2/droplets/{id} and /v2/droplets/autoscale): such a
		// request is not this operation's.
		m.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, sh := range shadows {
				if sh.matches(splitPath(r.URL.Path)) {
					s.unserved(w, r)
					return
				}
			}
			served.ServeHTTP(w, r)
		}))
	}
	s.dropletRoutes(api)
	s.resourceRoutes(api)
	for _, x := range s.extraRoutes {
		m.HandleFunc(x.pattern, x.serve)
	}
	m.HandleFunc("GET /_sim/stats", s.admin(s.handleStats))
	m.HandleFunc("POST /_sim/faults", s.admin(s.handleAddFault))
	m.HandleFunc("GET /_sim/faults", s.admin(s.handleListFaults))
	m.HandleFunc("DELETE /_sim/faults", s.admin(s.handleClearFaults))
	m.HandleFunc("POST /_sim/images/{id}", s.admin(s.handleImageFlags))
	m.HandleFunc("POST /_sim/droplets/{id}/backups", s.admin(s.handleTakeBackup))
	m.HandleFunc("/", s.unserved)
	s.mux = m
}

// resourceRoutes is extended by the files serving the other resources.
func (s *Sim) resourceRoutes(api func(string, handler)) {
	for _, reg := range resourceRegistrars {
		reg(s, api)
	}
}

var resourceRegistrars []func(*Sim, func(string, handler))

// errorBody is DigitalOcean's error envelope.
type errorBody struct {
	ID        string `json:"id"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
	// Error and RootCauses are the envelope some operations answer with instead
	// (error_with_root_causes: an invalid tag name); the simulator sends both.
	Error      string   `json:"error,omitempty"`
	RootCauses []string `json:"root_causes,omitempty"`
}

func errBody(status int, id, msg string) (int, any) {
	return status, &errorBody{ID: id, Message: msg}
}

func errf(status int, id, format string, a ...any) (int, any) {
	return errBody(status, id, fmt.Sprintf(format, a...))
}

func notFound() (int, any) {
	return errBody(http.StatusNotFound, "not_found", "The resource you were accessing could not be found.")
}

func unprocessable(format string, a ...any) (int, any) {
	return errf(http.StatusUnprocessableEntity, "unprocessable_entity", format, a...)
}

func badRequest(format string, a ...any) (int, any) {
	return errf(http.StatusBadRequest, "bad_request", format, a...)
}

// api wraps a handler with what every DigitalOcean response has: request ID, latency,
// auth, rate limit headers, fault injection and stats.
func (s *Sim) api(route string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{id: s.requestID(), route: route}
		w.Header().Set("x-request-id", ri.id)
		status := s.serveAPI(w, r, ri, h)
		if s.cfg.Logger != nil {
			s.cfg.Logger.Printf("%s %s %d %s %s", r.Method, r.URL.RequestURI(), status, time.Since(start).Round(time.Millisecond), ri.id)
		}
	})
}

func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request, ri *reqInfo, h handler) int {
	if s.cfg.Latency > 0 {
		select {
		case <-time.After(s.cfg.Latency):
		case <-r.Context().Done():
			return 499
		}
	}
	s.stats.count(r.Method, ri.route)
	if !s.authorized(r) {
		s.limiter.peek(time.Now()).setHeaders(w.Header())
		return s.write(w, ri, http.StatusUnauthorized, unauthorizedBody())
	}
	lim := s.limiter.take(time.Now())
	lim.setHeaders(w.Header())
	if !lim.ok {
		return s.write(w, ri, http.StatusTooManyRequests, &errorBody{ID: "too_many_requests", Message: "API Rate limit exceeded."})
	}
	f := s.faults.match(r.Method, r.URL.Path, ri.route)
	if f != nil && f.Late {
		if err := s.late(r, ri, h, f.Delay); err != nil {
			return s.write(w, ri, http.StatusBadRequest, &errorBody{ID: "bad_request", Message: "read the request body: " + err.Error()})
		}
	}
	if f != nil && !f.After {
		if done, status := s.applyFault(w, r, ri, f); done {
			return status
		}
	}
	status, body := s.run(r, ri, h)
	if f != nil && f.After {
		if done, st := s.applyFault(w, r, ri, f); done {
			return st
		}
	}
	return s.write(w, ri, status, body)
}

func (s *Sim) run(r *http.Request, ri *reqInfo, h handler) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errBody(http.StatusServiceUnavailable, "service_unavailable", "The simulator is shutting down.")
	}
	status, body := h(r, ri)
	if r.Method != http.MethodGet && status < 300 {
		s.saveStateLocked()
	}
	return status, body
}

func (s *Sim) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	return ok && tok == s.cfg.Token
}

func (s *Sim) write(w http.ResponseWriter, ri *reqInfo, status int, body any) int {
	if eb, ok := body.(*errorBody); ok {
		eb.RequestID = ri.id
	}
	if body == nil || status == http.StatusNoContent {
		w.WriteHeader(status)
		return status
	}
	if rb, ok := body.(*rawBody); ok {
		defer rb.release()
		rb.buf.WriteByte('\n')
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(rb.buf.Len()))
		w.WriteHeader(status)
		_, _ = w.Write(rb.buf.Bytes())
		return status
	}
	buf, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		buf, _ = json.Marshal(&errorBody{ID: "server_error", Message: "Internal server error.", RequestID: ri.id})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)+1))
	w.WriteHeader(status)
	_, _ = w.Write(buf)
	_, _ = w.Write(newline)
	return status
}

var newline = []byte("\n")

// decode reads a JSON body into v. An empty body leaves v as it is.
func decode(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	return json.Unmarshal(data, v)
}

// base is the scheme and host used in absolute links.
func (s *Sim) base(r *http.Request) string {
	if u, ok := s.baseURL.Load().(string); ok && u != "" {
		return strings.TrimRight(u, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// page is a slice of a listing, with DigitalOcean's links and meta.
type page struct {
	start, end int
	links      obj
	total      int
}

// paginate reads page and per_page (default 20, at most 200) and builds absolute links.
func (s *Sim) paginate(r *http.Request, total int) (page, bool) {
	q := r.URL.Query()
	per := 20
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return page{}, false
		}
		per = min(n, 200)
	}
	num := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return page{}, false
		}
		num = n
	}
	last := max(1, (total+per-1)/per)
	p := page{start: min((num-1)*per, total), total: total}
	p.end = min(p.start+per, total)
	link := func(n int) string {
		u := url.URL{Path: r.URL.Path}
		qq := r.URL.Query()
		qq.Set("page", strconv.Itoa(n))
		qq.Set("per_page", strconv.Itoa(per))
		u.RawQuery = qq.Encode()
		return s.base(r) + u.String()
	}
	pages := obj{}
	if num > 1 {
		pages["first"] = link(1)
		pages["prev"] = link(min(num-1, last))
	}
	if num < last {
		pages["next"] = link(num + 1)
		pages["last"] = link(last)
	}
	// DigitalOcean sends an empty links object for a listing that fits on one page, and
	// godo's Links.CurrentPage reads an empty pages object as page 0.
	p.links = obj{}
	if len(pages) > 0 {
		p.links["pages"] = pages
	}
	return p, true
}

// listing renders a paginated list under key.
func (s *Sim) listing(r *http.Request, key string, total int, render func(i int) any) (int, any) {
	p, ok := s.paginate(r, total)
	if !ok {
		return badRequest("page and per_page must be positive integers")
	}
	items := make([]any, 0, p.end-p.start)
	for i := p.start; i < p.end; i++ {
		items = append(items, render(i))
	}
	return http.StatusOK, obj{key: items, "links": p.links, "meta": obj{"total": total}}
}

func pathInt(r *http.Request, name string) (int, bool) {
	n, err := strconv.Atoi(r.PathValue(name))
	return n, err == nil
}

// unauthorizedBody is DigitalOcean's answer to a missing or wrong token, word for word
// (the API description's example, and godo's own test fixture).
func unauthorizedBody() *errorBody {
	return &errorBody{ID: "unauthorized", Message: "Unable to authenticate you."}
}
