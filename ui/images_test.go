package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/fleet"
)

// A role's newest image in the account, when no server runs it yet, is what its servers
// are behind: the role and the spread say so, and how many.
func TestTheNewestImageIsTheOneNoServerRunsYet(t *testing.T) {
	t.Parallel()
	images := []fleet.Version{
		{ImageID: 910, Name: "web-1.7.0", CreatedAt: fixedNow.Add(-24 * time.Hour), Tags: []string{"role:web"},
			Semver: fleet.ParseSemver("web-1.7.0"), Status: "available"},
		{ImageID: 911, Name: "edge-1.2.0-rc1", CreatedAt: fixedNow.Add(-time.Hour), Tags: []string{"role:edge"},
			Semver: fleet.ParseSemver("edge-1.2.0-rc1"), Status: "available"},
	}
	withImages := func(deps *Deps) {
		deps.Images = func(context.Context) ([]fleet.Version, error) { return images, nil }
	}
	s := drive(t, loaded(t, demoServers(t), 80, 24, withImages), 80, 24).waitText("21 servers ↓21 behind")
	if !strings.Contains(s, "11 servers ↓10 behind") {
		t.Fatalf("the edge role's bar should count those behind 1.2.0:\n%s", s)
	}
	d := drive(t, loaded(t, demoServers(t), 120, 40, withImages), 120, 40)
	s = d.waitText("newest image 1.7.0 · 21 behind it")
	if !strings.Contains(s, "newest 1.2.0") {
		t.Fatalf("a prerelease (1.2.0-rc1) is not newer than 1.2.0:\n%s", s)
	}
	typeFilter(d, "role:web")
	if s = d.keys("j").waitText("web-1.6.0  ↓ behind"); !strings.Contains(s, "↓ web-stg-fra1-10") {
		t.Fatalf("the servers on 1.6.0 are not marked behind 1.7.0:\n%s", s)
	}
	d.keys("g").waitText("web-1.7.0 · 24h old, on no", "running  web-1.6.0")
}
