package fleet

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

// encoderReport is what `molt status -o json` printed before EncodeReport: the report
// marshalled whole by a json.Encoder indenting by two spaces.
func encoderReport(t *testing.T, s *Spread) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s.Report("target <&>", Selection{Tag: "env:prod"})); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestEncodeReportWritesWhatTheEncoderWrote(t *testing.T) {
	v1, v2, v3 := image(1, "web-1.0.0", 30), image(2, "web-1.1.0", 10), image(3, "db", 3)
	var many []Server
	for i := range 500 {
		im := []Version{v1, v2, v3}[i%3]
		many = append(many, server(i+1, "web-"+strconv.Itoa(i), []string{"nyc3", "fra1"}[i%2], im, "role:web", "env:prod"))
	}
	for name, servers := range map[string][]Server{
		"none":          nil,
		"no stragglers": {server(1, "a", "nyc3", v2, "role:web")},
		"one":           {server(1, "a", "nyc3", v1, "role:web"), server(2, "b", "fra1", v2, "role:web")},
		"many":          many,
		"pets":          {server(1, "a", "nyc3", v1), server(2, "b", "fra1", v2, "role:web"), server(3, "c", "fra1", v1, "role:web")},
	} {
		s := NewSpread(servers, Options{Now: now})
		var got bytes.Buffer
		if err := s.EncodeReport(&got, "target <&>", Selection{Tag: "env:prod"}); err != nil {
			t.Fatal(err)
		}
		if want := encoderReport(t, s); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: EncodeReport wrote\n%s\nthe encoder\n%s", name, got.Bytes(), want)
		}
	}
}
