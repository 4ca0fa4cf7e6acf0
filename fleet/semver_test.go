package fleet

import (
	"regexp"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// semverRE is what ParseSemver reads, as the regular expression it was first written as.
var semverRE = regexp.MustCompile(`v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.\-]+))?`)

func parseSemverRE(s string) *Semver {
	all := semverRE.FindAllStringSubmatch(s, -1)
	if len(all) == 0 {
		return nil
	}
	m := all[len(all)-1]
	v := &Semver{Pre: m[4]}
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	v.Patch, _ = strconv.Atoi(m[3])
	return v
}

func TestParseSemverExamples(t *testing.T) {
	for in, want := range map[string]string{
		"web-1.4.2":                "1.4.2",
		"web-v1.10.0-rc.1":         "1.10.0-rc.1",
		"1.2.3.4.5":                "1.2.3",
		"app-1.2.3-build-2.0.0":    "1.2.3-build-2.0.0",
		"app-1.2.3-":               "1.2.3",
		"x1.2.3-rc_1":              "1.2.3-rc",
		"ubuntu-24-04-x64":         "",
		"db-2.0.0 (copy of 1.9.9)": "1.9.9",
	} {
		got := ParseSemver(in)
		if (got == nil) != (want == "") || got != nil && got.String() != want {
			t.Errorf("ParseSemver(%q) = %v, want %q", in, got, want)
		}
	}
}

// TestParseSemverReadsAsTheRegexp checks the hand-written scanner against the regular
// expression on generated names made of the characters that matter.
func TestParseSemverReadsAsTheRegexp(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringOfN(rapid.SampledFrom([]rune("0123456789..--vab_Z é")), 0, 24, -1).Draw(t, "name")
		got, want := ParseSemver(s), parseSemverRE(s)
		if (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Fatalf("ParseSemver(%q) = %+v, the regexp reads %+v", s, got, want)
		}
	})
}
