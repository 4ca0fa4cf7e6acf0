package ui

import (
	"errors"
	"time"

	"github.com/molt-sh/molt/fleet"
)

// loadProgress is a page count reported by a running fleet load.
// wait is the last wait the loader began (rate limited), waits how many it began.
type loadProgress struct {
	done, total int
	wait        time.Duration
	waits       int
}

// loadResult is the end of a fleet load.
type loadResult struct {
	servers []fleet.Server
	err     error
}

// fleetProgressMsg says a load (of generation gen) has read done of total pages.
type fleetProgressMsg struct {
	gen         int
	done, total int
	// wait is the last wait the load began, waits how many it began.
	wait  time.Duration
	waits int
	load  *loadRun
}

// fleetLoadedMsg ends the load of generation gen.
type fleetLoadedMsg struct {
	gen     int
	servers []fleet.Server
	err     error
}

// refreshTickMsg asks for the periodic refresh armed by generation gen.
type refreshTickMsg struct{ gen int }

// exportDoneMsg ends an audit export: the files written, or why it failed.
type exportDoneMsg struct {
	paths []string
	err   error
}

// errNoImages explains an empty image list when nothing can list images.
var errNoImages = errors.New("this session cannot list images")
