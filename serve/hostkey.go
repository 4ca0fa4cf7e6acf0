package serve

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"
)

// HostKeyFile is the host key's file name in the state directory.
const HostKeyFile = "ssh_host_ed25519_key"

// LoadHostKey reads the server's host key from path, generating an ed25519 key there
// (mode 0600, in a 0700 directory) on first start. A key that others can read, or in a
// directory that others can write, is refused, as sshd refuses it: it would let them
// impersonate the server.
func LoadHostKey(path string) (gossh.Signer, error) {
	if err := checkKeyDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	signer, err := readHostKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createHostKey(path)
	}
	return signer, err
}

// checkKeyDir refuses a directory that others may write (unless it is sticky, as /tmp
// is): they could put their own key in the host key's place and pose as the server. A
// directory that does not exist yet is created 0700.
func checkKeyDir(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("the host key's directory: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("the host key's directory %s is open to others' writing (mode %04o): chmod 700 it", dir, perm)
	}
	return nil
}

func readHostKey(path string) (gossh.Signer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("host key %s is open to others (mode %04o): chmod 600 it", path, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the host key: %w", err)
	}
	signer, err := gossh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("host key %s: %w", path, err)
	}
	return signer, nil
}

// createHostKey writes a new key without ever replacing one: two servers starting at
// once on the same state directory end up with the same key.
func createHostKey(path string) (gossh.Signer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the state directory: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate the host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "molt serve host key")
	if err != nil {
		return nil, fmt.Errorf("encode the host key: %w", err)
	}
	if err := writeExclusive(path, pem.EncodeToMemory(block)); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readHostKey(path)
		}
		return nil, fmt.Errorf("write the host key: %w", err)
	}
	return gossh.NewSignerFromKey(priv)
}

// writeExclusive creates path with data, mode 0600, failing if it exists; the data is
// synced before it is published under its name so that a crash leaves no empty key.
func writeExclusive(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hostkey-*")
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
	return os.Link(tmp.Name(), path)
}
