package dosim_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  dosim.Config
		flag string // "" for a valid config
	}{
		{"zero", dosim.Config{}, ""},
		{"flags as typed", dosim.Config{Seed: "scale", Droplets: 100000, Provision: 0, HealthPort: -1, RatePerMinute: 250, RatePerHour: 5000, StatePath: filepath.Join(dir, "w.json")}, ""},
		{"negative provision", dosim.Config{Provision: -time.Second}, "--provision"},
		{"negative action delay", dosim.Config{ActionDelay: -time.Millisecond}, "--action-delay"},
		{"negative latency", dosim.Config{Latency: -1}, "--latency"},
		{"negative pool minute", dosim.Config{PoolMinute: -1}, "--pool-minute"},
		{"negative rate per minute", dosim.Config{RatePerMinute: -1}, "--rate-per-minute"},
		{"negative rate per hour", dosim.Config{RatePerHour: -5}, "--rate-per-hour"},
		{"negative droplets", dosim.Config{Seed: "scale", Droplets: -1}, "--droplets"},
		{"too many droplets", dosim.Config{Seed: "scale", Droplets: dosim.MaxDroplets + 1}, "--droplets"},
		{"unknown seed", dosim.Config{Seed: "prod"}, "--seed"},
		{"health port", dosim.Config{HealthPort: 70000}, "--health-port"},
		{"health port -2", dosim.Config{HealthPort: -2}, "--health-port"},
		{"droplet limit", dosim.Config{DropletLimit: -3}, "--droplet-limit"},
		{"state in a missing directory", dosim.Config{StatePath: filepath.Join(dir, "nope", "w.json")}, "--state"},
		{"state under a file", dosim.Config{StatePath: filepath.Join(file, "w.json")}, "--state"},
		{"state is a directory", dosim.Config{StatePath: dir}, "--state"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.cfg.Validate()
			switch {
			case c.flag == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.flag != "" && err == nil:
				t.Errorf("accepted, want an error naming %s", c.flag)
			case c.flag != "" && (!strings.HasPrefix(err.Error(), c.flag) || strings.Contains(err.Error(), "\n")):
				t.Errorf("error %q does not start with %s in one line", err, c.flag)
			}
		})
	}
}

func TestAccountIdentity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	b := start(t, dosim.Config{Seed: "empty", HealthPort: -1, Team: "platform"})
	acctA, resp, err := a.Client.Account.Get(ctx)
	wantCode(t, "account a", resp, err, http.StatusOK)
	acctB, resp, err := b.Client.Account.Get(ctx)
	wantCode(t, "account b", resp, err, http.StatusOK)
	if acctA.UUID == acctB.UUID || len(acctA.UUID) != 40 || acctA.UUID != a.Sim.AccountUUID() {
		t.Errorf("two worlds share or misreport an account: %q and %q (Sim says %q)", acctA.UUID, acctB.UUID, a.Sim.AccountUUID())
	}
	if acctA.Team != nil {
		t.Errorf("a world seeded without a team reports %+v", acctA.Team)
	}
	if acctB.Team == nil || acctB.Team.Name != "platform" || len(acctB.Team.UUID) != 40 {
		t.Errorf("team: %+v", acctB.Team)
	}
}

func TestAccountSurvivesState(t *testing.T) {
	t.Parallel()
	cfg := dosim.Config{Seed: "empty", HealthPort: -1, StatePath: filepath.Join(t.TempDir(), "w.json")}
	first := dosimtest.Start(t, cfg)
	create(t, first, createReq("saved")) // a change, so that the world is saved
	uuid := first.Sim.AccountUUID()
	first.Server.Close()
	first.Sim.Close()
	if second := dosimtest.Start(t, cfg); second.Sim.AccountUUID() != uuid {
		t.Errorf("the account changed across a restart: %s, then %s", uuid, second.Sim.AccountUUID())
	}
}
