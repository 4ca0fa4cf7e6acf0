package serve

import "github.com/molt-sh/molt/ui"

// A shared cockpit stages pools through ui.PoolEngine.
var _ ui.PoolEngine = sessionEngine{}
