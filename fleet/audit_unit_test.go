package fleet

import (
	"slices"
	"strings"
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

// Each server's findings, from its age, its changes, its image and tags, and its
// health; and what a fleet view reads of them: the findings per server, the servers
// per kind, the health per release.
func TestAuditFindings(t *testing.T) {
	web := image(1, "web-1.0.0", 30)
	ubuntu := Version{ImageID: 2, Name: "24.04 (LTS) x64", Distribution: "Ubuntu", Type: "base"}
	aged := func(s Server, days int) Server { s.CreatedAt = now.AddDate(0, 0, -days); return s }
	change := func(days int, typ string) LoggedChange {
		return LoggedChange{Action: days, Type: typ, At: now.AddDate(0, 0, -days)}
	}
	unhealthy := Health{State: HealthUnhealthy, Detail: "http:80/ failed: HTTP 500", At: now}
	for _, c := range []struct {
		name    string
		srv     Server
		maxAge  map[string]time.Duration
		changes []LoggedChange
		health  *Health
		want    string // the findings, "kind: detail" joined by "; "
	}{
		{"young and untouched", aged(server(10, "web-1", "nyc3", web, "role:web"), 5), map[string]time.Duration{AnyRole: 60 * Day}, nil, nil, ""},
		{"over the limit of every role", aged(server(10, "web-1", "nyc3", web, "role:web"), 61), map[string]time.Duration{AnyRole: 60 * Day}, nil, nil,
			"over_max_age: 61 days old, max 60d"},
		{"its role's own limit first", aged(server(10, "web-1", "nyc3", web, "role:web"), 40), map[string]time.Duration{AnyRole: 60 * Day, "web": 30 * Day}, nil, nil,
			"over_max_age: 40 days old, max 30d"},
		{"no limit: never over", aged(server(10, "web-1", "nyc3", web, "role:web"), 900), nil, nil, nil, ""},
		{"changed in place, newest first", aged(server(10, "web-1", "nyc3", web, "role:web"), 20), nil,
			[]LoggedChange{change(10, "resize"), change(3, "rebuild")}, nil, "drifted: changed in place: rebuild 2026-02-26, resize 2026-02-19"},
		{"a change before its creation was another droplet's", aged(server(10, "web-1", "nyc3", web, "role:web"), 5), nil,
			[]LoggedChange{change(10, "resize")}, nil, ""},
		{"a distribution image, never replaced", aged(server(10, "bastion", "nyc3", ubuntu, "role:bastion"), 5), nil, nil, nil,
			"pet: built from the distribution image Ubuntu 24.04 (LTS) x64 and never replaced"},
		{"a distribution image molt put there", aged(server(10, "bastion", "nyc3", ubuntu, "role:bastion", "molt:20260101-000000-abcd:g1"), 5), nil, nil, nil, ""},
		{"no role tag", aged(server(10, "scratch", "nyc3", web), 5), nil, nil, nil, "pet: no role tag"},
		{"unhealthy", aged(server(10, "web-1", "nyc3", web, "role:web"), 5), nil, nil, &unhealthy, "unhealthy: http:80/ failed: HTTP 500"},
		{"every finding, in kind order", aged(server(10, "box", "nyc3", ubuntu), 90), map[string]time.Duration{AnyRole: 60 * Day},
			[]LoggedChange{change(1, "password_reset")}, &unhealthy,
			"over_max_age: 90 days old, max 60d; drifted: changed in place: password_reset 2026-02-28; pet: no role tag; unhealthy: http:80/ failed: HTTP 500"},
	} {
		t.Run(c.name, func(t *testing.T) {
			other := aged(server(11, "web-2", "nyc3", web, "role:web"), 1)
			s := NewSpread([]Server{c.srv, other}, Options{Now: now})
			opt := AuditOptions{MaxAge: c.maxAge, Drift: &DriftLog{Droplets: map[int][]LoggedChange{10: c.changes}}}
			if c.health != nil {
				opt.Health = map[int]Health{10: *c.health, 11: {State: HealthHealthy}}
			}
			a := s.Audit(opt)
			var got []string
			for _, f := range a.Of(10) {
				got = append(got, string(f.Kind)+": "+f.Detail)
				if !slices.Contains(a.IDs(f.Kind), 10) || !a.Has(10, f.Kind) {
					t.Errorf("%s: not listed by IDs or Has", f.Kind)
				}
			}
			if strings.Join(got, "; ") != c.want {
				t.Errorf("findings %q, want %q", strings.Join(got, "; "), c.want)
			}
			if len(a.Of(11)) != 0 || len(a.Findings) != len(got) {
				t.Errorf("the other server's findings: %v; %d in all", a.Of(11), len(a.Findings))
			}
			var want HealthCounts // web-1.0.0's: unknown unless probed, then server 10 unhealthy
			for _, srv := range []Server{c.srv, other} {
				switch {
				case srv.Image.ImageID != web.ImageID:
				case c.health == nil:
					want.Unknown++
				case srv.ID == 10:
					want.Unhealthy++
				default:
					want.Healthy++
				}
			}
			if h := a.ReleaseHealth(s.Options.ReleaseKey(other)); h != want {
				t.Errorf("web-1.0.0's health %+v, want %+v", h, want)
			}
		})
	}
}
