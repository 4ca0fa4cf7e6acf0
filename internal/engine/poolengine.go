package engine

import "github.com/molt-sh/molt/ui"

// The cockpit stages pools through ui.PoolEngine.
var _ ui.PoolEngine = local{}
