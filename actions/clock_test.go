package actions

import (
	"testing"
	"time"
)

// pollGroups waits for groups whose droplets turn active after took(i), as waitActive
// does, and returns the polls of each and how late each saw its droplet active.
func pollGroups(c *provisionClock, groups int, took func(i int) time.Duration) (polls []int, late []time.Duration) {
	for i := range groups {
		t, n := c.first(), 1
		for ; t < took(i); n++ {
			c.observe(t, false, n == 1)
			t += c.next(t)
		}
		c.observe(t, true, n == 1)
		polls, late = append(polls, n), append(late, t-took(i))
	}
	return polls, late
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func TestProvisionClockLearnsWithFewPolls(t *testing.T) {
	for _, tc := range []struct {
		name       string
		took, min  time.Duration
		waves      int
		maxPolls   int           // over all groups
		firstLate  time.Duration // the most the first group may be late
		settleLate time.Duration // the most any group after the sixth may be late
	}{
		{"many waves learn by doubling", 100 * time.Millisecond, 5 * time.Millisecond, 40, 40 + 7, 100 * time.Millisecond, 11 * time.Millisecond},
		{"few waves learn by tenths", 100 * time.Millisecond, 5 * time.Millisecond, 4, 4 + 18, 11 * time.Millisecond, 11 * time.Millisecond},
		{"DigitalOcean's times, many waves", 47 * time.Second, 2 * time.Second, 40, 40 + 8, 47 * time.Second, 5 * time.Second},
		{"DigitalOcean's times, few waves", 47 * time.Second, 2 * time.Second, 10, 10 + 19, 5 * time.Second, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &provisionClock{min: tc.min}
			c.plan(tc.waves)
			polls, late := pollGroups(c, tc.waves, func(int) time.Duration { return tc.took })
			if n := sum(polls); n > tc.maxPolls {
				t.Errorf("%d polls for %d groups (%v), want at most %d", n, tc.waves, polls, tc.maxPolls)
			}
			if late[0] > tc.firstLate {
				t.Errorf("the first group was seen active %s late, want at most %s", late[0], tc.firstLate)
			}
			for i := 6; i < len(late); i++ {
				if late[i] > tc.settleLate || polls[i] != 1 {
					t.Errorf("group %d: %d polls, %s late; want one poll at most %s late", i, polls[i], late[i], tc.settleLate)
				}
			}
		})
	}
}

func TestProvisionClockFollowsSlowerDroplets(t *testing.T) {
	c := &provisionClock{min: 5 * time.Millisecond, estimate: 100 * time.Millisecond}
	c.plan(40)
	took := func(i int) time.Duration {
		if i < 10 {
			return 100 * time.Millisecond
		}
		return 150 * time.Millisecond
	}
	polls, late := pollGroups(c, 40, took)
	if polls[0] != 1 || late[0] != 0 {
		t.Errorf("a warm start: %d polls, %s late for the first group; want one, on time", polls[0], late[0])
	}
	for i := 12; i < 40; i++ {
		if polls[i] != 1 || late[i] > 15*time.Millisecond {
			t.Errorf("group %d after droplets slowed: %d polls, %s late", i, polls[i], late[i])
		}
	}
}
