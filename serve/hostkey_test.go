package serve

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHostKeyIsCreatedOnceAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "molt", HostKeyFile)
	first, err := LoadHostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("the host key has mode %04o, want 0600", perm)
	}
	if di, err := os.Stat(filepath.Dir(path)); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("the state directory: %v, mode %04o; want 0700", err, di.Mode().Perm())
	}
	again, err := LoadHostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.PublicKey().Marshal(), again.PublicKey().Marshal()) {
		t.Fatal("a second start made a new host key")
	}
	if first.PublicKey().Type() != "ssh-ed25519" {
		t.Fatalf("host key type %s, want ssh-ed25519", first.PublicKey().Type())
	}
}

func TestHostKeyOpenToOthersIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), HostKeyFile)
	if _, err := LoadHostKey(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHostKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("error %v, want a refusal asking for chmod 600", err)
	}
}

func TestDamagedHostKeyIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), HostKeyFile)
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHostKey(path); err == nil {
		t.Fatal("a damaged host key was accepted")
	}
	if data, _ := os.ReadFile(path); string(data) != "not a key" {
		t.Fatal("a damaged host key was replaced")
	}
}

// A directory others may write lets them swap the host key for theirs (and then pose as
// the server): the key is neither created nor read there, unless the directory is
// sticky, as /tmp is.
func TestHostKeyInADirectoryOthersCanWriteIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, HostKeyFile)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHostKey(path); err == nil || !strings.Contains(err.Error(), "chmod") {
		t.Fatalf("a host key was created in a directory anyone can write: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the host key was written anyway: %v", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHostKey(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o770); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHostKey(path); err == nil || !strings.Contains(err.Error(), "chmod") {
		t.Fatalf("a host key was read from a directory its group can write: %v", err)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHostKey(path); err != nil {
		t.Fatalf("a host key in a sticky directory: %v", err)
	}
}
