package fleet

import (
	"testing"
	"time"
)

// fakeLimiter is a limiter on a clock the test moves.
func fakeLimiter(perMinute int) (*Limiter, *time.Time) {
	clock := time.Unix(1_800_000_000, 0)
	l := NewLimiter(perMinute)
	l.now = func() time.Time { return clock }
	return l, &clock
}

// take reserves n requests of priority p and returns how many got through at once.
func take(l *Limiter, p Priority, n int) int {
	got := 0
	for range n {
		var queued bool
		if l.reserveFor(p, &queued) == 0 {
			got++
		} else if queued {
			l.waitingRollout--
		}
	}
	return got
}

func TestLimiterReadsLeaveTheReserveToARunningRollout(t *testing.T) {
	l, _ := fakeLimiter(10) // reserve 2
	if take(l, PriorityRollout, 1) != 1 {
		t.Fatal("the rollout's first request must start")
	}
	if got := take(l, PriorityRead, 20); got != 7 {
		t.Fatalf("reads started %d requests while a rollout runs, want 7: 10 less the reserve of 2 less the rollout's 1", got)
	}
	if got := l.AvailableTo(PriorityRead); got != 0 {
		t.Errorf("AvailableTo(PriorityRead) = %d, want 0", got)
	}
	if got := take(l, PriorityRollout, 5); got != 2 {
		t.Fatalf("the rollout started %d more requests, want the reserve's 2", got)
	}
}

func TestLimiterReadsTakeTheWholeBudgetWithoutARollout(t *testing.T) {
	l, clock := fakeLimiter(10)
	if got := take(l, PriorityRead, 20); got != 10 {
		t.Fatalf("reads started %d requests with no rollout running, want all 10", got)
	}
	*clock = clock.Add(limiterWindow)
	take(l, PriorityRollout, 1)
	*clock = clock.Add(limiterWindow)
	if st := l.Status(); st.RolloutRunning || st.Used != 0 {
		t.Fatalf("a window after the rollout's last request: %+v, want no rollout running and nothing used", st)
	}
	if got := take(l, PriorityRead, 20); got != 10 {
		t.Fatalf("reads started %d requests a window after the rollout's last, want all 10", got)
	}
}

func TestLimiterGivesAFreedSlotToAWaitingRolloutFirst(t *testing.T) {
	l, clock := fakeLimiter(10)
	for range 10 { // a millisecond apart, so that they leave the window one by one
		take(l, PriorityRead, 1)
		*clock = clock.Add(time.Millisecond)
	}
	var rollout bool
	d := l.reserveFor(PriorityRollout, &rollout)
	if d <= 0 || !rollout {
		t.Fatalf("with the budget spent, a rollout request got %s, queued %v; want a wait, queued", d, rollout)
	}
	*clock = clock.Add(d) // the oldest read leaves the window
	var read bool
	if l.reserveFor(PriorityRead, &read) == 0 {
		t.Fatal("a read took the slot a rollout request was waiting for")
	}
	if l.reserveFor(PriorityRollout, &rollout) != 0 || rollout || l.waitingRollout != 0 {
		t.Fatalf("the waiting rollout request did not get the freed slot (queued %v, %d waiting)", rollout, l.waitingRollout)
	}
}
