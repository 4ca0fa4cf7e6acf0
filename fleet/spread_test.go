package fleet

import (
	"slices"
	"testing"
	"time"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func image(id int, name string, ageDays int) Version {
	return Version{ImageID: id, Name: name, CreatedAt: now.AddDate(0, 0, -ageDays), Semver: ParseSemver(name)}
}

func server(id int, name, region string, im Version, tags ...string) Server {
	return Server{ID: id, Name: name, Region: region, Image: im, Tags: tags, Status: "active"}
}

func labels(rs []*Release) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Label)
	}
	return out
}

func TestSpreadOrdersBySemverWithinRoleNewestFirst(t *testing.T) {
	// 1.10.0 is newer than 1.9.0 by semver, though its image is older: semver wins.
	v19, v110, v2 := image(1, "web-1.9.0", 10), image(2, "web-1.10.0", 20), image(3, "api-2.0.0", 5)
	s := NewSpread([]Server{
		server(10, "web-a", "nyc3", v19, "role:web"),
		server(11, "web-b", "fra1", v110, "role:web"),
		server(12, "web-c", "nyc3", v19, "role:web"),
		server(13, "api-a", "nyc3", v2, "role:api"),
	}, Options{Now: now})
	if got, want := labels(s.Releases), []string{"api-2.0.0", "web-1.10.0", "web-1.9.0"}; !slices.Equal(got, want) {
		t.Fatalf("releases = %v, want %v (by role, newest first)", got, want)
	}
	web := s.Roles[1]
	if web.Role != "web" || web.Newest.Label != "web-1.10.0" || web.Stragglers != 2 || web.Count != 3 {
		t.Fatalf("web role = %+v, want newest web-1.10.0 with 2 stragglers of 3", web)
	}
	if len(s.Stragglers) != 2 || s.Stragglers[0].Server.Name != "web-a" || s.Stragglers[0].Newest.Label != "web-1.10.0" {
		t.Fatalf("stragglers = %+v", s.Stragglers)
	}
	if s.Oldest.Label != "web-1.10.0" || s.OldestAge != 20*24*time.Hour {
		t.Fatalf("oldest = %s aged %s, want web-1.10.0 aged 20 days", s.Oldest.Label, s.OldestAge)
	}
}

func TestSpreadFallsBackToImageDateWithoutSemver(t *testing.T) {
	old, recent := image(1, "web-golden", 30), image(2, "web-rebuilt", 3)
	s := NewSpread([]Server{
		server(1, "a", "nyc3", recent, "role:web"),
		server(2, "b", "nyc3", old, "role:web"),
		server(3, "c", "nyc3", image(4, "web-1.0.0", 1), "role:web"),
	}, Options{Now: now})
	// One release without a semver makes the whole role order by date.
	if got, want := labels(s.Roles[0].Releases), []string{"web-1.0.0", "web-rebuilt", "web-golden"}; !slices.Equal(got, want) {
		t.Fatalf("web releases = %v, want %v", got, want)
	}
}

func TestSpreadShareAndMatrix(t *testing.T) {
	a, b := image(1, "x-1.0.0", 9), image(2, "x-1.1.0", 2)
	s := NewSpread([]Server{
		server(1, "1", "nyc3", a), server(2, "2", "fra1", a), server(3, "3", "fra1", a), server(4, "4", "fra1", b),
	}, Options{Now: now})
	if s.Releases[0].Label != "x-1.1.0" || s.Releases[0].Share != 0.25 || s.Releases[1].Share != 0.75 {
		t.Fatalf("releases = %v with shares %v, %v", labels(s.Releases), s.Releases[0].Share, s.Releases[1].Share)
	}
	if !slices.Equal(s.Regions, []string{"fra1", "nyc3"}) {
		t.Fatalf("regions = %v", s.Regions)
	}
	want := [][]int{{1, 2}, {0, 1}} // fra1: 1.1.0 x1, 1.0.0 x2; nyc3: 1.0.0 x1
	if got := s.Matrix(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("matrix = %v, want %v", got, want)
	}
}

func TestSpreadServersWithoutRoleAreNeverStragglers(t *testing.T) {
	s := NewSpread([]Server{
		server(1, "bastion", "nyc3", image(1, "ubuntu", 90)),
		server(2, "db", "nyc3", image(2, "postgres", 10)),
	}, Options{Now: now})
	if len(s.Roles) != 1 || s.Roles[0].Role != NoRole || s.Roles[0].Newest != nil {
		t.Fatalf("roles = %+v, want only %q without a newest release", s.Roles, NoRole)
	}
	if len(s.Stragglers) != 0 {
		t.Fatalf("stragglers = %+v, want none", s.Stragglers)
	}
}

