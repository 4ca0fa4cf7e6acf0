package fleet

import (
	"testing"
	"time"

	"github.com/digitalocean/godo"
)

func TestWhichActionsAreChanges(t *testing.T) {
	for typ, want := range map[string]bool{
		"resize": true, "rebuild": true, "password_reset": true, "change_kernel": true, "restore": true,
		"enable_ipv6": true, "enable_private_networking": true, "some_future_type": true,
		"create": false, "destroy": false, "power_on": false, "power_off": false, "power_cycle": false,
		"shutdown": false, "reboot": false, "snapshot": false, "enable_backups": false, "disable_backups": false,
		"change_backup_policy": false, "rename": false,
	} {
		if IsChange(typ) != want {
			t.Errorf("IsChange(%q) = %v, want %v", typ, !want, want)
		}
	}
}

func TestAges(t *testing.T) {
	for in, want := range map[string]time.Duration{"60d": 60 * Day, "2w": 14 * Day, "36h": 36 * time.Hour, "1.5d": 36 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "d", "-3d", "0d", "sixty days", "60x"} {
		if _, err := ParseAge(bad); err == nil {
			t.Errorf("ParseAge(%q) took it", bad)
		}
	}
	for d, want := range map[time.Duration]string{60 * Day: "60d", 36 * time.Hour: "36h", 90 * time.Minute: "1h30m", 2 * time.Hour: "2h"} {
		if got := FormatAge(d); got != want {
			t.Errorf("FormatAge(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestMadeByMolt(t *testing.T) {
	for tags, want := range map[string]bool{
		"molt:20250612-153000-7f3a:g3": true, "molt:20250612-153000-7f3a:b0": true,
		"molt:20250612-153000-7f3a": false, "role:web": false, "molt:x:gx": false, "molt:x:g": false,
	} {
		if got := MadeByMolt([]string{"env:prod", tags}); got != want {
			t.Errorf("MadeByMolt(%q) = %v", tags, got)
		}
	}
}

// The newest action read is where the next read stops, whatever it is on. A change seen
// in progress is read again until it ends; one that ends in error is
// forgotten. A droplet destroyed since leaves the log, and its older changes, on a later
// page, do not bring it back. Only the first change and the newest others are kept.
func TestDriftPass(t *testing.T) {
	at := func(min int) *godo.Timestamp {
		return &godo.Timestamp{Time: time.Date(2026, 1, 1, 0, min, 0, 0, time.UTC)}
	}
	act := func(id, droplet int, typ, status string) godo.Action {
		return godo.Action{ID: id, ResourceID: droplet, ResourceType: "droplet", Type: typ, Status: status, StartedAt: at(id)}
	}
	l := &DriftLog{Droplets: map[int][]LoggedChange{}}
	p := newDriftPass(l)
	ip := godo.Action{ID: 10, ResourceType: "reserved_ip", Type: "assign_ip", Status: "completed", StartedAt: at(10)}
	for _, a := range []godo.Action{ip, act(9, 1, "resize", "in-progress"), act(8, 2, "destroy", "completed"),
		act(7, 3, "reboot", "completed"), act(5, 2, "rebuild", "completed"), act(4, 1, "password_reset", "completed")} {
		p.apply(&a)
	}
	p.finish()
	if len(l.Droplets) != 1 || len(l.Droplets[1]) != 2 || l.Newest != 10 || len(l.Open) != 1 || l.Open[0] != 9 {
		t.Fatalf("after the first pass: %+v", l)
	}
	p = newDriftPass(l)
	a := act(9, 1, "resize", "errored")
	p.apply(&a)
	p.finish()
	if ch := l.Droplets[1]; len(ch) != 1 || ch[0].Type != "password_reset" || len(l.Open) != 0 {
		t.Fatalf("after the resize failed: %+v", l)
	}
	for id := 10; id < 40; id++ {
		l.keep(1, LoggedChange{Action: id, Type: "enable_ipv6", At: at(id).Time})
	}
	if ch := l.Droplets[1]; len(ch) != maxChanges || ch[0].Action != 4 || ch[len(ch)-1].Action != 39 {
		t.Errorf("kept %d changes, from %d to %d", len(ch), ch[0].Action, ch[len(ch)-1].Action)
	}
}
