package dosim

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// loadState reads the world from cfg.StatePath if that file exists.
func (s *Sim) loadState() (bool, error) {
	if s.cfg.StatePath == "" {
		return false, nil
	}
	data, err := os.ReadFile(s.cfg.StatePath)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read simulator state: %w", err)
	}
	w := newWorld(nil)
	if err := json.Unmarshal(data, w); err != nil {
		return false, fmt.Errorf("simulator state %s is not valid: %w", s.cfg.StatePath, err)
	}
	upgrade(w, data)
	s.w = w
	return true, nil
}

// upgrade gives a world saved by an older simulator what newer ones have from the start,
// so that what worked against it goes on working: the seeded SSH keys (creates name
// them), and the default VPC of each region its droplets name.
func upgrade(w *world, data []byte) {
	var has struct {
		Keys json.RawMessage `json:"ssh_keys"`
	}
	if json.Unmarshal(data, &has) == nil && has.Keys == nil {
		seedKeys(w)
	}
	for _, d := range w.Droplets {
		if _, ok := w.VPCs[d.VPCUUID]; !ok && d.VPCUUID == defaultVPC(d.Region) {
			w.defaultVPCFor(d.Region, w.born())
		}
	}
}

// saveStateLocked writes the world atomically (temporary file, fsync, rename). Runs under s.mu.
func (s *Sim) saveStateLocked() {
	if s.cfg.StatePath == "" {
		return
	}
	if err := writeFileAtomic(s.cfg.StatePath, s.w); err != nil && s.cfg.Logger != nil {
		s.cfg.Logger.Printf("save state: %v", err)
	}
}

func writeFileAtomic(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".dosim-state-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
