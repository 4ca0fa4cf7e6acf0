package serve

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	gossh "golang.org/x/crypto/ssh"
)

// Role is what a key may do in a session.
type Role string

// The roles. A viewer sees everything and changes nothing; an operator may also stage,
// start, pause, continue, abort, resume and roll back rollouts.
const (
	RoleViewer   Role = "viewer"
	RoleOperator Role = "operator"
)

// roleVariable is the environment option that gives a key its role:
//
//	environment="MOLT_ROLE=operator" ssh-ed25519 AAAA... alice@laptop
//
// It is OpenSSH's own option syntax, so the file stays valid for ssh-keygen and
// sshd; a key without it is a viewer.
const roleVariable = "MOLT_ROLE"

// harmlessOptions are OpenSSH key options that restrict what molt serve never offers
// anyway (forwarding, agent, X11, rc files), so they are accepted and have no effect.
var harmlessOptions = map[string]bool{
	"restrict": true, "no-port-forwarding": true, "no-agent-forwarding": true,
	"no-x11-forwarding": true, "no-user-rc": true, "pty": true, "no-touch-required": true,
}

// AuthorizedKey is one line of an authorized keys file.
type AuthorizedKey struct {
	Key gossh.PublicKey
	// Comment is the text after the key, usually who it belongs to.
	Comment string
	Role    Role
	// Line is the line of the file, for messages.
	Line int
}

// Fingerprint is the key's SHA256 fingerprint as ssh-keygen -l shows it.
func (k AuthorizedKey) Fingerprint() string { return gossh.FingerprintSHA256(k.Key) }

// ReadAuthorizedKeys reads an OpenSSH authorized keys file. Every line must parse and
// carry only options molt understands: an option molt would ignore (from=, command=,
// expiry-time=, ...) is an error rather than a silently lifted restriction.
func ReadAuthorizedKeys(path string) ([]AuthorizedKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the authorized keys: %w", err)
	}
	keys, err := ParseAuthorizedKeys(data)
	if err != nil {
		return nil, fmt.Errorf("authorized keys %s: %w", path, err)
	}
	return keys, nil
}

// ParseAuthorizedKeys parses the contents of an authorized keys file.
func ParseAuthorizedKeys(data []byte) ([]AuthorizedKey, error) {
	var keys []AuthorizedKey
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		k, err := parseKeyLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		k.Line = i + 1
		keys = append(keys, k)
	}
	return keys, nil
}

func parseKeyLine(line []byte) (AuthorizedKey, error) {
	pub, comment, options, rest, err := gossh.ParseAuthorizedKey(line)
	if err != nil {
		return AuthorizedKey{}, fmt.Errorf("not a public key: %w", err)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return AuthorizedKey{}, fmt.Errorf("not a public key")
	}
	role, err := roleOf(options)
	if err != nil {
		return AuthorizedKey{}, err
	}
	return AuthorizedKey{Key: pub, Comment: comment, Role: role}, nil
}

// roleOf reads the role from a key's options; without one the key is a viewer.
func roleOf(options []string) (Role, error) {
	role := RoleViewer
	seen := false
	for _, opt := range options {
		name, value, _ := strings.Cut(opt, "=")
		name = strings.ToLower(name)
		switch {
		case harmlessOptions[name]:
			continue
		case name != "environment":
			return "", fmt.Errorf("option %s is not supported by molt serve: remove it (restrict addresses at the firewall)", name)
		}
		r, ok, err := roleFromEnvironment(value)
		if err != nil {
			return "", err
		}
		if ok {
			if seen {
				return "", fmt.Errorf("%s is given twice", roleVariable)
			}
			role, seen = r, true
		}
	}
	return role, nil
}

// roleFromEnvironment reads environment="MOLT_ROLE=..."; other variables are ignored.
func roleFromEnvironment(quoted string) (Role, bool, error) {
	v := strings.TrimSuffix(strings.TrimPrefix(quoted, `"`), `"`)
	name, value, ok := strings.Cut(v, "=")
	if !ok || name != roleVariable {
		return "", false, nil
	}
	switch r := Role(value); r {
	case RoleViewer, RoleOperator:
		return r, true, nil
	}
	return "", false, fmt.Errorf("%s=%q: the role is viewer or operator", roleVariable, value)
}
