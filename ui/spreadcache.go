package ui

import (
	"slices"

	"github.com/molt-sh/molt/fleet"
)

// spreadDrawn is the version spread as last drawn, and what it was drawn from: a frame
// asks for it several times (the list's height, the view, the status line), and every
// frame of a cursor moving within a role asks for the same lines.
type spreadDrawn struct {
	from  spreadFrom
	lines []string
}

// spreadFrom is what the spread's lines depend on.
type spreadFrom struct {
	spread *fleet.Spread
	width  int
	tall   bool
	cursor *fleet.RoleSpread
	// images are the account's (newer images make roles behind): the slice's start and
	// length identify it, since a read replaces it whole.
	images    *fleet.Version
	numImages int
	styles    int
	// audit is the audit's result, whose findings end each role's line.
	audit *fleet.Audit
}

// spreadView is the version spread, one bar per role (drawSpread), drawn again only
// when the spread, the window, the role under the cursor, the images, the styles or the
// audit changed.
func (c *common) spreadView(width int, tall bool, cursor *fleet.RoleSpread) []string {
	from := spreadFrom{spread: c.spread, width: width, tall: tall, cursor: cursor, numImages: len(c.images), styles: c.styleGen,
		audit: c.audit.result}
	if len(c.images) > 0 {
		from.images = &c.images[0]
	}
	if c.spreadDrawn.from != from || c.spreadDrawn.lines == nil {
		c.spreadDrawn = spreadDrawn{from: from, lines: c.drawSpread(width, tall, cursor)}
	}
	return slices.Clip(c.spreadDrawn.lines) // callers append: never into the lines kept
}
