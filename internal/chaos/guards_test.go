package chaos

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// Every selection and target a seed draws (the first operator's, the second's, the
// broken image's) is a plan the guards of the target allow on the world the harness
// starts, replaces something, and reaches only servers of the role it names: the
// harness's rollouts are upgrades an operator would run, never a downgrade waved
// through with --allow-downgrade.
func TestPickedTargetsPassTheGuards(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "demo", DemoExtras: true, HealthPort: -1})
	ctx := context.Background()
	servers, err := fleet.Load(ctx, env.Client, fleet.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for seed := int64(1); seed <= 300; seed++ {
		sc := Pick(seed)
		sels := [][]string{append(slices.Clone(sc.Selection), "--to", sc.Target)}
		if sc.Second != nil {
			sels = append(sels, sc.Second)
		}
		for _, flags := range sels {
			key := strings.Join(flags, " ")
			if seen[key] {
				continue
			}
			seen[key] = true
			checkPlanAllowed(t, ctx, env, servers, flags)
		}
	}
	if len(seen) < len(selections)+2 {
		t.Errorf("seeds 1-300 drew %d selections and targets, fewer than the %d selections", len(seen), len(selections))
	}
}

func checkPlanAllowed(t *testing.T, ctx context.Context, env *dosimtest.Env, servers []fleet.Server, flags []string) {
	t.Helper()
	sel := fleet.Selection{Tag: flagValue(flags, "--tag"), Region: flagValue(flags, "--region"), Name: flagValue(flags, "--name")}
	st := actions.DefaultStrategy()
	st.MoveVolumes = slices.Contains(flags, "--move-volumes")
	target, err := actions.ResolveImage(ctx, env.Client, flagValue(flags, "--to"))
	if err != nil {
		t.Fatalf("%v: %v", flags, err)
	}
	in, err := actions.Gather(ctx, env.Client, strings.Join(flags, " "), sel.Select(servers), target, st)
	if err != nil {
		t.Fatalf("%v: %v", flags, err)
	}
	p, err := actions.NewPlan(in)
	if err != nil {
		t.Fatalf("%v: %v", flags, err)
	}
	if err := p.Refusal(); err != nil {
		t.Errorf("%v: %v", flags, err)
	}
	reps := p.Replacements()
	if len(reps) == 0 {
		t.Errorf("%v replaces nothing", flags)
	}
	role := "role:" + strings.SplitN(target.Name, "-", 2)[0]
	for _, r := range reps {
		if !slices.Contains(r.Old.Tags, role) {
			t.Errorf("%v replaces %s, tagged %v", flags, r.Old.Name, r.Old.Tags)
		}
	}
}
