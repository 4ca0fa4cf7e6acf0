package fleet

import (
	"regexp"
	"strconv"
	"strings"
)

// Semver is a semantic version found in an image name or tag.
type Semver struct {
	Major, Minor, Patch int
	Pre                 string
}

var semverRE = regexp.MustCompile(`v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.\-]+))?`)

// ParseSemver finds the last semantic version in s ("web-1.4.2" -> 1.4.2), or nil.
func ParseSemver(s string) *Semver {
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

// ParseTagSemver reads a version from a tag value. DigitalOcean tags cannot hold dots,
// so 1-4-2, 1_4_2 and v1-4-2-rc1 read as 1.4.2, 1.4.2 and 1.4.2-rc1.
func ParseTagSemver(v string) *Semver {
	if sv := ParseSemver(v); sv != nil {
		return sv
	}
	m := tagSemverRE.FindStringSubmatch(v)
	if m == nil {
		return nil
	}
	return ParseSemver(m[1] + "." + m[2] + "." + m[3] + strings.Replace(m[4], "_", "-", 1))
}

var tagSemverRE = regexp.MustCompile(`v?(\d+)[-_](\d+)[-_](\d+)((?:[-_][0-9A-Za-z\-_]+)?)$`)

// String renders the version as major.minor.patch[-pre].
func (v Semver) String() string {
	s := strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) + "." + strconv.Itoa(v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

// Compare orders versions by semver precedence: -1, 0 or 1.
func (v Semver) Compare(o Semver) int {
	for _, d := range [][2]int{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.Pre == o.Pre:
		return 0
	case v.Pre == "":
		return 1
	case o.Pre == "":
		return -1
	}
	return comparePre(v.Pre, o.Pre)
}

func comparePre(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		an, aerr := strconv.Atoi(as[i])
		bn, berr := strconv.Atoi(bs[i])
		switch {
		case aerr == nil && berr == nil && an != bn:
			if an < bn {
				return -1
			}
			return 1
		case aerr == nil && berr != nil:
			return -1
		case aerr != nil && berr == nil:
			return 1
		case as[i] != bs[i]:
			return strings.Compare(as[i], bs[i])
		}
	}
	switch {
	case len(as) < len(bs):
		return -1
	case len(as) > len(bs):
		return 1
	}
	return 0
}
