package dosim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is one fault-injection rule. A request matches when its method (empty: any) and
// path glob (path.Match syntax, empty: any) match. A matching request is delayed by Delay,
// then answered with Status or a dropped connection. With After, the request is carried out
// first and only its answer is replaced: a create that is committed but answered 500.
// With Late, the request is answered at once with Status (or dropped) and carried out
// only Delay later, in the background: a create that times out or fails, but whose
// droplet the API commits after the client has looked for it (skipped if the simulator
// has closed by then).
// Count, when positive, retires the rule after that many hits; Probability, when set,
// fires the rule on that fraction of matching requests (0: never, 1: always).
type Fault struct {
	ID          int           `json:"id"`
	Method      string        `json:"method,omitempty"`
	Path        string        `json:"path,omitempty"`
	Status      int           `json:"status,omitempty"`
	Drop        bool          `json:"drop,omitempty"`
	Delay       time.Duration `json:"delay,omitempty"`
	After       bool          `json:"after,omitempty"`
	Late        bool          `json:"late,omitempty"`
	Count       int           `json:"count,omitempty"`
	Probability *float64      `json:"probability,omitempty"`
	// RetryAfter is the retry-after (seconds) sent with an injected 429 (default 1).
	RetryAfter int `json:"retry_after,omitempty"`
	Hits       int `json:"hits"`
}

