package ui

import (
	"path"
	"strings"

	"github.com/molt-sh/molt/fleet"
)

// filterTerm is one word of the fleet filter: a qualifier and its value ("region",
// "nyc3"), a plain word (no qualifier), or a tag ("env:prod", for a qualifier molt does
// not know); not inverts it ("-region:fra1").
type filterTerm struct {
	qualifier, value string
	not              bool
	// asTag says the word had a qualifier molt does not know, and is read as a tag.
	asTag bool
}

// qualifiers are the filter's words before a colon, and what each matches.
var qualifiers = map[string]func(f serverFacts, v string) bool{
	"role":    func(f serverFacts, v string) bool { return globOrEqual(v, f.role) },
	"region":  func(f serverFacts, v string) bool { return globOrEqual(v, f.s.Region) },
	"version": func(f serverFacts, v string) bool { return f.versionStarts(v) },
	"name":    func(f serverFacts, v string) bool { return globOrContains(v, f.s.Name) },
	"ip":      func(f serverFacts, v string) bool { return hasPrefix(f.s.PublicIP, v) || hasPrefix(f.s.PrivateIP, v) },
	"tag":     func(f serverFacts, v string) bool { return f.hasTag(v) },
	"status":  func(f serverFacts, v string) bool { return strings.EqualFold(f.s.Status, v) },
	"size":    func(f serverFacts, v string) bool { return hasPrefix(f.s.Size, v) },
	"image":   func(f serverFacts, v string) bool { return globOrContains(v, f.s.Image.Name) },
}

// serverFacts is a server with what the filter reads besides it: its role and the label
// of the release it runs.
type serverFacts struct {
	s           *fleet.Server
	role, label string
}

// filterQuery is a parsed filter: every term must hold.
type filterQuery []filterTerm

// parseFilter reads the filter as typed: words separated by spaces.
func parseFilter(q string) filterQuery {
	var out filterQuery
	for _, w := range strings.Fields(strings.ToLower(q)) {
		t := filterTerm{}
		if rest, ok := strings.CutPrefix(w, "-"); ok && rest != "" {
			t.not, w = true, rest
		}
		if k, v, ok := strings.Cut(w, ":"); ok && qualifiers[k] != nil {
			t.qualifier, t.value = k, v
		} else if ok {
			t.qualifier, t.value, t.asTag = "tag", w, true
		} else {
			t.value = w
		}
		out = append(out, t)
	}
	return out
}

// match reports whether the server passes every term.
func (q filterQuery) match(f serverFacts) bool {
	for _, t := range q {
		if t.match(f) == t.not {
			return false
		}
	}
	return true
}

// match reports whether the term (not inverted) holds for the server. A plain word
// matches a name that contains it or a version that starts with it, never an address:
// "2.0" finds the 2.0 releases, not every 127.x.2.0 droplet.
func (t filterTerm) match(f serverFacts) bool {
	if t.value == "" {
		return true
	}
	if t.qualifier != "" {
		return qualifiers[t.qualifier](f, t.value)
	}
	return strings.Contains(strings.ToLower(f.s.Name), t.value) || f.versionStarts(t.value)
}

// versionStarts reports whether the release's label, with or without its role, starts
// with v: version:1.5 is 1.5.0 and web-1.5.0, not 11.5.0.
func (f serverFacts) versionStarts(v string) bool {
	label := strings.ToLower(f.label)
	short := strings.TrimPrefix(label, strings.ToLower(f.role)+"-")
	return strings.HasPrefix(short, v) || strings.HasPrefix(label, v)
}

// hasTag reports whether a tag of the server is v or starts with it.
func (f serverFacts) hasTag(v string) bool {
	for _, tag := range f.s.Tags {
		if hasPrefix(tag, v) {
			return true
		}
	}
	return false
}

func hasPrefix(s, prefix string) bool { return strings.HasPrefix(strings.ToLower(s), prefix) }

// globOrEqual matches a pattern with * or ? as a glob, else as the whole value.
func globOrEqual(pattern, v string) bool {
	if strings.ContainsAny(pattern, "*?[") {
		ok, err := path.Match(pattern, strings.ToLower(v))
		return ok && err == nil
	}
	return strings.EqualFold(pattern, v)
}

// globOrContains matches a pattern with * or ? as a glob, else as part of the value.
func globOrContains(pattern, v string) bool {
	if strings.ContainsAny(pattern, "*?[") {
		ok, err := path.Match(pattern, strings.ToLower(v))
		return ok && err == nil
	}
	return strings.Contains(strings.ToLower(v), pattern)
}

// tagTerms are the words read as tags because molt knows no such qualifier, for saying
// so when nothing matches.
func (q filterQuery) tagTerms() []string {
	var out []string
	for _, t := range q {
		if t.asTag {
			k, _, _ := strings.Cut(t.value, ":")
			out = append(out, k+":")
		}
	}
	return out
}
