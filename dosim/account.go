package dosim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/account", s.getAccount)
	})
}

// Account is the simulated account's identity. Every world gets its own UUIDs, kept in
// its state file, so that two simulators can be told apart the way two accounts can.
type Account struct {
	UUID  string `json:"uuid"`
	Email string `json:"email"`
	Name  string `json:"name"`
	// TeamUUID and TeamName are set when the world was seeded with a team.
	TeamUUID string `json:"team_uuid,omitempty"`
	TeamName string `json:"team_name,omitempty"`
	// ProjectID is the account's default project, which holds every resource.
	ProjectID string `json:"project_id"`
}

// newAccount makes a fresh identity, in a team when team is not empty. DigitalOcean's
// account and team UUIDs are 40 hex digits; project IDs are UUIDs.
func newAccount(team string) Account {
	a := Account{UUID: randomHex(20), Email: "operator@molt.example", Name: "molt simulator", ProjectID: randomUUID()}
	if team != "" {
		a.TeamUUID, a.TeamName = randomHex(20), team
	}
	return a
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomUUID is a version 4 UUID.
func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// AccountUUID is the UUID /v2/account reports for this simulator's world.
func (s *Sim) AccountUUID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Account.UUID
}

// reservedIPLimit is the account's limit of reserved IPs, raised when the world already
// holds more.
func (w *world) reservedIPLimit() int { return max(10, len(w.ReservedIPs)) }

// volumeLimit is DigitalOcean's default limit of volumes per account.
const volumeLimit = 100

func (s *Sim) getAccount(_ *http.Request, _ *reqInfo) (int, any) {
	limit := s.w.reservedIPLimit()
	a := s.w.Account
	out := obj{
		"droplet_limit":     s.w.DropletLimit,
		"floating_ip_limit": limit,
		"reserved_ip_limit": limit,
		"volume_limit":      volumeLimit,
		"email":             a.Email,
		"name":              a.Name,
		"uuid":              a.UUID,
		"email_verified":    true,
		"status":            "active",
		"status_message":    "",
	}
	if a.TeamUUID != "" {
		out["team"] = obj{"uuid": a.TeamUUID, "name": a.TeamName}
	}
	return http.StatusOK, obj{"account": out}
}
