package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
	"go.yaml.in/yaml/v4"
)

// launchConfig is the part of molt's config file ($XDG_CONFIG_HOME/molt/config.yaml)
// that gives new droplets what DigitalOcean never returns for old ones, per role:
//
//	launch:
//	  web:
//	    user_data: /etc/molt/web.cloud-init
//	    ssh_keys: ["1234567", "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"]
type launchConfig struct {
	Launch map[string]struct {
		UserData string   `yaml:"user_data"`
		SSHKeys  []string `yaml:"ssh_keys"`
	} `yaml:"launch"`
}

// configPath is molt's config file.
func configPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "molt", "config.yaml"), nil
}

// launchTemplate returns the launch template of the selection's role, when every
// selected server has the same role and the config file has one for it.
func launchTemplate(servers []fleet.Server) (actions.Launch, error) {
	role := ""
	for _, s := range servers {
		r, _ := s.TagValue("role:")
		if role != "" && r != role {
			return actions.Launch{}, nil
		}
		role = r
	}
	path, err := configPath()
	if err != nil || role == "" {
		return actions.Launch{}, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return actions.Launch{}, nil
	}
	if err != nil {
		return actions.Launch{}, fmt.Errorf("read the config file: %w", err)
	}
	var cfg launchConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return actions.Launch{}, fmt.Errorf("the config file %s is not valid: %w", path, err)
	}
	t, ok := cfg.Launch[role]
	if !ok {
		return actions.Launch{}, nil
	}
	l := actions.Launch{SSHKeys: t.SSHKeys, Source: "template:" + role}
	if t.UserData != "" {
		content, err := os.ReadFile(t.UserData)
		if err != nil {
			return l, fmt.Errorf("read the user data of the %s launch template: %w", role, err)
		}
		sum := sha256.Sum256(content)
		l.UserData, l.UserDataPath, l.UserDataHash = string(content), t.UserData, hex.EncodeToString(sum[:])
	}
	return l, nil
}
