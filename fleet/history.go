package fleet

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The spread history: every read of the fleet (a TUI refresh, `molt status`, a
// rollout's own read) becomes a Reading, and the History of the account keeps it as a
// Sample when the spread changed. A sample holds until the next one, so a fleet that
// does not change costs nothing, and a day of refreshes every few seconds costs as
// little as one. The file is bounded by downsampling (see Tiers): every sample for two
// days (at most one a minute), then one an hour, then one a day, for two years.
// docs/status.md describes the file and the trend computed from it.

// Sample is the spread at one time: per role, the servers on each version (by image
// key, "image:<id>"). A sample's maps are never changed once made, so samples share the
// roles that did not change between them.
type Sample struct {
	At    time.Time
	Roles map[string]map[string]int
}

// Count is the servers of role on key in the sample.
func (s Sample) Count(role, key string) int { return s.Roles[role][key] }

// RoleTotal is the servers of role in the sample.
func (s Sample) RoleTotal(role string) int {
	n := 0
	for _, c := range s.Roles[role] {
		n += c
	}
	return n
}

// VersionInfo is what the history keeps of a version to order it: its image name (from
// which the semantic version is read) and its creation time.
type VersionInfo struct {
	Key       string    `json:"key"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Reading is what one read of the fleet saw. Whole says the read covered the account's
// whole fleet, so a role it does not list has no servers; a read of one role's tag
// covers that role only, and leaves the others as they were.
type Reading struct {
	At       time.Time
	Roles    map[string]map[string]int
	Versions map[string]VersionInfo
	Whole    bool
}

// NewReading counts a whole read of the fleet per role (by opt's role tag) and image.
// Old droplets a rollout keeps powered off for a fast rollback (off, and still carrying
// the rollout's lock tag) are left out: they serve nothing, though they still bill.
func NewReading(servers []Server, opt Options, at time.Time) Reading {
	opt = opt.withDefaults()
	r := Reading{At: at, Roles: map[string]map[string]int{}, Versions: map[string]VersionInfo{}, Whole: true}
	keys := map[int]string{}
	for i := range servers {
		s := &servers[i]
		if keptByRollout(s) || leaving(s, opt.RolePrefix) {
			continue
		}
		key, ok := keys[s.Image.ImageID]
		if !ok {
			key = "image:" + strconv.Itoa(s.Image.ImageID)
			keys[s.Image.ImageID] = key
			r.Versions[key] = VersionInfo{Key: key, Name: s.Image.Name, CreatedAt: s.Image.CreatedAt}
		}
		role := opt.Role(*s)
		if r.Roles[role] == nil {
			r.Roles[role] = map[string]int{}
		}
		r.Roles[role][key]++
	}
	return r
}

// OnlyRole is the reading of a read that covered one role only (a read by the role's
// tag): the role's counts (none when it has no servers), nothing said of the others.
func (r Reading) OnlyRole(role string) Reading {
	out := Reading{At: r.At, Roles: map[string]map[string]int{role: r.Roles[role]}, Versions: r.Versions}
	if out.Roles[role] == nil {
		out.Roles[role] = map[string]int{}
	}
	return out
}

// keptByRollout reports an old droplet kept by a rollout: off, with a lock tag molt:<id>
// (the rollout's own tags, molt:<id>:g<n>, have a second colon).
func keptByRollout(s *Server) bool {
	return s.Status == "off" && lockedByRollout(s.Tags)
}

// lockedByRollout reports whether tags carry a rollout's lock tag (molt:<rollout>): the
// droplet is being replaced, or kept off by a rollout that replaced it.
func lockedByRollout(tags []string) bool {
	for _, t := range tags {
		if id, ok := strings.CutPrefix(t, "molt:"); ok && id != "" && !strings.Contains(id, ":") {
			return true
		}
	}
	return false
}

// leaving reports whether s is an old droplet a rollout is draining out of a tag-based
// load balancer: locked, and without its role tag, which was the balancer's tag. Its
// replacement is counted in its role; it would count as a server of no role.
func leaving(s *Server, rolePrefix string) bool {
	_, ok := tagValue(s.Tags, rolePrefix)
	return !ok && lockedByRollout(s.Tags)
}

// HistoryOptions tune a History.
type HistoryOptions struct {
	// Now is the clock downsampling measures ages by (default time.Now).
	Now func() time.Time
	// Tiers are the downsampling tiers (default DefaultTiers).
	Tiers []Tier
}

// History is one account's spread history: a file of JSON lines in the account's state
// directory, shared by every molt process of the account (appends and compactions take
// a lock file, and each process reads what the others appended before it writes).
type History struct {
	path string
	opt  HistoryOptions

	mu       sync.Mutex
	samples  []Sample
	versions map[string]VersionInfo
	file     historyFile
}

// HistoryFile is the history's file name in an account's directory for a role tag
// ("role" or "role:"): spread.jsonl, or spread-<tag>.jsonl for another tag, so that
// samples counted under different role tags never mix.
func HistoryFile(roleTag string) string {
	tag := strings.TrimSuffix(roleTag, ":")
	if tag == "" || tag+":" == DefaultRolePrefix {
		return "spread.jsonl"
	}
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, tag)
	return "spread-" + clean + ".jsonl"
}

// OpenHistory reads the history at path (an empty history when there is none yet),
// downsampling it if it has grown past its tiers. A torn last line (a process died while
// writing it) is dropped; other damaged lines are skipped and rewritten away.
func OpenHistory(path string, opt HistoryOptions) (*History, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Tiers == nil {
		opt.Tiers = DefaultTiers
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open the spread history: %w", err)
	}
	h := &History{path: path, opt: opt, versions: map[string]VersionInfo{}}
	err := h.locked(func() error {
		if err := h.sync(); err != nil {
			return err
		}
		return h.compactIfDue()
	})
	if err != nil {
		return nil, fmt.Errorf("open the spread history: %w", err)
	}
	return h, nil
}

// Path is the history's file.
func (h *History) Path() string { return h.path }

// Record keeps the reading as a sample when it changes the spread, and reports whether
// it did. Samples are appended whole or not at all (one write, synced); the file is
// rewritten (temp file, rename) when downsampling has enough to drop.
func (h *History) Record(r Reading) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var added bool
	err := h.locked(func() error {
		if err := h.sync(); err != nil {
			return err
		}
		next, changed := h.apply(r)
		if !changed {
			return nil
		}
		if err := h.append(next, r.Versions); err != nil {
			return err
		}
		added = true
		return h.compactIfDue()
	})
	if err != nil {
		return false, fmt.Errorf("record the spread: %w", err)
	}
	return added, nil
}

// apply is the sample the reading makes of the last one, and whether it differs.
func (h *History) apply(r Reading) (Sample, bool) {
	var last Sample
	if n := len(h.samples); n > 0 {
		last = h.samples[n-1]
	}
	at := r.At.UTC().Truncate(time.Second)
	if at.Before(last.At) {
		at = last.At // another process's clock ran ahead: keep the order
	}
	next := Sample{At: at, Roles: map[string]map[string]int{}}
	if !r.Whole {
		maps.Copy(next.Roles, last.Roles)
	}
	for role, counts := range r.Roles {
		next.Roles[role] = nonZero(counts)
		if len(next.Roles[role]) == 0 {
			delete(next.Roles, role)
		}
	}
	changed := len(next.Roles) != len(last.Roles)
	for role, counts := range next.Roles {
		if old, ok := last.Roles[role]; ok && maps.Equal(old, counts) {
			next.Roles[role] = old // share what did not change
			continue
		}
		changed = true
	}
	return next, changed
}

func nonZero(counts map[string]int) map[string]int {
	out := make(map[string]int, len(counts))
	for k, n := range counts {
		if n > 0 {
			out[k] = n
		}
	}
	return out
}

// Samples returns the samples held, oldest first, as of the last read or write of the
// file by this History.
func (h *History) Samples() []Sample {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.samples[:len(h.samples):len(h.samples)]
}

// Versions returns what the history knows of each version it has seen.
func (h *History) Versions() map[string]VersionInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.versions)
}

// Reload reads what other processes wrote since this History last read the file.
func (h *History) Reload() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.locked(h.sync)
}

// Move is servers of a role going from one version to another, as a rollout sees them
// go: its replacements done (or rolled back).
type Move struct {
	Role     string
	From, To string
	N        int
}

// RecordMoves keeps, as a sample at at, the last sample with the moves applied to their
// roles (counts never go below zero). It is how a rollout's own reads (its new droplets
// active, its old ones retired) reach the history without reading the fleet again; use
// it only when the history's last sample of those roles is the rollout's own read.
func (h *History) RecordMoves(at time.Time, moves []Move, versions map[string]VersionInfo) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var added bool
	err := h.locked(func() error {
		if err := h.sync(); err != nil {
			return err
		}
		next, changed := h.apply(h.moved(at, moves, versions))
		if !changed {
			return nil
		}
		if err := h.append(next, versions); err != nil {
			return err
		}
		added = true
		return h.compactIfDue()
	})
	if err != nil {
		return false, fmt.Errorf("record the spread: %w", err)
	}
	return added, nil
}

// moved is the reading of the moves' roles after them.
func (h *History) moved(at time.Time, moves []Move, versions map[string]VersionInfo) Reading {
	r := Reading{At: at, Roles: map[string]map[string]int{}, Versions: versions}
	var last Sample
	if n := len(h.samples); n > 0 {
		last = h.samples[n-1]
	}
	for _, m := range moves {
		counts := r.Roles[m.Role]
		if counts == nil {
			counts = maps.Clone(last.Roles[m.Role])
			if counts == nil {
				counts = map[string]int{}
			}
			r.Roles[m.Role] = counts
		}
		n := min(m.N, counts[m.From])
		counts[m.From] -= n
		counts[m.To] += n
	}
	return r
}
