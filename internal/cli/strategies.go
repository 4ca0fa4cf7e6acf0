package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/molt-sh/molt/actions"
)

// strategiesFile is where the cockpit keeps the last strategy staged per selection of
// roles, in the state directory.
const strategiesFile = "strategies.json"

// strategyStore keeps the last strategy staged per selection of roles for one account
// (ui.StrategyStore), in a file shared by every account: {account: {roles: strategy}}.
// The cockpits of one process (molt serve's sessions) share one store.
type strategyStore struct {
	path, account string
	mu            sync.Mutex
}

// newStrategyStore keeps strategies for account in the state directory; nil when there
// is none (the cockpit then remembers for the session only).
func newStrategyStore(account string) *strategyStore {
	dir, err := stateDir()
	if err != nil {
		return nil
	}
	return &strategyStore{path: filepath.Join(dir, strategiesFile), account: account}
}

// Load reads the account's strategies; a missing file is none.
func (s *strategyStore) Load() (map[string]actions.Strategy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all, err := s.read()
	return all[s.account], err
}

// Save keeps st for the roles named key, writing the file whole and then renaming it, so
// that a crash leaves the old file or the new one.
func (s *strategyStore) Save(key string, st actions.Strategy) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	all, err := s.read()
	if err != nil {
		return err
	}
	if all[s.account] == nil {
		all[s.account] = map[string]actions.Strategy{}
	}
	st.Launch = actions.Launch{} // user data and keys are the launch template's, not the role's
	all[s.account][key] = st
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.path)
}

func (s *strategyStore) read() (map[string]map[string]actions.Strategy, error) {
	all := map[string]map[string]actions.Strategy{}
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return all, nil
	}
	if err != nil {
		return all, err
	}
	if err := json.Unmarshal(data, &all); err != nil {
		return map[string]map[string]actions.Strategy{}, fmt.Errorf("read %s: %w", s.path, err)
	}
	return all, nil
}
