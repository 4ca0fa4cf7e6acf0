package serve

import (
	"fmt"
	"net"
	"os"

	"github.com/molt-sh/molt/actions"
)

// Identity is who is behind a session: the SSH login they gave, the authorized key they
// proved they hold, and the role that key grants.
type Identity struct {
	// User is the SSH user name (ssh alice@bastion).
	User string
	// KeyComment is the comment of the key's line in the authorized keys file.
	KeyComment string
	// Fingerprint is the key's SHA256 fingerprint.
	Fingerprint string
	Role        Role
	// Remote is the client's address.
	Remote net.Addr
	// Local is the server's address of the connection.
	Local net.Addr
}

// String names the identity for people: the user and the start of the key's
// fingerprint ("alice (SHA256:kYyjzAn4hP4U…)"); the journal keeps all of it.
func (id Identity) String() string {
	fp := id.Fingerprint
	if len(fp) > 19 {
		fp = fp[:19] + "…"
	}
	return fmt.Sprintf("%s (%s)", id.User, fp)
}

// Operator is the identity as the journal records it: the SSH user on this host, the
// connection as sshd would put it in SSH_CONNECTION, and the key.
func (id Identity) Operator() actions.Operator {
	host, _ := os.Hostname()
	return actions.Operator{User: id.User, Host: host, SSHConnection: sshConnection(id.Remote, id.Local),
		Key: id.Fingerprint, KeyComment: id.KeyComment}
}

// sshConnection formats "client_ip client_port server_ip server_port".
func sshConnection(remote, local net.Addr) string {
	if remote == nil || local == nil {
		return ""
	}
	rh, rp, err1 := net.SplitHostPort(remote.String())
	lh, lp, err2 := net.SplitHostPort(local.String())
	if err1 != nil || err2 != nil {
		return ""
	}
	return fmt.Sprintf("%s %s %s %s", rh, rp, lh, lp)
}

// serverOperator is who the journal names for what the server does on its own:
// pausing rollouts when it stops, and continuing them when it starts again.
func serverOperator() actions.Operator {
	op := actions.CurrentOperator()
	op.SSHConnection = ""
	op.User = "molt-serve(" + op.User + ")"
	return op
}
