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

// ParseSemver finds the last semantic version in s ("web-1.4.2" -> 1.4.2), or nil. It
// reads s as the regular expression v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.\-]+))? would,
// scanning for successive non-overlapping matches, without a regexp: it runs once per
// image of every read.
func ParseSemver(s string) *Semver {
	var last *Semver
	for i := 0; i < len(s); {
		v, end := semverAt(s, i)
		if v == nil {
			i++
			continue
		}
		last, i = v, end
	}
	return last
}

// semverAt matches a version starting at s[i] (a leading v changes nothing but where the
// match starts, so it is not looked for), returning it and where it ends, or nil.
func semverAt(s string, i int) (*Semver, int) {
	var nums [3]string
	for k := range nums {
		if k > 0 {
			if i >= len(s) || s[i] != '.' {
				return nil, 0
			}
			i++
		}
		j := digitsEnd(s, i)
		if j == i {
			return nil, 0
		}
		nums[k], i = s[i:j], j
	}
	v := &Semver{}
	v.Major, _ = strconv.Atoi(nums[0])
	v.Minor, _ = strconv.Atoi(nums[1])
	v.Patch, _ = strconv.Atoi(nums[2])
	if i < len(s) && s[i] == '-' {
		if j := preEnd(s, i+1); j > i+1 {
			v.Pre, i = s[i+1:j], j
		}
	}
	return v, i
}

func digitsEnd(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// preEnd is the end of a run of [0-9A-Za-z.-] starting at s[i].
func preEnd(s string, i int) int {
	for ; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' || c == '-') {
			break
		}
	}
	return i
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
