package ui

import (
	"slices"
	"strings"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// The image picker marks, before the operator picks, the images a plan's guards would
// refuse: ! another role's image, ↓ one older than a selected server of its role runs
// (a downgrade). The guards decide (actions.Plan.Guards); these marks only warn early.

// imageMarksLegend explains the picker's marks.
const imageMarksLegend = "! another role's  ↓ a downgrade (older than some run)  ? named for no role"

// imageMark is the mark of v in the picker: "!", "↓", "?" (a name that says no role: the
// plan warns that molt cannot tell whether it is meant for them) or " ".
func (st *stageScreen) imageMark(v fleet.Version) string {
	switch {
	case st.otherRole(v):
		return "!"
	case st.downgrade(v):
		return "↓"
	case st.rank(v) == 2:
		return "?"
	}
	return " "
}

// otherRole says v is made for a role none of the selected servers has.
func (st *stageScreen) otherRole(v fleet.Version) bool {
	role, ok := actions.ImageRole(v)
	return ok && !slices.ContainsFunc(st.roles, func(r string) bool { return strings.EqualFold(r, role) })
}

// downgrade says a selected server runs a newer version of v's role than v.
func (st *stageScreen) downgrade(v fleet.Version) bool {
	to := semverOf(v)
	role, ok := actions.ImageRole(v)
	if to == nil {
		return false
	}
	for _, srv := range st.servers {
		from := semverOf(srv.Image)
		r, rok := actions.ImageRole(srv.Image)
		if from != nil && (!ok || !rok || strings.EqualFold(r, role)) && to.Compare(*from) < 0 {
			return true
		}
	}
	return false
}

// anyMarked says some image in the picker carries a mark.
func (st *stageScreen) anyMarked() bool {
	return slices.ContainsFunc(st.images, func(v fleet.Version) bool { return st.imageMark(v) != " " })
}

func semverOf(v fleet.Version) *fleet.Semver {
	if v.Semver != nil {
		return v.Semver
	}
	return fleet.ParseSemver(v.Name)
}

// markView is v's mark, styled as the warning it is.
func (st *stageScreen) markView(c *common, v fleet.Version) string {
	m := st.imageMark(v)
	if m == " " {
		return m
	}
	return c.styles.Warn.Render(m)
}
