package dosim

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestPageEncodingMatches holds the spliced page encoding of droplets and actions to the
// plain one, for every droplet and action of the demo with its extras (pets with
// backups, a droplet with a kernel, pool members).
func TestPageEncodingMatches(t *testing.T) {
	w := demoWorldWith(t, time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC), true)
	rd := w.dropletRenderer()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	w.Droplets[w.sortedDroplets(nil)[0].ID].Name = `odd <"name"> \ é` // the slow path of a string
	for _, d := range w.sortedDroplets(nil) {
		buf.Reset()
		rd.encode(&buf, d)
		same(t, d.Name, buf.Bytes(), mustJSON(rd.render(d)))
	}
	for _, a := range w.actions.order {
		thin := thinAction(a)
		buf.Reset()
		if err := enc.Encode(&thin); err != nil {
			t.Fatal(err)
		}
		buf.Truncate(buf.Len() - 2)
		buf.WriteString(`,"region":` + string(actionRegion(a)) + "}")
		same(t, a.Type, buf.Bytes(), mustJSON(renderAction(a)))
	}
}

func same(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: the page encoding is not JSON: %v\n%s", what, err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: the page encoding differs:\n got %s\nwant %s", what, got, want)
	}
}