func TestSpreadVersionTag(t *testing.T) {
	im := image(7, "base-image", 40)
	other := image(8, "other", 4)
	s := NewSpread([]Server{
		server(1, "a", "nyc3", im, "role:web", "version:1.4.2"),
		server(2, "b", "nyc3", im, "role:web", "version:1.5.0"),
		server(3, "c", "nyc3", other, "role:web", "version:1.5.0"),
		server(4, "d", "nyc3", other, "role:web", "version:1.5.0"),
		server(5, "e", "nyc3", image(9, "ancient", 100), "role:web"),
	}, Options{Now: now, VersionTag: "version"})
	if got, want := labels(s.Releases), []string{"1.5.0", "1.4.2", "ancient"}; !slices.Equal(got, want) {
		t.Fatalf("releases = %v, want %v (tag values and the untagged server's image, by date)", got, want)
	}
	r := s.Release("tag:1.5.0")
	if r == nil || r.Count != 3 || r.Image.ImageID != 8 || r.Semver.String() != "1.5.0" {
		t.Fatalf("release 1.5.0 = %+v, want 3 servers mostly on image 8", r)
	}
	if s.Roles[0].Newest != r || s.Roles[0].Stragglers != 2 {
		t.Fatalf("web newest = %v with %d stragglers, want 1.5.0 with 2", s.Roles[0].Newest.Label, s.Roles[0].Stragglers)
	}
}

func TestSpreadCustomRolePrefix(t *testing.T) {
	s := NewSpread([]Server{server(1, "a", "nyc3", image(1, "i-1.0.0", 1), "tier:front", "role:ignored")},
		Options{Now: now, RolePrefix: "tier:"})
	if s.Roles[0].Role != "front" {
		t.Fatalf("role = %q, want front", s.Roles[0].Role)
	}
}

func TestSpreadEmpty(t *testing.T) {
	s := NewSpread(nil, Options{Now: now})
	if s.Total != 0 || len(s.Releases) != 0 || s.Oldest != nil {
		t.Fatalf("empty spread = %+v", s)
	}
	r := s.Report("t", Selection{})
	if r.Versions == nil || r.Stragglers == nil || r.Roles == nil || r.Regions == nil {
		t.Fatal("an empty report must have empty lists, not nulls")
	}
}

func TestGroups(t *testing.T) {
	old, cur := image(1, "web-1.0.0", 30), image(2, "web-2.0.0", 1)
	s := NewSpread([]Server{
		server(1, "w1", "nyc3", old, "role:web"),
		server(2, "w2", "fra1", cur, "role:web"),
		server(3, "w3", "fra1", cur, "role:web"),
		server(4, "x1", "fra1", old),
	}, Options{Now: now})
	byRegion := s.Groups(ByRegion)
	if len(byRegion) != 2 || byRegion[0].Key != "fra1" || len(byRegion[0].Servers) != 3 || byRegion[0].Stragglers != 0 {
		t.Fatalf("fra1 group = %+v", byRegion[0])
	}
	if byRegion[1].Key != "nyc3" || byRegion[1].Stragglers != 1 {
		t.Fatalf("nyc3 group = %+v, want 1 straggler", byRegion[1])
	}
	if vc := byRegion[0].Versions; len(vc) != 2 || vc[0].Release.Label != "web-2.0.0" || vc[0].Count != 2 || vc[1].Count != 1 {
		t.Fatalf("fra1 versions = %+v", vc)
	}
	byRole := s.Groups(ByRole)
	if len(byRole) != 2 || byRole[0].Key != "web" || byRole[0].Newest.Label != "web-2.0.0" || byRole[1].Key != NoRole {
		t.Fatalf("role groups = %+v", byRole)
	}
	byVersion := s.Groups(ByVersion)
	if len(byVersion) != 2 || byVersion[1].Release.Label != "web-1.0.0" || len(byVersion[1].Servers) != 2 || byVersion[1].Stragglers != 1 {
		t.Fatalf("version groups = %v, want web-1.0.0 second with one web straggler and one role-less server", byVersion)
	}
}

func TestParseDimension(t *testing.T) {
	for _, s := range []string{"version", "role", "region"} {
		if d, err := ParseDimension(s); err != nil || string(d) != s {
			t.Errorf("ParseDimension(%q) = %q, %v", s, d, err)
		}
	}
	if _, err := ParseDimension("size"); err == nil {
		t.Error("ParseDimension(size) should fail")
	}
}

func TestSelection(t *testing.T) {
	srv := server(1, "web-nyc3-01", "nyc3", Version{}, "role:web", "env:prod")
	cases := []struct {
		sel  Selection
		want bool
	}{
		{Selection{}, true},
		{Selection{Tag: "env:prod"}, true},
		{Selection{Tag: "env:staging"}, false},
		{Selection{Region: "nyc3", Name: "web-*"}, true},
		{Selection{Region: "fra1"}, false},
		{Selection{Name: "worker-*"}, false},
	}
	for _, c := range cases {
		if got := c.sel.Match(srv); got != c.want {
			t.Errorf("%+v.Match = %v, want %v", c.sel, got, c.want)
		}
	}
	if err := (Selection{Name: "web-["}).Validate(); err == nil {
		t.Error("a malformed glob should not validate")
	}
	if err := (Selection{Tag: "env:prod&x=1"}).Validate(); err == nil {
		t.Error("a tag with & should not validate")
	}
}

func TestParseTagSemver(t *testing.T) {
	for in, want := range map[string]string{"1.4.2": "1.4.2", "1-4-2": "1.4.2", "1_4_2": "1.4.2", "v2-0-0-rc1": "2.0.0-rc1", "1_4_2_beta": "1.4.2-beta"} {
		if got := ParseTagSemver(in); got == nil || got.String() != want {
			t.Errorf("ParseTagSemver(%q) = %v, want %s", in, got, want)
		}
	}
	if got := ParseTagSemver("blue"); got != nil {
		t.Errorf("ParseTagSemver(blue) = %v, want nil", got)
	}
}
