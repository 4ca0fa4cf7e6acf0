package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// strategiesFile is where the cockpit keeps the last strategy staged per selection of
// roles, in the account's own state directory.
const strategiesFile = "strategies.json"

// strategyStore keeps the last strategy staged per selection of roles for one account
// (ui.StrategyStore), in the account's state directory (fleet.AccountDir), as
// {roles: strategy}. The cockpits of one process (molt serve's sessions) share one
// store.
type strategyStore struct {
	// dir is the account's state directory; it is asked for when the store is first
	// used (from the UI's Cmds), so that the account is read then, not before the
	// cockpit opens.
	dir func() (string, error)
	mu  sync.Mutex
}

// newStrategyStore keeps strategies in the directory dir names.
func newStrategyStore(dir func() (string, error)) *strategyStore {
	return &strategyStore{dir: dir}
}

// sessionStrategies is the store of the account the session reaches: under the state
// directory, or for the demo under its temporary one, as the spread history is.
func (s *session) sessionStrategies(ctx context.Context) *strategyStore {
	return newStrategyStore(func() (string, error) { return s.accountDir(ctx) })
}

// Load reads the account's strategies; a missing file is none.
func (s *strategyStore) Load() (map[string]actions.Strategy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path, err := s.path()
	if err != nil {
		return map[string]actions.Strategy{}, err
	}
	return readStrategies(path)
}

// Save keeps st for the roles named key, writing the file whole and then renaming it, so
// that a crash leaves the old file or the new one.
func (s *strategyStore) Save(key string, st actions.Strategy) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	path, err := s.path()
	if err != nil {
		return err
	}
	all, err := readStrategies(path)
	if err != nil {
		return err
	}
	st.Launch = actions.Launch{} // user data and keys are the launch template's, not the role's
	all[key] = st
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (s *strategyStore) path() (string, error) {
	dir, err := s.dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, strategiesFile), nil
}

func readStrategies(path string) (map[string]actions.Strategy, error) {
	all := map[string]actions.Strategy{}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return all, nil
	}
	if err != nil {
		return all, err
	}
	if err := json.Unmarshal(data, &all); err != nil {
		return map[string]actions.Strategy{}, fmt.Errorf("read %s: %w", path, err)
	}
	return all, nil
}

// accountDir is the account's own state directory (fleet.AccountDirIn): under the state
// directory, or for the demo under its temporary one. The account is the session's one
// read of it.
func (s *session) accountDir(ctx context.Context) (string, error) {
	account, err := s.account(ctx)
	if err != nil {
		return "", err
	}
	s.hist.mu.Lock()
	state, err := s.historyState()
	s.hist.mu.Unlock()
	if err != nil {
		return "", err
	}
	return fleet.AccountDirIn(state, account)
}
