package fleet

import (
	"context"
	"testing"
	"time"
)

// TestLimiterNeverStartsMoreThanPerMinuteInAnyMinute drives the limiter with a fake clock
// through two minutes of eager requests and checks every 60-second window.
func TestLimiterNeverStartsMoreThanPerMinuteInAnyMinute(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	l := NewLimiter(250)
	l.now = func() time.Time { return clock }
	var starts []time.Time
	for clock.Before(time.Unix(1_800_000_000, 0).Add(150 * time.Second)) {
		if d := l.reserve(); d > 0 {
			clock = clock.Add(d)
			continue
		}
		starts = append(starts, clock)
		clock = clock.Add(10 * time.Millisecond)
	}
	if len(starts) < 500 {
		t.Fatalf("only %d requests in 150 s; the limiter is too strict", len(starts))
	}
	j := 0
	for i := range starts {
		for starts[i].Sub(starts[j]) >= time.Minute {
			j++
		}
		if n := i - j + 1; n > 250 {
			t.Fatalf("%d requests started within one minute (ending %v)", n, starts[i])
		}
	}
}

func TestLimiterAllowsABurstThenWaits(t *testing.T) {
	l := NewLimiter(5)
	for i := range 5 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatalf("request %d of the burst: %v", i+1, err)
		}
	}
	if got := l.Available(); got != 0 {
		t.Errorf("Available after the burst = %d, want 0", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx); err == nil {
		t.Fatal("a sixth request within the minute must wait")
	}
}
