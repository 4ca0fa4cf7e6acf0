package chaos

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/molt-sh/molt/dosim"
)

// The kinds of fault: every rule the simulator offers, and the two image marks.
const (
	Fault5xx       = "5xx"       // answered 500, 502, 503 or 504, not carried out
	Fault429       = "429"       // answered 429 with a retry-after
	Fault4xx       = "4xx"       // answered 422: the request is refused for good
	FaultDrop      = "drop"      // the connection dropped, not carried out
	FaultDelay     = "delay"     // answered late
	FaultAfter     = "after"     // carried out, then answered an error or dropped (maybe held back a while)
	FaultLate      = "late"      // answered an error at once, carried out a while later
	FaultUnhealthy = "unhealthy" // the target image's droplets answer /healthz with 500
	FaultStuck     = "stuck"     // the target image's droplets stay new
)

// ruleKinds are the kinds that are simulator rules, in the order a seed draws them.
var ruleKinds = []string{Fault5xx, Fault429, Fault4xx, FaultDrop, FaultDelay, FaultAfter, FaultLate}

// FaultPlan is a fault rule and when it comes into force.
type FaultPlan struct {
	Kind string
	Rule dosim.Fault
	// At, when set, adds the rule when the first command reaches it; else it is in
	// force from the start.
	At *Trigger
}

func (f FaultPlan) String() string {
	s := f.Kind + ": " + f.spec()
	if f.At != nil {
		s += " from " + f.At.String()
	}
	return s
}

// spec is the rule as `molt sim --fault` reads it.
func (f FaultPlan) spec() string {
	r := f.Rule
	method := r.Method
	if method == "" {
		method = "*"
	}
	parts := []string{method, r.Path}
	if r.Status != 0 {
		parts = append(parts, fmt.Sprintf("status=%d", r.Status))
	}
	for _, flag := range []struct {
		on   bool
		name string
	}{{r.Drop, "drop"}, {r.After, "after"}, {r.Late, "late"}} {
		if flag.on {
			parts = append(parts, flag.name)
		}
	}
	if r.Delay > 0 {
		parts = append(parts, "delay="+r.Delay.String())
	}
	if r.Count > 0 {
		parts = append(parts, fmt.Sprintf("count=%d", r.Count))
	}
	if r.Probability != nil {
		parts = append(parts, fmt.Sprintf("probability=%g", *r.Probability))
	}
	if r.RetryAfter > 0 {
		parts = append(parts, fmt.Sprintf("retry-after=%d", r.RetryAfter))
	}
	return strings.Join(parts, " ")
}

// route is a request molt makes, as a fault rule matches it.
type route struct{ method, path string }

// mutating are the changes molt asks for. The sampler's own reads (one load balancer,
// one droplet, one reserved IP by ID or address) match none of these or of reads, so
// that it neither eats a counted rule nor is kept from looking.
var mutating = []route{
	{"POST", "/v2/droplets"}, {"DELETE", "/v2/droplets/*"}, {"POST", "/v2/tags"},
	{"POST", "/v2/tags/*/resources"}, {"DELETE", "/v2/tags/*/resources"}, {"DELETE", "/v2/tags/*"},
	{"POST", "/v2/load_balancers/*/droplets"}, {"DELETE", "/v2/load_balancers/*/droplets"},
	{"POST", "/v2/reserved_ips/*/actions"}, {"POST", "/v2/droplets/*/actions"}, {"POST", "/v2/volumes/*/actions"},
}

// reads are what molt reads; "" matches any method.
var reads = []route{
	{"GET", "/v2/droplets"}, {"GET", "/v2/load_balancers"}, {"GET", "/v2/reserved_ips"},
	{"GET", "/v2/volumes"}, {"GET", "/v2/images"}, {"GET", "/v2/account"}, {"GET", "/v2/actions/*"},
	{"GET", "/v2/droplets/*/actions/*"}, {"GET", "/v2/reserved_ips/*/actions/*"}, {"GET", "/v2/volumes/*/actions/*"},
	{"", "/v2/*"},
}

