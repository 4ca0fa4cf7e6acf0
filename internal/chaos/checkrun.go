package chaos

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// UnitStat is what the sampler saw of one unit of service (a load balancer, or a
// reserved IP): healthy droplets behind it at the start, and the fewest seen since.
type UnitStat struct {
	Unit    string
	Start   int
	Min     int
	MinAt   time.Time
	Samples int
	// Unsettled counts samples dropped because the unit changed while it was read.
	Unsettled int
}

// CheckSamples: no unit ever had fewer healthy droplets in service than at the start.
func CheckSamples(units []UnitStat) []Violation {
	var vs []Violation
	for _, u := range units {
		if u.Samples > 0 && u.Min < u.Start {
			vs = append(vs, Violation{InvHealthyMin, fmt.Sprintf("%s had %d healthy in service at %s, %d at the start",
				u.Unit, u.Min, u.MinAt.Format("15:04:05.000"), u.Start)})
		}
	}
	return vs
}

// Driven is when a process changed a rollout: its first and last change.
type Driven struct {
	Proc     string
	Rollout  string
	From, To time.Time
}

// CheckDrivers: no two processes changed one rollout at overlapping times.
func CheckDrivers(ds []Driven) []Violation {
	var vs []Violation
	for i, a := range ds {
		for _, b := range ds[i+1:] {
			if a.Rollout == b.Rollout && a.Proc != b.Proc && !a.To.Before(b.From) && !b.To.Before(a.From) {
				vs = append(vs, Violation{InvTwoDrivers, fmt.Sprintf("%s and %s both changed rollout %s between %s and %s",
					a.Proc, b.Proc, a.Rollout, later(a.From, b.From).Format("15:04:05.000"), earlier(a.To, b.To).Format("15:04:05.000"))})
			}
		}
	}
	return vs
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Operator is one of two operators who applied overlapping selections at once.
type Operator struct {
	Proc     string
	Code     int
	Rollout  string
	Started  bool   // it created droplets: it proceeded
	Stderr   string // what it said
	Selected []string
}

// CheckOperators: of two operators applying overlapping selections at once, exactly
// one proceeds, and the other says which rollout holds its servers.
func CheckOperators(a, b Operator) []Violation {
	overlap := false
	for _, n := range a.Selected {
		overlap = overlap || slices.Contains(b.Selected, n)
	}
	switch {
	case !overlap:
		return nil
	case a.Code == 5 && b.Code == 5:
		return []Violation{{InvBothRefused, fmt.Sprintf("%s (%s) and %s (%s) both exited 5, each naming the other", a.Proc, a.Rollout, b.Proc, b.Rollout)}}
	case a.Started && b.Started:
		return []Violation{{InvTwoDrivers, fmt.Sprintf("%s (%s) and %s (%s) both proceeded on overlapping selections", a.Proc, a.Rollout, b.Proc, b.Rollout)}}
	}
	for _, p := range [][2]Operator{{a, b}, {b, a}} {
		loser, winner := p[0], p[1]
		if loser.Code == 5 && winner.Rollout != "" && !strings.Contains(loser.Stderr, winner.Rollout) {
			return []Violation{{InvExit, fmt.Sprintf("%s exited 5 without naming %s, which holds its servers: %s", loser.Proc, winner.Rollout, strings.TrimSpace(loser.Stderr))}}
		}
	}
	return nil
}

// Exit is how a command ended, beside what its rollout's journal said right after,
// when no other command shared its state directory.
type Exit struct {
	Proc   string
	Code   int
	Signal string // the signal the harness sent it, "" for none
	// State is the journal's state right after (empty: no journal, or unreadable).
	State string
	// Created reports whether this command started the rollout (apply).
	Created bool
	// Said is the last line of its stderr. Transient reports whether the only
	// transient faults in force (5xx, 429, dropped connections) fired a few times
	// each, so that a bounded retry absorbs them.
	Said      string
	Transient bool
}

// transientRE recognises molt's words for a transient API error.
var transientRE = regexp.MustCompile(`answered (5\d\d|429)|cannot reach the API|Too Many Requests|connection reset|EOF`)

// finalStates are the states a rollout ends in.
var finalStates = []string{"done", "rolled_back", "aborted"}

// CheckExit: the exit code says what the journal says (docs/engine.md, exit codes).
func CheckExit(e Exit) []Violation {
	bad := func(format string, a ...any) []Violation {
		return []Violation{{InvExit, e.Proc + " " + fmt.Sprintf(format, a...)}}
	}
	final := slices.Contains(finalStates, e.State)
	switch {
	case e.Signal == "KILL":
		return nil
	case e.Signal != "" && !slices.Contains([]int{0, 3, 4}, e.Code):
		return bad("exited %d after SIG%s; molt exits 4 on a signal (0 or 3 if it ended first)", e.Code, e.Signal)
	case e.Code == 0 && e.State != "" && !final:
		return bad("exited 0 but its journal says %s", e.State)
	case e.Code == 4 && final:
		return bad("exited 4 (resumable) but its journal says %s", e.State)
	case e.Code == 3 && e.State != "" && e.State != "rolled_back":
		return bad("exited 3 (rolled back) but its journal says %s", e.State)
	case e.Code == 1 && e.Created && e.State != "" && !final:
		return bad("exited 1 (nothing changed) but left its rollout %s; that is exit 4", e.State)
	case e.Code == 1 && e.Transient && transientRE.MatchString(e.Said):
		return []Violation{{InvTransient, fmt.Sprintf("%s exited 1 on an error a few retries absorb: %s", e.Proc, e.Said)}}
	}
	return nil
}

// JournalFile is one journal in a state directory as the harness read it.
type JournalFile struct {
	Path string
	// Err says why it cannot be read, or is "".
	Err   string
	State string
	Kept  int
	// Listed reports whether `molt rollouts` lists it, Named whether it names it at all.
	Listed, Named bool
}

// CheckJournals: at the end every journal is readable, listed, and its rollout ended
// with nothing kept; one that cannot be read is at least named by `molt rollouts`.
func CheckJournals(files []JournalFile) []Violation {
	var vs []Violation
	for _, f := range files {
		switch {
		case f.Err != "" && !f.Named:
			vs = append(vs, Violation{InvJournal, fmt.Sprintf("%s is damaged (%s) and `molt rollouts` does not say so", f.Path, f.Err)})
		case f.Err != "":
			vs = append(vs, Violation{InvJournal, fmt.Sprintf("%s is damaged: %s", f.Path, f.Err)})
		case !f.Listed:
			vs = append(vs, Violation{InvJournal, fmt.Sprintf("%s is readable but `molt rollouts` does not list it", f.Path)})
		case !slices.Contains(finalStates, f.State):
			vs = append(vs, Violation{InvJournal, fmt.Sprintf("%s is left %s", f.Path, f.State)})
		case f.Kept > 0:
			vs = append(vs, Violation{InvJournal, fmt.Sprintf("%s still keeps %d old droplets", f.Path, f.Kept)})
		}
	}
	return vs
}
