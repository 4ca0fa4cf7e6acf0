package actions

import (
	"context"
	"testing"
	"time"
)

func TestLateSubscriberStartsFromASnapshot(t *testing.T) {
	p := Plan{Waves: []Wave{{Index: 0, Replacements: []Replacement{{Slot: 0}, {Slot: 1}}}}}
	b := NewBroadcaster(NewStatus("r1", p))
	b.Publish(WaveStarted{Wave: 0, Slots: []int{0, 1}})
	b.Publish(PhaseChanged{Slot: 1, Phase: PhaseActive, NewID: 42})
	ch, leave := b.Subscribe()
	defer leave()
	snap, ok := (<-ch).(Snapshot)
	if !ok || snap.Status.Wave != 0 || snap.Status.Slots[1].Phase != PhaseActive || snap.Status.Slots[1].NewID != 42 {
		t.Fatalf("first event = %#v, want a snapshot with slot 1 active on droplet 42", snap)
	}
	b.Publish(PhaseChanged{Slot: 0, Phase: PhaseFailed, Reason: "boom"})
	if pc, ok := (<-ch).(PhaseChanged); !ok || pc.Slot != 0 {
		t.Fatalf("next event = %#v, want the phase change", pc)
	}
	b.Close()
	if _, open := <-ch; open {
		t.Error("channel still open after Close")
	}
}

func TestSlowSubscriberNeverBlocksAndResyncs(t *testing.T) {
	p := Plan{Waves: []Wave{{Index: 0, Replacements: []Replacement{{Slot: 0}}}}}
	b := NewBroadcaster(NewStatus("r1", p))
	ch, leave := b.Subscribe()
	defer leave()
	done := make(chan struct{})
	go func() {
		for i := range 3 * maxQueue {
			b.Publish(APICall{Status: 200, Remaining: i + 1})
		}
		b.Publish(PhaseChanged{Slot: 0, Phase: PhaseDone})
		b.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publishing blocked on a subscriber that does not read")
	}
	var st Status
	n := 0
	for ev := range ch {
		st.Apply(ev)
		n++
	}
	if st.Slots[0].Phase != PhaseDone || n > maxQueue+2 {
		t.Errorf("after %d events the subscriber sees phase %s, want done from at most %d events", n, st.Slots[0].Phase, maxQueue+2)
	}
}

func TestMarshalEvent(t *testing.T) {
	b, err := MarshalEvent(WaveStarted{Wave: 2, Slots: []int{4, 5}})
	if err != nil || string(b) != `{"type":"wave_started","at":"0001-01-01T00:00:00Z","wave":2,"slots":[4,5]}` {
		t.Errorf("MarshalEvent = %s, %v", b, err)
	}
}

// A subscription with a context ends with it: the subscriber is gone and its channel
// closed, though it never left and the broadcaster goes on (case 10 of issue 11: a
// dropped molt serve session's subscriber stayed until the rollout ended).
func TestSubscriptionEndsWithItsContext(t *testing.T) {
	t.Parallel()
	b := NewBroadcaster(Status{})
	ctx, cancel := context.WithCancel(context.Background())
	ch, _ := b.SubscribeContext(ctx)
	<-ch // the snapshot
	b.Publish(StateChanged{State: StateRunning})
	cancel()
	for range ch {
	}
	if n := b.subscribers(); n != 0 {
		t.Errorf("%d subscribers after the context ended", n)
	}
	b.Publish(StateChanged{State: StatePaused}) // nobody reads: must not block
}
