package ui

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// stageStep is where the operator is in staging a rollout.
type stageStep int

const (
	stepImage stageStep = iota
	stepStrategy
)

// stageScreen is a rollout being staged: the selection, the target image, the
// strategy, and the plan the engine made of them. It exists while it is shown.
type stageScreen struct {
	step    stageStep
	servers []fleet.Server
	name    string
	roles   []string
	regions []string

	images        []fleet.Version
	imagesErr     error
	loadingImages bool
	imageCursor   int
	target        fleet.Version

	strategy actions.Strategy
	knob     int
	// editing is set while a value is typed into the knob; edit holds it.
	editing bool
	edit    lineInput
	// changed says the strategy was changed here, to be remembered for the roles.
	changed bool

	// input is what planning needs, read once (gathered) from the account; every plan
	// after is made from it, until r reads it again.
	input     *actions.PlanInput
	inputAt   time.Time
	gatherGen int
	gathering bool
	planGen   int
	planning  bool
	plan      *actions.Plan
	planErr   error

	// confirmWhenReady asks for the confirmation once the plan being made arrives.
	confirmWhenReady bool
	// picked says which of the audit's findings picked each server, for the plan to
	// say (nil: none did).
	picked map[int]string
}

// startable reports whether enter can lead to a start: a plan with something to do that
// no guard refuses, or one being made.
func (s *stageScreen) startable() bool {
	return s.busy() || s.plan != nil && len(s.plan.Replacements()) > 0 && s.plan.Refusal() == nil
}

// busy says a plan is being made: its input read, or the plan itself.
func (s *stageScreen) busy() bool { return s.gathering || s.planning }

// askConfirm opens the typed confirmation when there is a plan with something to do that
// no guard refuses, or as soon as the plan being made arrives.
func (s *stageScreen) askConfirm(c *common) action {
	s.confirmWhenReady = s.busy()
	if s.startable() && !s.busy() {
		return openDialog{s.confirmDialog(c)}
	}
	return nil
}

// imagesLoadedMsg carries the account's private images.
type imagesLoadedMsg struct {
	images []fleet.Version
	err    error
}

// gatheredMsg carries what planning needs, read for gather generation gen.
type gatheredMsg struct {
	gen int
	in  actions.PlanInput
	err error
}

// planReadyMsg carries the plan of generation gen.
type planReadyMsg struct {
	gen  int
	plan actions.Plan
	err  error
}

// runStartedMsg says whether a run (kind: rollout, resume or rollback) started. seed
// is where each replacement was by the journal, and scope the replacements a rollback
// puts back (nil: all).
type runStartedMsg struct {
	kind  string
	run   Run
	err   error
	seed  map[int]actions.Phase
	scope []int
}

// newStage stages a rollout of servers with strategy st.
func newStage(servers []fleet.Server, opt fleet.Options, st actions.Strategy) *stageScreen {
	s := &stageScreen{servers: servers, strategy: st, loadingImages: true, edit: lineInput{limit: 64}}
	for _, srv := range servers {
		if r := opt.Role(srv); !slices.Contains(s.roles, r) {
			s.roles = append(s.roles, r)
		}
		if !slices.Contains(s.regions, srv.Region) {
			s.regions = append(s.regions, srv.Region)
		}
	}
	slices.Sort(s.roles)
	slices.Sort(s.regions)
	s.name = strings.Join(s.roles, "+")
	if len(servers) == 1 {
		s.name = servers[0].Name
	}
	return s
}

// setImages orders the images for picking: those made for the selection's roles first,
// each part newest first.
func (s *stageScreen) setImages(images []fleet.Version) {
	s.images = slices.Clone(images)
	slices.SortStableFunc(s.images, func(a, b fleet.Version) int {
		if c := cmp.Compare(s.rank(a), s.rank(b)); c != 0 {
			return c
		}
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.Name, b.Name))
	})
	s.imageCursor = 0
}

// rank is 0 for an image made for one of the selection's roles (by its role tag or name),
// 1 for one made for another role, 2 for one whose name says no role (a snapshot named
// by hand, say).
func (s *stageScreen) rank(v fleet.Version) int {
	for _, r := range s.roles {
		if slices.Contains(v.Tags, fleet.DefaultRolePrefix+r) || strings.HasPrefix(v.Name, r+"-") {
			return 0
		}
	}
	if _, ok := actions.ImageRole(v); ok {
		return 1
	}
	return 2
}

// onImage counts the selected servers already running image id.
func (s *stageScreen) onImage(id int) int {
	n := 0
	for _, srv := range s.servers {
		if srv.Image.ImageID == id {
			n++
		}
	}
	return n
}

// missingRegions are the selection's regions the image is not available in.
func (s *stageScreen) missingRegions(v fleet.Version) []string {
	var out []string
	for _, r := range s.regions {
		if !slices.Contains(v.Regions, r) {
			out = append(out, r)
		}
	}
	return out
}

// rolesKey names the selection's roles ("edge+web"): the strategy is remembered per key.
func (s *stageScreen) rolesKey() string { return strings.Join(s.roles, "+") }

// request is the plan request of the staged rollout.
func (s *stageScreen) request() PlanRequest {
	return PlanRequest{Selection: s.name, Servers: s.servers, Target: s.target, Strategy: s.strategy}
}

// planInput is the input read from the account with the strategy as it is now; the
// launch template found when it was read stays when the strategy names none.
func (s *stageScreen) planInput() actions.PlanInput {
	in := *s.input
	st := s.strategy
	if st.Launch.Source == "" {
		st.Launch = in.Strategy.Launch
	}
	in.Strategy = st
	return in
}

// loadImages lists the private images in the background.
func loadImages(ctx context.Context, images func(context.Context) ([]fleet.Version, error)) tea.Cmd {
	return func() tea.Msg {
		if images == nil {
			return imagesLoadedMsg{err: errNoImages}
		}
		list, err := images(ctx)
		return imagesLoadedMsg{images: list, err: err}
	}
}

// gatherCmd reads what planning needs in the background.
func gatherCmd(ctx context.Context, e Engine, gen int, req PlanRequest) tea.Cmd {
	return func() tea.Msg {
		in, err := e.Gather(ctx, req)
		return gatheredMsg{gen: gen, in: in, err: err}
	}
}

// planCmd plans from in off the UI's goroutine: the planner does no IO, but a
// selection of thousands of servers takes it a moment.
func planCmd(gen int, in actions.PlanInput) tea.Cmd {
	return func() tea.Msg {
		p, err := actions.NewPlan(in)
		return planReadyMsg{gen: gen, plan: p, err: err}
	}
}

// startCmd starts a rollout of plan in the background.
func startCmd(ctx context.Context, e Engine, plan actions.Plan) tea.Cmd {
	return func() tea.Msg {
		run, err := e.Start(ctx, plan)
		return runStartedMsg{kind: "rollout", run: run, err: err}
	}
}
