package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/molt-sh/molt/dosim"
)

// Config is what every run shares.
type Config struct {
	// Molt is the molt binary under test.
	Molt string
	// Dir holds one directory per run, seed-<n>.
	Dir string
	// Disk is how this machine fills a disk (DetectDisk).
	Disk DiskMode
	// Wrapper is an executable that runs molt under a file-size limit (ExecIfWrapped),
	// for DiskRlimit.
	Wrapper string
	// Has says which commands the binary has, of those some scenarios need.
	Has map[string]bool
	// Logf, when set, is told what each run does.
	Logf func(format string, a ...any)
}

// Result is what one run found.
type Result struct {
	Scenario Scenario
	// Skipped says why the run (or its end) was skipped: a command this build lacks.
	Skipped    string
	Violations []Violation
	Figures    Figures
	// Dir holds the run's files: outputs, journals, the simulator's world and log.
	Dir string
	// Err is the harness failing to run the scenario; it is not a violation of molt's.
	Err error
	// Log is what the run did, step by step.
	Log []string
}

// commandTimeout bounds a command; one that runs longer hangs.
const commandTimeout = 2 * time.Minute

// needs names the command a scenario cannot do without.
var needs = map[Kind]string{KindJournalDamaged: "recover", KindJournalLost: "recover", KindUnlockLive: "unlock"}

// run is one seed's run.
type run struct {
	cfg   Config
	sc    Scenario
	dir   string
	state [2]string
	sim   *sim
	start World
	plans [2]planInfo
	// created is the simulator's count of created droplets at the start.
	created int

	mu      sync.Mutex
	procs   []*proc
	cmds    []*command
	vs      []Violation
	fig     Figures
	ruleIDs map[int]int // simulator rule ID -> index in sc.Faults
	skipped string
	unmount func()
	bg      sync.WaitGroup // interrupts and faults waiting for their point
	fsize   int64          // the file-size limit of the first apply (DiskRlimit)
	damaged string         // the rollout whose journal the harness damaged
	log     []string
}

// command is a molt command the harness ran, and how it ended.
type command struct {
	p       *proc
	step    Step
	rollout string
	signal  string
	code    int
	ended   bool
	state   string // the journal's state right after it ended
	// created and records are the simulator's count of created droplets and the
	// journal's records when it started: its points count from there.
	created, records int
}

// Run runs the scenario of seed and checks the invariants.
func Run(ctx context.Context, cfg Config, seed int64) Result {
	sc := Pick(seed)
	dir := filepath.Join(cfg.Dir, fmt.Sprintf("seed-%d", seed))
	res := Result{Scenario: sc, Dir: dir}
	if cmd := needs[sc.Kind]; cmd != "" && !cfg.Has[cmd] && sc.Kind != KindJournalDamaged {
		res.Skipped = fmt.Sprintf("needs `molt %s`, which this build lacks", cmd)
		res.Figures = Figures{Skipped: 1}
		return res
	}
	r := &run{cfg: cfg, sc: sc, dir: dir, ruleIDs: map[int]int{}, fig: newFigures()}
	defer r.cleanup()
	if err := r.do(ctx); err != nil {
		res.Err = err
	}
	res.Violations, res.Skipped, res.Figures, res.Log = r.vs, r.skipped, r.fig, r.log
	res.Figures.Runs = 1
	if r.skipped != "" {
		res.Figures.Skipped = 1
	}
	for _, v := range r.vs {
		res.Figures.Violations[v.Invariant]++
	}
	return res
}

// do is the run: the world up, the chaos, the operator's end of it, the checks.
func (r *run) do(ctx context.Context) error {
	if err := r.setUp(ctx); err != nil {
		return err
	}
	sp := startSampler(ctx, r.sim.api, r.start, healthPort)
	defer func() {
		if sp != nil {
			sp.Stop()
		}
	}()
	r.logf("%s", r.sc)
	r.chaos(ctx)
	if err := r.calm(ctx); err != nil {
		return err
	}
	if r.skipped != "" {
		return nil
	}
	r.finish(ctx)
	units := sp.Stop()
	sp = nil
	r.fig.addUnits(units)
	r.violate(CheckSamples(units)...)
	return r.checkEnd(ctx)
}