// coreMutating are the changes most rollouts ask for, and core the requests most make:
// a rule strikes one of them more often than a route some selections never use.
var (
	coreMutating = []route{{"POST", "/v2/droplets"}, {"DELETE", "/v2/droplets/*"}, {"POST", "/v2/tags/*/resources"},
		{"DELETE", "/v2/tags/*"}, {"POST", "/v2/load_balancers/*/droplets"}, {"DELETE", "/v2/load_balancers/*/droplets"}}
	core = append([]route{{"GET", "/v2/droplets"}, {"", "/v2/*"}}, coreMutating...)
)

// pickRoute draws from common most of the time, else from all.
func pickRoute(rng *rand.Rand, common, all []route) route {
	if rng.IntN(10) < 7 {
		return common[rng.IntN(len(common))]
	}
	return all[rng.IntN(len(all))]
}

// pickFaults draws n fault rules of the given kinds (any rule kind when none given).
func pickFaults(rng *rand.Rand, n int, only ...string) []FaultPlan {
	var out []FaultPlan
	for range n {
		kind := ruleKinds[rng.IntN(len(ruleKinds))]
		if len(only) > 0 {
			kind = only[rng.IntN(len(only))]
		}
		f := FaultPlan{Kind: kind, Rule: pickRule(rng, kind)}
		if rng.IntN(2) == 0 {
			f.At = &Trigger{Kind: AtEvent, Frac: frac(rng) / 2}
		}
		out = append(out, f)
	}
	return out
}

// pickRule draws a rule of kind: where it strikes, and how often.
func pickRule(rng *rand.Rand, kind string) dosim.Fault {
	at := pickRoute(rng, core, append(append([]route{}, mutating...), reads...))
	var f dosim.Fault
	switch kind {
	case Fault5xx:
		f.Status = []int{500, 502, 503, 504}[rng.IntN(4)]
	case Fault429:
		f.Status, f.RetryAfter = 429, 1
	case Fault4xx:
		at = []route{{"POST", "/v2/droplets"}, {"POST", "/v2/load_balancers/*/droplets"}}[rng.IntN(2)]
		f.Status, f.Count = 422, 1+rng.IntN(2)
	case FaultDrop:
		f.Drop = true
	case FaultDelay:
		f.Delay = time.Duration(100+rng.IntN(900)) * time.Millisecond
	case FaultAfter:
		at = pickRoute(rng, coreMutating, mutating)
		f.After = true
		f.Status, f.Drop = errorOrDrop(rng)
		if rng.IntN(2) == 0 {
			f.Delay = time.Duration(200+rng.IntN(1300)) * time.Millisecond // the answer held back
		}
	case FaultLate:
		at = route{"POST", "/v2/droplets"}
		f.Late, f.Count = true, 1+rng.IntN(2)
		f.Status, f.Drop = errorOrDrop(rng)
		f.Delay = time.Duration(300+rng.IntN(3700)) * time.Millisecond // before the sweep at the end, or after it
	}
	f.Method, f.Path = at.method, at.path
	if f.Count == 0 {
		strength(rng, &f, kind)
	}
	return f
}

func errorOrDrop(rng *rand.Rand) (int, bool) {
	if rng.IntN(4) == 0 {
		return 0, true
	}
	return []int{500, 502, 503, 504}[rng.IntN(4)], false
}

// strength makes a rule fire a few times, or on a share of the requests it matches;
// rate limits fire rarely, since each one makes molt wait a second.
func strength(rng *rand.Rand, f *dosim.Fault, kind string) {
	if rng.IntN(5) < 3 {
		f.Count = 1 + rng.IntN(3)
		return
	}
	p := []float64{0.05, 0.1, 0.2, 0.3}[rng.IntN(4)]
	if kind == Fault429 {
		p = 0.05
	}
	f.Probability = &p
}
