package actions

import (
	"context"
	"slices"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
)

// volumeHolders maps each attached volume to the name and image of its droplet.
func volumeHolders(t *testing.T, c *godo.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	vols, _, err := c.Storage.ListVolumes(ctx, &godo.ListVolumeParams{ListOptions: &godo.ListOptions{PerPage: 200}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, v := range vols {
		if len(v.DropletIDs) == 0 {
			continue
		}
		d, _, err := c.Droplets.Get(ctx, v.DropletIDs[0])
		if err != nil {
			t.Fatalf("volume %s is attached to droplet %d: %v", v.Name, v.DropletIDs[0], err)
		}
		out[v.ID] = d.Name + "@" + d.Image.Name
	}
	return out
}

// TestMoveVolumes replaces the demo's workers, some of which have a volume: without
// --move-volumes those are skipped; with it each volume ends on its new droplet, moved
// only once the old one is out of service, and a rollback moves it back.
func TestMoveVolumes(t *testing.T) {
	t.Parallel()
	for _, retire := range []string{"destroy", "keep"} {
		t.Run(retire, func(t *testing.T) {
			// The rollout, its rollback and the test's own reads (which do not wait out a
			// 429) come near the default 250 requests a minute: this test is not about it.
			env := startSim(t, dosim.Config{RatePerMinute: 5000})
			before := snapshot(t, env.Client)
			holders := volumeHolders(t, env.Client)
			st := testStrategy(env, 2)
			st.Retire, _ = ParseRetire(retire)
			without := plan(t, env.Client, "worker-2.2.0", st, "role:worker", "env:prod")
			skipped := 0
			for _, s := range without.Skipped {
				if len(s.Server.VolumeIDs) > 0 && s.Reason != "" {
					skipped++
				}
			}
			if skipped != len(holders) || skipped == 0 {
				t.Fatalf("without --move-volumes the plan skips %d servers with volumes, want %d", skipped, len(holders))
			}
			st.MoveVolumes = true
			p := plan(t, env.Client, "worker-2.2.0", st, "role:worker", "env:prod")
			opt := testOptions(t)
			e, err := apply(t, env.Client, p, opt)
			if err != nil {
				t.Fatal(err)
			}
			moved := volumeHolders(t, env.Client)
			for _, r := range p.Replacements() {
				for _, v := range r.Volumes {
					if want := r.Old.Name + "@worker-2.2.0"; moved[v] != want {
						t.Errorf("volume %s is on %s, want the new %s", v, moved[v], want)
					}
				}
			}
			movedAfterService(t, e.JournalPath())
			rollback(t, env.Client, e.JournalPath(), opt)
			if back := volumeHolders(t, env.Client); !mapsEqual(back, holders) {
				t.Errorf("after the rollback volumes are on %v, want %v", back, holders)
			}
			sameFleet(t, env.Client, before, p)
		})
	}
}

// movedAfterService checks in a journal that every volume was detached from an old
// droplet only after its replacement was in service, and before the old one retired.
func movedAfterService(t *testing.T, path string) {
	t.Helper()
	recs, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if r.Kind != KindIntent || r.Op != OpVolumeDetach {
			continue
		}
		slot := r.Slots[0]
		served := slices.IndexFunc(recs[:i], func(p Record) bool {
			return p.Kind == KindPhase && p.Phase == PhaseSoaked && slices.Contains(p.Slots, slot)
		})
		retired := slices.IndexFunc(recs[:i], func(p Record) bool {
			return p.Kind == KindIntent && (p.Op == OpRetire || p.Op == OpPowerOff) && slices.Contains(p.Slots, slot)
		})
		if served < 0 || retired >= 0 {
			t.Errorf("volume %s left slot %d's old droplet at record %d: in service at %d, retired at %d",
				r.Target, slot, r.Seq, served, retired)
		}
	}
}