// setUp makes the run's directories, starts the simulator, reads the plans and the
// world, and puts the faults of the start in force.
func (r *run) setUp(ctx context.Context) error {
	if err := os.RemoveAll(r.dir); err != nil {
		return err
	}
	r.state = [2]string{filepath.Join(r.dir, "state-0"), filepath.Join(r.dir, "state-1")}
	for _, d := range []string{r.dir, r.state[0], r.state[1], filepath.Join(r.dir, "home"), filepath.Join(r.dir, "config")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	s, err := startSim(ctx, r.cfg.Molt, r.dir, r.sc, r.baseEnv(), r.cfg.Has["demo-extras"])
	if err != nil {
		return err
	}
	r.sim = s
	r.track(s.p)
	if err := r.readPlans(ctx); err != nil {
		return err
	}
	if err := r.setUpDisk(); err != nil {
		return err
	}
	if r.start, err = snapshot(ctx, s.api, healthPort); err != nil {
		return fmt.Errorf("read the world at the start: %w", err)
	}
	st, err := s.stats(ctx)
	if err != nil {
		return err
	}
	r.created = st.DropletsCreated
	return r.breakWorld(ctx)
}

// breakWorld marks the target image and installs the rules in force from the start.
func (r *run) breakWorld(ctx context.Context) error {
	if r.sc.Image != "" {
		id, err := r.sim.imageID(ctx, r.sc.Target)
		if err != nil {
			return err
		}
		if err := r.sim.markImage(ctx, id, r.sc.Image == FaultUnhealthy, r.sc.Image == FaultStuck); err != nil {
			return err
		}
		r.fig.Rules[r.sc.Image]++
		r.fig.Fired[r.sc.Image]++
	}
	for i, f := range r.sc.Faults {
		if f.At == nil {
			if err := r.addFault(ctx, i); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *run) addFault(ctx context.Context, i int) error {
	id, err := r.sim.addFault(ctx, r.sc.Faults[i].Rule)
	if err != nil {
		return fmt.Errorf("fault %s: %w", r.sc.Faults[i], err)
	}
	r.mu.Lock()
	r.ruleIDs[id] = i
	r.fig.Rules[r.sc.Faults[i].Kind]++
	r.mu.Unlock()
	return nil
}

// calm ends the chaos: it waits for every command, counts what the rules did, clears
// them, waits for the late requests to land, and lifts a stuck image's mark, as the
// cloud recovers and the operator fixes the image.
func (r *run) calm(ctx context.Context) error {
	r.awaitAll(ctx, r.commands())
	r.bg.Wait()
	rules, err := r.sim.faults(ctx)
	if err != nil {
		return err
	}
	late := r.countFired(rules)
	if err := r.sim.clearFaults(ctx); err != nil {
		return err
	}
	lctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := r.sim.awaitLate(lctx, late); err != nil {
		return err
	}
	if r.sc.Image == FaultStuck {
		id, err := r.sim.imageID(ctx, r.sc.Target)
		if err != nil {
			return err
		}
		return r.sim.markImage(ctx, id, false, false)
	}
	return nil
}

// countFired adds up how often each rule fired; a counted rule missing from the list
// fired its count. It returns how many late requests are to be carried out.
func (r *run) countFired(inForce []dosim.Fault) int {
	hits := map[int]int{}
	for _, f := range inForce {
		hits[f.ID] = f.Hits
	}
	late := 0
	for id, i := range r.ruleIDs {
		f := r.sc.Faults[i]
		n, ok := hits[id]
		if !ok {
			n = f.Rule.Count
		}
		r.fig.Fired[f.Kind] += n
		if f.Kind == FaultLate {
			late += n
		}
	}
	return late
}

// cleanup stops every process still running and takes down the run's disk.
func (r *run) cleanup() {
	r.mu.Lock()
	procs := append([]*proc(nil), r.procs...)
	r.mu.Unlock()
	for _, p := range procs {
		p.stop()
	}
	if r.unmount != nil {
		r.unmount()
	}
}

func (r *run) track(p *proc) {
	r.mu.Lock()
	r.procs = append(r.procs, p)
	r.mu.Unlock()
}

func (r *run) commands() []*command {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*command(nil), r.cmds...)
}

func (r *run) violate(vs ...Violation) {
	r.mu.Lock()
	r.vs = append(r.vs, vs...)
	r.mu.Unlock()
}

// note logs something the run could not do as the scenario says.
func (r *run) note(format string, a ...any) { r.logf("note: "+format, a...) }

// logf adds a line to the run's log, and tells Config.Logf.
func (r *run) logf(format string, a ...any) {
	line := time.Now().Format("15:04:05.000 ") + fmt.Sprintf(format, a...)
	r.mu.Lock()
	r.log = append(r.log, line)
	r.mu.Unlock()
	if r.cfg.Logf != nil {
		r.cfg.Logf("seed %d: %s", r.sc.Seed, line)
	}
}

// rolloutRE finds a rollout ID in what a command said.
var rolloutRE = regexp.MustCompile(`\d{8}-\d{6}-[0-9a-f]{4}`)

// rolloutOf is the rollout a command ran: from its events, else the first ID its
// message names (apply says its own first).
func (c *command) rolloutOf() string {
	if c.rollout != "" {
		return c.rollout
	}
	if id := c.p.rolloutID(); id != "" {
		return id
	}
	return rolloutRE.FindString(c.p.stderr())
}

// errSkip stops the chaos phase of a run whose next step needs a command this build lacks.
var errSkip = errors.New("skipped")

// trimmed is a command's message on one line, for violations.
func trimmed(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		s = s[i+1:]
	}
	return s
}
