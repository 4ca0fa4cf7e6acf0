package fleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/digitalocean/godo"
)

// Account is who an API token acts for, as GET /v2/account says. What molt keeps about
// a fleet between runs (spread history, audit caches) is kept per account, so that two
// accounts, or two simulated worlds, never mix.
type Account struct {
	UUID     string
	Email    string
	TeamUUID string
	TeamName string
}

// Key names the account's state: the team's UUID when the token acts for a team (the
// droplets are the team's, and one user in two teams sees two fleets), else the user's.
func (a Account) Key() string {
	if a.TeamUUID != "" {
		return a.TeamUUID
	}
	return a.UUID
}

// ReadAccount reads the token's account: one request, at the priority of a read.
func ReadAccount(ctx context.Context, c *godo.Client) (Account, error) {
	acct, _, err := c.Account.Get(WithPriority(ctx, PriorityRead))
	if err != nil {
		return Account{}, fmt.Errorf("read the account: %w", err)
	}
	a := Account{UUID: acct.UUID, Email: acct.Email}
	if acct.Team != nil {
		a.TeamUUID, a.TeamName = acct.Team.UUID, acct.Team.Name
	}
	return a, nil
}

// StateDir is molt's state directory: $XDG_STATE_HOME/molt, or ~/.local/state/molt when
// XDG_STATE_HOME is unset or not absolute (the journals' directory is its rollouts/).
func StateDir() (string, error) {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the state directory: %w", err)
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "molt"), nil
}

// AccountDir is the account's own directory under the state directory,
// <state>/accounts/<Key>, created (0700) if need be.
func AccountDir(a Account) (string, error) {
	state, err := StateDir()
	if err != nil {
		return "", err
	}
	return AccountDirIn(state, a)
}

// AccountDirIn is AccountDir under another state directory.
func AccountDirIn(state string, a Account) (string, error) {
	key := a.Key()
	if !safeKey(key) {
		return "", fmt.Errorf("the API named the account %q, which cannot name a directory", key)
	}
	dir := filepath.Join(state, "accounts", key)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the account's state directory: %w", err)
	}
	return dir, nil
}

// safeKey accepts what DigitalOcean's UUIDs are made of (hex digits and dashes), and
// refuses anything that could leave the accounts directory.
func safeKey(k string) bool {
	return k != "" && len(k) <= 64 && strings.Trim(strings.ToLower(k), "0123456789abcdefghijklmnopqrstuvwxyz-") == ""
}