// UnmarshalJSON accepts delay as a Go duration string ("250ms") or nanoseconds.
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	var aux struct {
		plain
		Delay any `json:"delay,omitempty"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*f = Fault(aux.plain)
	switch d := aux.Delay.(type) {
	case string:
		v, err := time.ParseDuration(d)
		if err != nil {
			return fmt.Errorf("delay: %w", err)
		}
		f.Delay = v
	case float64:
		f.Delay = time.Duration(d)
	}
	return nil
}

func (f *Fault) validate() error {
	if f.Status == 0 && !f.Drop && f.Delay <= 0 {
		return fmt.Errorf("a fault needs a status, drop or delay")
	}
	if f.Late && (f.After || f.Delay <= 0 || (f.Status == 0 && !f.Drop)) {
		return fmt.Errorf("a late fault needs a delay and a status or drop, and no after")
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return fmt.Errorf("status %d is not an error status", f.Status)
	}
	if f.Probability != nil && (*f.Probability < 0 || *f.Probability > 1) {
		return fmt.Errorf("probability must be between 0 and 1")
	}
	if _, err := path.Match(f.Path, "/"); err != nil {
		return fmt.Errorf("path pattern %q: %w", f.Path, err)
	}
	return nil
}

// ParseFault reads a rule written as `METHOD PATH key=value...`, for example
// `POST /v2/droplets status=500 after count=1` or `* /v2/* drop probability=0.1`.
func ParseFault(spec string) (Fault, error) {
	fields := strings.Fields(spec)
	if len(fields) < 3 {
		return Fault{}, fmt.Errorf("fault %q: want METHOD PATH and at least one of status=N, drop, delay=D", spec)
	}
	f := Fault{Method: strings.ToUpper(fields[0]), Path: fields[1]}
	if f.Method == "*" {
		f.Method = ""
	}
	for _, kv := range fields[2:] {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "status":
			f.Status, err = strconv.Atoi(v)
		case "drop":
			f.Drop = true
		case "after":
			f.After = true
		case "late":
			f.Late = true
		case "delay":
			f.Delay, err = time.ParseDuration(v)
		case "count":
			f.Count, err = strconv.Atoi(v)
		case "retry-after":
			f.RetryAfter, err = strconv.Atoi(v)
		case "probability":
			var p float64
			p, err = strconv.ParseFloat(v, 64)
			f.Probability = &p
		default:
			err = fmt.Errorf("unknown key")
		}
		if err != nil {
			return Fault{}, fmt.Errorf("fault %q: %s: %v", spec, k, err)
		}
	}
	return f, f.validate()
}

type faultSet struct {
	mu     sync.Mutex
	rules  []*Fault
	nextID int
}

func (fs *faultSet) add(f Fault) Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	f.ID = fs.nextID
	f.Method = strings.ToUpper(f.Method)
	fs.rules = append(fs.rules, &f)
	return f
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	fs.rules = nil
	fs.mu.Unlock()
}

func (fs *faultSet) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.rules))
	for _, f := range fs.rules {
		out = append(out, *f)
	}
	return out
}

// match returns a copy of the first rule that fires for this request, counting it.
func (fs *faultSet) match(method, urlPath, route string) *Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.rules {
		if f.Method != "" && f.Method != method {
			continue
		}
		if ok, _ := path.Match(f.Path, urlPath); f.Path != "" && !ok {
			continue
		}
		if f.Probability != nil && rand.Float64() >= *f.Probability {
			continue
		}
		f.Hits++
		hit := *f
		if f.Count > 0 && f.Hits >= f.Count {
			fs.rules = append(fs.rules[:i:i], fs.rules[i+1:]...)
		}
		return &hit
	}
	return nil
}

// late carries out a request Delay from now, in the background, under the simulator's
// lock like any other (a mutation counts in the droplet stats and is saved), unless the
// simulator has closed by then. The request's body is read now: it is gone once the
// request has been answered.
func (s *Sim) late(r *http.Request, ri *reqInfo, h handler, delay time.Duration) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	r2 := r.Clone(context.WithoutCancel(r.Context()))
	r2.Body = io.NopCloser(bytes.NewReader(body))
	ri2 := &reqInfo{id: ri.id, route: ri.route}
	time.AfterFunc(delay, func() {
		status, _ := s.run(r2, ri2, h)
		if s.cfg.Logger != nil {
			s.cfg.Logger.Printf("%s %s carried out late: %d %s", r2.Method, r2.URL.RequestURI(), status, ri2.id)
		}
	})
	return nil
}

// applyFault carries out a fault; done reports whether the response has been written.
func (s *Sim) applyFault(w http.ResponseWriter, r *http.Request, ri *reqInfo, f *Fault) (done bool, status int) {
	if f.Delay > 0 && !f.Late {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return true, 499
		}
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true, 0
			}
		}
		panic(http.ErrAbortHandler)
	}
	if f.Status == http.StatusTooManyRequests {
		w.Header().Set("retry-after", strconv.Itoa(max(1, f.RetryAfter)))
		w.Header().Set("ratelimit-remaining", "0")
	}
	if f.Status != 0 {
		return true, s.write(w, ri, f.Status, &errorBody{ID: faultID(f.Status), Message: "Injected fault: " + http.StatusText(f.Status)})
	}
	return false, 0
}

func faultID(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "too_many_requests"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusUnprocessableEntity:
		return "unprocessable_entity"
	}
	if status >= 500 {
		return "server_error"
	}
	return "bad_request"
}

// AddFault installs a fault rule and returns it with its ID.
func (s *Sim) AddFault(f Fault) (Fault, error) {
	if err := f.validate(); err != nil {
		return Fault{}, err
	}
	return s.faults.add(f), nil
}

// ClearFaults removes every fault rule.
func (s *Sim) ClearFaults() { s.faults.clear() }

// SetImageFlags marks an image unhealthy (its droplets' /healthz answers 500) and/or
// stuck (its droplets stay "new" until the mark is lifted).
func (s *Sim) SetImageFlags(imageID int, unhealthy, stuck bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	im, ok := s.w.Images[imageID]
	if !ok {
		return fmt.Errorf("image %d not found", imageID)
	}
	released := im.Stuck && !stuck
	im.Unhealthy, im.Stuck = unhealthy, stuck
	if released {
		for _, d := range s.w.Droplets {
			if d.ImageID == imageID && d.Status == "new" {
				s.scheduleActivation(d)
			}
		}
	}
	s.saveStateLocked()
	return nil
}

func (s *Sim) handleAddFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := decode(r, &f); err != nil {
		s.write(w, &reqInfo{}, http.StatusBadRequest, &errorBody{ID: "bad_request", Message: err.Error()})
		return
	}
	added, err := s.AddFault(f)
	if err != nil {
		s.write(w, &reqInfo{}, http.StatusUnprocessableEntity, &errorBody{ID: "unprocessable_entity", Message: err.Error()})
		return
	}
	s.write(w, &reqInfo{}, http.StatusCreated, obj{"fault": added})
}

func (s *Sim) handleListFaults(w http.ResponseWriter, r *http.Request) {
	s.write(w, &reqInfo{}, http.StatusOK, obj{"faults": s.faults.list()})
}

func (s *Sim) handleClearFaults(w http.ResponseWriter, r *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) handleImageFlags(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(r, "id")
	var body struct {
		Unhealthy bool `json:"unhealthy"`
		Stuck     bool `json:"stuck"`
	}
	if err := decode(r, &body); err != nil || !ok {
		s.write(w, &reqInfo{}, http.StatusBadRequest, &errorBody{ID: "bad_request", Message: "want {\"unhealthy\": bool, \"stuck\": bool} for a numeric image ID"})
		return
	}
	if err := s.SetImageFlags(id, body.Unhealthy, body.Stuck); err != nil {
		s.write(w, &reqInfo{}, http.StatusNotFound, &errorBody{ID: "not_found", Message: err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
