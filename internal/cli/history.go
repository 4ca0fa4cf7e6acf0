package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/molt-sh/molt/fleet"
)

// histories opens the account's spread histories once per session: the account is read
// once (GET /v2/account), each role tag's history file once. The embedded simulator's
// worlds live as long as the process, so their history goes to a temporary directory
// removed with the session, as their journals do.
type histories struct {
	mu    sync.Mutex
	open  map[string]*fleet.History
	state string
}

// spreadHistory is the account's spread history for roleTag ("role" or "role:").
func (s *session) spreadHistory(ctx context.Context, roleTag string) (*fleet.History, error) {
	hs := &s.hist
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if h := hs.open[roleTag]; h != nil {
		return h, nil
	}
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	state, err := s.historyState()
	if err != nil {
		return nil, err
	}
	dir, err := fleet.AccountDirIn(state, account)
	if err != nil {
		return nil, err
	}
	h, err := fleet.OpenHistory(filepath.Join(dir, fleet.HistoryFile(roleTag)), fleet.HistoryOptions{})
	if err != nil {
		return nil, err
	}
	if hs.open == nil {
		hs.open = map[string]*fleet.History{}
	}
	hs.open[roleTag] = h
	return h, nil
}

// historyState is the state directory histories go under (the caller holds hist.mu).
func (s *session) historyState() (string, error) {
	if s.Sim == nil {
		return fleet.StateDir()
	}
	if s.hist.state == "" {
		dir, err := os.MkdirTemp("", "molt-demo-state-")
		if err != nil {
			return "", fmt.Errorf("make the demo's state directory: %w", err)
		}
		s.hist.state = dir
		s.closers = append(s.closers, func() { os.RemoveAll(dir) })
	}
	return s.hist.state, nil
}

// readCoverage says what part of the history a read of the fleet filtered by tag (the
// API's tag_name; "" for none) can stand for: the whole fleet, one role (a read by the
// role's own tag), or nothing (another tag sees part of several roles).
func readCoverage(tag, rolePrefix string) (whole bool, role string) {
	if tag == "" {
		return true, ""
	}
	if r, ok := strings.CutPrefix(tag, rolePrefix); ok && r != "" {
		return false, r
	}
	return false, ""
}

// recordRead keeps a read of the fleet (filtered by tag) in the account's history when
// the read covers the whole fleet or one role, and reports whether it did. A history
// that cannot be written never fails the command: -v says why.
func (s *session) recordRead(ctx context.Context, servers []fleet.Server, opt fleet.Options, tag string) bool {
	if opt.RolePrefix == "" {
		opt.RolePrefix = fleet.DefaultRolePrefix
	}
	whole, role := readCoverage(tag, opt.RolePrefix)
	if !whole && role == "" {
		return false
	}
	h, err := s.spreadHistory(ctx, opt.RolePrefix)
	if err == nil {
		r := fleet.NewReading(servers, opt, time.Now())
		if !whole {
			r = r.OnlyRole(role)
		}
		_, err = h.Record(r)
	}
	if err != nil {
		s.logf("the spread history was not written: %v", err)
		return false
	}
	return true
}

// parseSince reads --since: days or weeks (30d, 2w), or a Go duration (12h, 90m).
func parseSince(v string) (time.Duration, error) {
	if m := sinceDays.FindStringSubmatch(v); m != nil {
		n, err := strconv.Atoi(m[1])
		if err == nil && n > 0 && n <= 10000 {
			unit := 24 * time.Hour
			if m[2] == "w" {
				unit *= 7
			}
			return time.Duration(n) * unit, nil
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d, nil
	}
	return 0, usageError("--since: %q is not a time span: give days or weeks (30d, 2w) or hours (12h)", v)
}

var sinceDays = regexp.MustCompile(`^([0-9]+)([dw])$`)

// trendView reads the account's history for the trend over since, kept to the selected
// servers' roles when there is a selection.
func (s *session) trendView(ctx context.Context, opt fleet.Options, since string, sp *fleet.Spread, sel fleet.Selection) (*trendView, error) {
	span, err := parseSince(since)
	if err != nil {
		return nil, err
	}
	h, err := s.spreadHistory(ctx, opt.RolePrefix)
	if err == nil {
		err = h.Reload()
	}
	if err != nil {
		return nil, fmt.Errorf("read the spread history: %w", err)
	}
	now := time.Now()
	t := &trendView{trend: fleet.ComputeTrend(h.Samples(), h.Versions(), now.Add(-span), now), span: span}
	if sel != (fleet.Selection{}) {
		t.roles = []string{}
		for _, rs := range sp.Roles {
			t.roles = append(t.roles, rs.Role)
		}
	}
	return t, nil
}

// spreadTrend is the trend of the history the cockpit records (the default role tag)
// from since until now, read again first: other molt processes of the account append
// to it too.
func (s *session) spreadTrend(ctx context.Context, since time.Time) (fleet.Trend, error) {
	h, err := s.spreadHistory(ctx, fleet.DefaultRolePrefix)
	if err == nil {
		err = h.Reload()
	}
	if err != nil {
		return fleet.Trend{}, fmt.Errorf("read the spread history: %w", err)
	}
	return fleet.ComputeTrend(h.Samples(), h.Versions(), since, time.Now()), nil
}

// historyRecorder is what the cockpit's loads call with each whole fleet they read. It
// is made while the session is set up, before loads run in their own goroutines, so that
// the demo's state directory (and its removal at Close) is arranged here.
func (s *session) historyRecorder() func(context.Context, []fleet.Server) {
	s.hist.mu.Lock()
	_, err := s.historyState()
	s.hist.mu.Unlock()
	if err != nil {
		s.logf("the spread history will not be written: %v", err)
	}
	return func(ctx context.Context, servers []fleet.Server) { s.recordRead(ctx, servers, fleet.Options{}, "") }
}
