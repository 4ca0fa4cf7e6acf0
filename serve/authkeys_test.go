package serve

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseAuthorizedKeysRoles(t *testing.T) {
	k := newSigner(t)
	tests := []struct {
		name    string
		line    string
		role    Role
		comment string
		err     string
	}{
		{"operator", authorizedLine(k, `environment="MOLT_ROLE=operator"`, "alice@laptop"), RoleOperator, "alice@laptop", ""},
		{"viewer", authorizedLine(k, `environment="MOLT_ROLE=viewer"`, "victor"), RoleViewer, "victor", ""},
		{"unmarked keys are viewers", authorizedLine(k, "", "bob"), RoleViewer, "bob", ""},
		{"other variables are ignored", authorizedLine(k, `environment="TZ=UTC",environment="MOLT_ROLE=operator"`, "a"), RoleOperator, "a", ""},
		{"restrictions molt keeps anyway", authorizedLine(k, `restrict,no-port-forwarding,environment="MOLT_ROLE=operator"`, "a"), RoleOperator, "a", ""},
		{"unknown role", authorizedLine(k, `environment="MOLT_ROLE=admin"`, "a"), "", "", `MOLT_ROLE="admin": the role is viewer or operator`},
		{"role given twice", authorizedLine(k, `environment="MOLT_ROLE=viewer",environment="MOLT_ROLE=operator"`, "a"), "", "", "given twice"},
		{"from= would be lifted", authorizedLine(k, `from="10.0.0.0/8",environment="MOLT_ROLE=operator"`, "a"), "", "", "option from is not supported"},
		{"command= would be lifted", authorizedLine(k, `command="/bin/true"`, "a"), "", "", "option command is not supported"},
		{"no-pty would be lifted", authorizedLine(k, `no-pty`, "a"), "", "", "option no-pty is not supported"},
		{"not a key", "ssh-ed25519 AAAAnotbase64 x", "", "", "line 2: not a public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := ParseAuthorizedKeys([]byte("# molt serve\n" + tt.line + "\n\n"))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 || keys[0].Role != tt.role || keys[0].Comment != tt.comment || keys[0].Line != 2 {
				t.Fatalf("parsed %+v, want one %s key %q on line 2", keys, tt.role, tt.comment)
			}
		})
	}
}

func TestKeyringFollowsTheFile(t *testing.T) {
	alice, bob := newSigner(t), newSigner(t)
	path := filepath.Join(t.TempDir(), "authorized_keys")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		// a new modification time even on coarse clocks
		later := time.Now().Add(time.Duration(len(content)) * time.Second)
		if err := os.Chtimes(path, later, later); err != nil {
			t.Fatal(err)
		}
	}
	write(authorizedLine(alice, "", "alice") + "\n")
	kr, err := newKeyring(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := kr.lookup(bob.PublicKey()); ok {
		t.Fatal("bob's key is accepted before it is in the file")
	}
	write(authorizedLine(alice, "", "alice") + "\n" + authorizedLine(bob, `environment="MOLT_ROLE=operator"`, "bob") + "\n")
	if k, ok := kr.lookup(bob.PublicKey()); !ok || k.Role != RoleOperator {
		t.Fatalf("bob's key added to the file: found %v, role %q; want an operator", ok, k.Role)
	}
	write(authorizedLine(bob, "", "bob") + "\n" + "garbage\n")
	if _, ok := kr.lookup(bob.PublicKey()); ok {
		t.Fatal("a file that no longer parses still lets keys in")
	}
	write(authorizedLine(bob, "", "bob") + "\n")
	if _, ok := kr.lookup(alice.PublicKey()); ok {
		t.Fatal("alice's key removed from the file is still accepted")
	}
	if k, ok := kr.lookup(bob.PublicKey()); !ok || k.Role != RoleViewer {
		t.Fatalf("bob's key demoted to a viewer: found %v, role %q", ok, k.Role)
	}
}

func TestKeyringRefusesAnEmptyFileAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authorized_keys")
	if err := os.WriteFile(path, []byte("# nobody yet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newKeyring(path, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "no key") {
		t.Fatalf("error %v, want one saying the file holds no key", err)
	}
	if _, err := newKeyring(filepath.Join(t.TempDir(), "missing"), slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("a missing file is accepted")
	}
}
