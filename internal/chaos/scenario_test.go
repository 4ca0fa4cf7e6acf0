package chaos

import (
	"path"
	"reflect"
	"testing"

	"github.com/molt-sh/molt/dosim"
)

// A seed means one scenario: picking it twice gives the same, and the seeds a run of
// two hundred covers draw every kind of scenario and every kind of fault.
func TestPickIsDeterministicAndCoversEveryKind(t *testing.T) {
	kindsSeen, faultsSeen := map[Kind]bool{}, map[string]bool{}
	for seed := int64(1); seed <= 200; seed++ {
		a, b := Pick(seed), Pick(seed)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d picked two scenarios:\n%s\n%s", seed, a, b)
		}
		kindsSeen[a.Kind] = true
		for _, f := range a.Faults {
			faultsSeen[f.Kind] = true
		}
		if a.Image != "" {
			faultsSeen[a.Image] = true
		}
		if len(a.Steps) == 0 {
			t.Errorf("seed %d: no steps", seed)
		}
	}
	for _, k := range kinds {
		if !kindsSeen[k.kind] {
			t.Errorf("no seed of 1-200 picks %s", k.kind)
		}
	}
	for _, k := range append(append([]string{}, ruleKinds...), FaultUnhealthy, FaultStuck) {
		if !faultsSeen[k] {
			t.Errorf("no seed of 1-200 injects %s", k)
		}
	}
}

// Every rule a seed draws is one the simulator takes, and none strikes the routes the
// sampler reads.
func TestPickedRulesAreValidAndSpareTheSampler(t *testing.T) {
	sampler := []route{{"GET", "/v2/load_balancers/4de7ac8b"}, {"GET", "/v2/droplets/300000018"}, {"GET", "/v2/reserved_ips/203.0.113.1"}}
	for seed := int64(1); seed <= 500; seed++ {
		for _, f := range Pick(seed).Faults {
			parsed, err := dosim.ParseFault(f.spec())
			if err != nil {
				t.Errorf("seed %d: %s: %v", seed, f, err)
			}
			if !reflect.DeepEqual(parsed, f.Rule) {
				t.Errorf("seed %d: %s reads back as %+v", seed, f, parsed)
			}
			for _, rt := range sampler {
				if matches(f, rt) {
					t.Errorf("seed %d: %s strikes the sampler's %s %s", seed, f, rt.method, rt.path)
				}
			}
		}
	}
}

func matches(f FaultPlan, rt route) bool {
	ok, _ := path.Match(f.Rule.Path, rt.path)
	return ok && (f.Rule.Method == "" || f.Rule.Method == rt.method)
}
