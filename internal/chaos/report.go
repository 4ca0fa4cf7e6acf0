package chaos

import (
	"fmt"
	"sort"
	"strings"
)

// Figures are what runs did, added up over seeds.
type Figures struct {
	Runs, Skipped int
	// Rules are the fault rules (and image marks) put in force, by kind; Fired how
	// many requests (or targets) they struck.
	Rules, Fired map[string]int
	Kills        int
	Signals      map[string]int
	// Missed counts interruptions whose point the command never reached.
	Missed   int
	Commands int
	// Exits counts the commands' exit codes (128+N: killed by signal N).
	Exits map[string]int
	// Units and Samples count the units of service sampled and their settled samples;
	// Margin is the worst fewest-healthy-in-service minus the start over every unit
	// (0: never below the start), seen on MarginUnit.
	Units, Samples int
	Margin         int
	MarginUnit     string
	Violations     map[string]int
}

func newFigures() Figures {
	return Figures{Rules: map[string]int{}, Fired: map[string]int{}, Signals: map[string]int{},
		Exits: map[string]int{}, Violations: map[string]int{}}
}

// addUnits takes in what the sampler saw.
func (f *Figures) addUnits(units []UnitStat) {
	for _, u := range units {
		f.Units++
		f.Samples += u.Samples
		if m := u.Min - u.Start; u.Samples > 0 && (m < f.Margin || f.MarginUnit == "") {
			f.Margin, f.MarginUnit = m, fmt.Sprintf("%s: %d of %d", u.Unit, u.Min, u.Start)
		}
	}
}

// Add adds another run's figures to these.
func (f *Figures) Add(o Figures) {
	if f.Rules == nil {
		*f = newFigures()
	}
	f.Runs += o.Runs
	f.Skipped += o.Skipped
	f.Kills += o.Kills
	f.Missed += o.Missed
	f.Commands += o.Commands
	f.Units += o.Units
	f.Samples += o.Samples
	if o.MarginUnit != "" && (o.Margin < f.Margin || f.MarginUnit == "") {
		f.Margin, f.MarginUnit = o.Margin, o.MarginUnit
	}
	for dst, src := range map[*map[string]int]map[string]int{&f.Rules: o.Rules, &f.Fired: o.Fired,
		&f.Signals: o.Signals, &f.Exits: o.Exits, &f.Violations: o.Violations} {
		for k, v := range src {
			(*dst)[k] += v
		}
	}
}

func (f Figures) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "runs %d (%d skipped, or their end skipped, for commands this build lacks); commands %d\n", f.Runs, f.Skipped, f.Commands)
	fmt.Fprintf(&b, "fault rules by kind (in force / struck): %s\n", pairs(f.Rules, f.Fired))
	fmt.Fprintf(&b, "kill -9: %d; signals: %s; interruptions whose point never came: %d\n", f.Kills, counts(f.Signals), f.Missed)
	fmt.Fprintf(&b, "exit codes: %s\n", counts(f.Exits))
	fmt.Fprintf(&b, "healthy in service: %d units, %d settled samples; worst: %+d against the start (%s)\n", f.Units, f.Samples, f.Margin, f.MarginUnit)
	fmt.Fprintf(&b, "violations: %s", counts(f.Violations))
	return b.String()
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func pairs(in, fired map[string]int) string {
	if len(in) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range append(append([]string{}, ruleKinds...), FaultUnhealthy, FaultStuck) {
		if in[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/%d", k, in[k], fired[k]))
		}
	}
	return strings.Join(parts, ", ")
}
