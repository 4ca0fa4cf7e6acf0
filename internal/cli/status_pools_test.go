package cli

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The demo's api pool in every format of molt status, and only when the selection has
// one of its members.
func TestStatusShowsPools(t *testing.T) {
	noCredentials(t)
	code, out, errOut := molt(t, "status", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s struct {
		Pools []struct {
			Name            string         `json:"name"`
			Region          string         `json:"region"`
			Status          string         `json:"status"`
			Size            string         `json:"size"`
			Config          map[string]int `json:"config"`
			CooldownMinutes int            `json:"cooldown_minutes"`
			Template        struct {
				ImageName string `json:"image_name"`
				Version   string `json:"version"`
			} `json:"template_image"`
			Members         int `json:"members"`
			Desired         int `json:"desired"`
			BehindTemplate  int `json:"behind_template"`
			MembersPerImage []struct {
				ImageName string `json:"image_name"`
				Count     int    `json:"count"`
				Template  bool   `json:"template"`
			} `json:"members_per_image"`
		} `json:"pools"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Pools) != 1 {
		t.Fatalf("%d pools in the JSON, want the demo's api", len(s.Pools))
	}
	p := s.Pools[0]
	if p.Name != "api" || p.Region != "nyc3" || p.Status != "active" || p.Size != "c-2" || p.Config["target_number_instances"] != 4 ||
		p.CooldownMinutes != 10 || p.Template.ImageName != "api-1.0.0" || p.Template.Version != "1.0.0" || p.Members != 4 ||
		p.Desired != 4 || p.BehindTemplate != 0 || len(p.MembersPerImage) != 1 || p.MembersPerImage[0].Count != 4 || !p.MembersPerImage[0].Template {
		t.Errorf("the api pool: %+v", p)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"Autoscale pools", "POOL", "api", "fixed 4 c-2", "4/4", "api-1.0.0 4 (template)", "active"}},
		{[]string{"-o", "markdown"}, []string{"#### Autoscale pools (1)", "| api | nyc3 | fixed 4 c-2 | 4/4 | api-1.0.0 | api-1.0.0 4 (template) | 0 | active |"}},
	} {
		code, out, errOut := molt(t, append([]string{"status"}, c.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, errOut)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args, w, out)
			}
		}
	}
	code, out, _ = molt(t, "status", "--tag", "role:web", "-o", "json")
	if code != 0 || !strings.Contains(out, `"pools": []`) {
		t.Errorf("a selection without members lists pools: exit %d\n%s", code, out)
	}
}

// The pools of `molt status -o json` on the demo are what docs/status.md shows: the
// documented example decodes, and equals what molt prints (the demo is deterministic).
func TestStatusPoolsAreTheDocumentedShape(t *testing.T) {
	noCredentials(t)
	doc, err := os.ReadFile("../../docs/status.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## JSON (`-o json`): a public contract")
	_, block, ok2 := strings.Cut(rest, "```json\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("docs/status.md has no JSON example under its contract")
	}
	var documented, printed struct {
		Pools []map[string]any `json:"pools"`
	}
	if err := json.Unmarshal([]byte(block), &documented); err != nil {
		t.Fatalf("the documented example does not decode: %v", err)
	}
	code, out, errOut := molt(t, "status", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &printed); err != nil {
		t.Fatal(err)
	}
	if len(documented.Pools) != 1 || !reflect.DeepEqual(documented.Pools, printed.Pools) {
		t.Errorf("pools documented:\n%v\nprinted:\n%v", documented.Pools, printed.Pools)
	}
	for key := range printed.Pools[0] {
		if !strings.Contains(rest, "`"+key+"`") && !strings.Contains(rest, "`."+key+"`") && !strings.Contains(rest, "`."+key+"[]`") &&
			!documentedPlainly(key) {
			t.Errorf("pools[].%s is printed but not described in the field table", key)
		}
	}
}

// documentedPlainly are the pool fields the example alone explains: the pool's own.
func documentedPlainly(key string) bool {
	switch key {
	case "id", "name", "region", "status", "size":
		return true
	}
	return false
}
