package fleet

import (
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
	UUID     string `json:"uuid"`
	Email    string `json:"email,omitempty"`
	TeamUUID string `json:"team_uuid,omitempty"`
	TeamName string `json:"team_name,omitempty"`
	// Endpoint is the API's URL. It names the account in messages; the account and
	// team UUIDs alone decide whether two are the same account.
	Endpoint string `json:"endpoint,omitempty"`
}

// Same reports whether a and o are the same account: the same user UUID in the same
// team (or both outside any team).
func (a Account) Same(o Account) bool { return a.UUID == o.UUID && a.TeamUUID == o.TeamUUID }

// String names the account for people: its email (or UUID), the team, the endpoint.
func (a Account) String() string {
	who := a.Email
	if who == "" {
		who = "account " + a.UUID
	} else {
		who += " (account " + shortUUID(a.UUID) + ")"
	}
	if a.TeamName != "" || a.TeamUUID != "" {
		who += fmt.Sprintf(" in team %q (%s)", a.TeamName, shortUUID(a.TeamUUID))
	}
	if a.Endpoint != "" {
		who += " at " + a.Endpoint
	}
	return who
}

// shortUUID is the start of a UUID, enough to tell two apart on screen.
func shortUUID(uuid string) string {
	if len(uuid) > 8 {
		return uuid[:8]
	}
	return uuid
}

// AccountOf names the account a client reached, from its /v2/account answer.
func AccountOf(c *godo.Client, acct *godo.Account) Account {
	a := Account{UUID: acct.UUID, Email: acct.Email}
	if acct.Team != nil {
		a.TeamUUID, a.TeamName = acct.Team.UUID, acct.Team.Name
	}
	if c.BaseURL != nil {
		u := *c.BaseURL
		u.User = nil // never keep credentials an endpoint's URL may carry
		a.Endpoint = u.String()
	}
	return a
}

// Key names the account's state: the team's UUID when the token acts for a team (the
// droplets are the team's, and one user in two teams sees two fleets), else the user's.
func (a Account) Key() string {
	if a.TeamUUID != "" {
		return a.TeamUUID
	}
	return a.UUID
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
