package ui

import (
	"slices"
	"strings"
	"testing"
)

// shownServers are the names of the servers a filter lets through.
func shownServers(m Model) []string {
	var out []string
	for _, r := range m.fleet.list.rows.All() {
		if r.kind == rowServer {
			out = append(out, r.server.Name)
		}
	}
	return out
}

// typeFilter types q into the filter and keeps it.
func typeFilter(d *driver, q string) {
	d.keys("esc", "esc", "/")
	for _, r := range q {
		d.keys(string(r))
	}
	d.keys("enter")
}

// A plain word matches names and versions only (2.0 is the 2.0 releases, not addresses
// that contain it); qualifiers narrow by role, region, version, name glob, address,
// tag, status and size, and a leading - leaves out.
func TestTheFilterReadsQualifiersAndNegation(t *testing.T) {
	t.Parallel()
	servers := demoServers(t)
	for i := range servers {
		servers[i].PublicIP = strings.Replace(servers[i].PublicIP, "127.0.0.", "127.232.0.", 1)
	}
	d := drive(t, loaded(t, servers, 120, 40), 120, 40)
	for _, tc := range []struct {
		query string
		want  func(role, region, name, label string) bool
	}{
		{"2.0", func(_, _, _, label string) bool { return label == "worker-2.0.0" }},
		{"version:1.5", func(_, _, _, label string) bool { return label == "web-1.5.0" }},
		{"role:web -region:fra1", func(role, region, _, _ string) bool { return role == "web" && region != "fra1" }},
		{"name:web-nyc3-0*", func(_, _, name, _ string) bool { return strings.HasPrefix(name, "web-nyc3-0") }},
		{"ip:127.232.0.4", func(_, _, _, _ string) bool { return true }},
		{"env:stag region:nyc3", func(_, region, name, _ string) bool { return region == "nyc3" && strings.Contains(name, "stg") }},
		{"-role:web -role:edge", func(role, _, _, _ string) bool { return role == "worker" }},
	} {
		typeFilter(d, tc.query)
		got := d.read(func(m Model) string { return strings.Join(shownServers(m), " ") })
		var want []string
		for _, s := range servers {
			role, _ := s.TagValue("role:")
			label := s.Image.Name
			if tc.want(role, s.Region, s.Name, label) && (!strings.HasPrefix(tc.query, "ip:") || strings.HasPrefix(s.PublicIP, "127.232.0.4")) {
				want = append(want, s.Name)
			}
		}
		slices.Sort(want)
		gotNames := strings.Fields(got)
		slices.Sort(gotNames)
		if len(want) == 0 || !slices.Equal(gotNames, want) {
			t.Errorf("filter %q shows %v, want %v", tc.query, gotNames, want)
		}
	}
	typeFilter(d, "reigon:nyc3")
	d.waitText(`No server matches "reigon:nyc3"`, "(reigon: is")
}
