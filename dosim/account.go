package dosim

import "net/http"

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/account", s.getAccount)
	})
}

// The simulated account's fixed identity. DigitalOcean account UUIDs are 40 hex digits;
// project IDs are UUIDs.
const (
	accountUUID = "6d0c3c1f5e8a4b7d9e2f1a3b5c7d9e0f1a2b3c4d"
	teamUUID    = "5df3e3004a17e242b7c20ca6c9fc25b701a47ece"
	projectID   = "746c6152-2fa2-11ed-92d3-27aaa54e4988"
)

// reservedIPLimit is DigitalOcean's default, raised when the world already holds more.
func (w *world) reservedIPLimit() int { return max(5, len(w.ReservedIPs)) }

func (s *Sim) getAccount(_ *http.Request, _ *reqInfo) (int, any) {
	limit := s.w.reservedIPLimit()
	return http.StatusOK, obj{"account": obj{
		"droplet_limit":     s.w.DropletLimit,
		"floating_ip_limit": limit,
		"reserved_ip_limit": limit,
		"volume_limit":      100,
		"email":             "operator@molt.example",
		"name":              "molt simulator",
		"uuid":              accountUUID,
		"email_verified":    true,
		"status":            "active",
		"status_message":    "",
		"team":              obj{"uuid": teamUUID, "name": "molt"},
	}}
}
