package cli

import (
	"bytes"
	"cmp"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/fleet"
)

// documentedJSON is the first JSON block after the heading in docs/status.md.
func documentedJSON(t *testing.T, doc, heading string) []byte {
	t.Helper()
	_, after, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/status.md has no heading %q", heading)
	}
	_, block, ok := strings.Cut(after, "```json\n")
	if !ok {
		t.Fatalf("no JSON block under %q", heading)
	}
	block, _, _ = strings.Cut(block, "```")
	if strings.HasPrefix(strings.TrimSpace(block), `"`) { // a field of the report: wrap it
		block = "{" + block + "}"
	}
	return []byte(block)
}

// jsonFields are the JSON names of a struct type's fields, embedded structs flattened.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "":
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
		case name != "-" && f.IsExported():
			out[cmp.Or(name, f.Name)] = f.Type
		}
	}
	return out
}

var timeType = reflect.TypeFor[time.Time]()

// typePaths lists the paths of every field t can hold: "roles[].audit.drifted", maps'
// keys as "*".
func typePaths(t reflect.Type, prefix string, out map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
	case t.Kind() == reflect.Struct:
		for name, ft := range jsonFields(t) {
			out[prefix+"."+name] = true
			typePaths(ft, prefix+"."+name, out)
		}
	case t.Kind() == reflect.Slice:
		typePaths(t.Elem(), prefix+"[]", out)
	case t.Kind() == reflect.Map:
		typePaths(t.Elem(), prefix+".*", out)
	}
}

// valuePaths lists the paths of a decoded JSON value v of type t, as typePaths names
// them; a key t has no field for is an error.
func valuePaths(t *testing.T, v any, typ reflect.Type, prefix string, out map[string]bool) {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch v := v.(type) {
	case map[string]any:
		if typ.Kind() == reflect.Map {
			for _, e := range v {
				valuePaths(t, e, typ.Elem(), prefix+".*", out)
			}
			return
		}
		fields := jsonFields(typ)
		for k, e := range v {
			ft, ok := fields[k]
			if !ok {
				t.Errorf("the docs show %s.%s, which the code does not have", prefix, k)
				continue
			}
			out[prefix+"."+k] = true
			valuePaths(t, e, ft, prefix+"."+k, out)
		}
	case []any:
		for _, e := range v {
			valuePaths(t, e, typ.Elem(), prefix+"[]", out)
		}
	}
}

// contractSections are the headings of docs/status.md whose first JSON block is the
// -o json contract.
var contractSections = []string{"## JSON (`-o json`): a public contract", "### `history` (with `--since`)"}

// tableNames are the fields named in backticks in the first column of the contract's
// tables ("`audit.probed`" names probed), and in the meaning of its selection row.
func tableNames(doc string) map[string]bool {
	_, contract, _ := strings.Cut(doc, contractSections[0])
	out := map[string]bool{}
	name := regexp.MustCompile("`([a-z_0-9.\\[\\]]+)`")
	for _, m := range regexp.MustCompile(`(?m)^\| ([^|]+) \|(.*)$`).FindAllStringSubmatch(contract, -1) {
		cells := m[1]
		if strings.HasPrefix(cells, "`selection`") {
			cells += m[2]
		}
		for _, n := range name.FindAllStringSubmatch(cells, -1) {
			out[leaf(strings.ReplaceAll(n[1], "[]", ""))] = true
		}
	}
	return out
}

// leaf is a path's last field.
func leaf(path string) string { return path[strings.LastIndex(path, ".")+1:] }

// The -o json contract in docs/status.md is the code's: its example decodes into the
// report strictly (no field the code lacks), every field the code can write is in the
// example or named in the contract's tables, and molt status -o json on the demo
// (audited: --max-age, drift, --since) writes exactly the example's fields, but those
// written only when they apply.
//
// The example's values are the demo's; only the shape is checked.
func TestStatusJSONIsAsDocumented(t *testing.T) {
	data, err := os.ReadFile("../../docs/status.md")
	if err != nil {
		t.Fatal(err)
	}
	doc, report := string(data), reflect.TypeFor[fleet.Report]()
	documented := map[string]bool{}
	for _, h := range contractSections {
		block := documentedJSON(t, doc, h)
		dec := json.NewDecoder(bytes.NewReader(block))
		dec.DisallowUnknownFields()
		var r fleet.Report
		if err := dec.Decode(&r); err != nil {
			t.Errorf("the JSON under %q does not decode into the report: %v", h, err)
		}
		var v any
		if err := json.Unmarshal(block, &v); err != nil {
			t.Fatal(err)
		}
		valuePaths(t, v, report, "", documented)
	}
	all, named := map[string]bool{}, tableNames(doc)
	typePaths(report, "", all)
	for p := range all {
		if !documented[p] && !named[leaf(p)] {
			t.Errorf("%s is in the code, not in docs/status.md's contract", p)
		}
	}

	_, conn := engineSim(t, dosim.Config{DemoExtras: true, HealthPort: -1})
	molt(t, args(conn, []string{"status", "-o", "json"})...) // a sample before: a history
	code, out, errOut := molt(t, args(conn, []string{"status", "-o", "json", "--tag", "env:prod", "--max-age", "60d", "--since", "1d"})...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	written := map[string]bool{}
	valuePaths(t, v, report, "", written)
	// Written only when they apply: an unpriced size, a selection by region or name, a
	// semantic version (the demo's oldest image is a distribution's, without one).
	conditional := []string{".unpriced", ".selection.region", ".selection.name"}
	for p := range documented {
		if !written[p] && !slices.Contains(conditional, p) && leaf(p) != "version" {
			t.Errorf("the docs show %s; molt status -o json on the demo does not write it", p)
		}
	}
	for p := range written {
		if !documented[p] {
			t.Errorf("molt status -o json writes %s; the docs' example does not show it", p)
		}
	}
}
