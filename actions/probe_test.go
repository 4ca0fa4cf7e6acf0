package actions

import (
	"context"
	"testing"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/fleet"
)

// ProbeFleet probes the servers of the roles that have a health check, over real
// sockets: the servers of an image marked unhealthy are unhealthy, the others healthy,
// a powered-off one unknown, and the roles without a check are left out.
func TestProbeFleet(t *testing.T) {
	env := startSim(t, dosim.Config{})
	st := testStrategy(env, 1)
	all := servers(t, env.Client, "role:web")
	sick := image(t, env.Client, "web-1.5.0")
	if err := env.Sim.SetImageFlags(sick.ImageID, true, false); err != nil {
		t.Fatal(err)
	}
	all[0].Status = "off" // as a kept old droplet is
	all = append(all, servers(t, env.Client, "role:worker")...)
	got := ProbeFleet(context.Background(), all, FleetProbeOptions{Checks: map[string]HealthCheck{"web": st.Health}, PerSecond: 1000})
	counts := map[fleet.HealthState]int{}
	for _, s := range all {
		h, ok := got[s.ID]
		if role, _ := s.TagValue("role:"); role != "web" {
			if ok {
				t.Errorf("%s (%s) was probed", s.Name, role)
			}
			continue
		}
		counts[h.State]++
		want := fleet.HealthHealthy
		switch {
		case s.Status == "off":
			want = fleet.HealthUnknown
		case s.Image.ImageID == sick.ImageID:
			want = fleet.HealthUnhealthy
		}
		if h.State != want {
			t.Errorf("%s on %s: %s (%s), want %s", s.Name, s.Image.Name, h.State, h.Detail, want)
		}
	}
	t.Logf("web: %v", counts)
}
