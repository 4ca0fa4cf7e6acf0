package serve

import (
	"errors"

	"github.com/molt-sh/molt/internal/engine"
)

// ErrStopping refuses new rollouts while the server stops.
var ErrStopping = errors.New("molt serve is stopping: no new rollouts (it continues the running ones when it starts again)")

// errViewer refuses what a viewer may not do, should a key ever get that far.
var errViewer = errors.New("this key is a viewer's: it cannot change the fleet")

// serving says what the engine's refusal means in a server: it continues the running
// rollouts when it starts again.
func serving(r *engine.Run, err error) (*engine.Run, error) {
	if errors.Is(err, engine.ErrStopping) {
		return r, ErrStopping
	}
	return r, err
}
