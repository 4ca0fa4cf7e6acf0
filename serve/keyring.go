package serve

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// keyring answers "whose key is this?" from the authorized keys file. It reads the file
// again whenever it changes, so that adding or revoking a key needs no restart; a file
// that stops parsing refuses every key until it is fixed (fail closed).
type keyring struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	modTime time.Time
	size    int64
	keys    []AuthorizedKey
	err     error
}

// newKeyring reads path once; an unreadable or invalid file is an error at start.
func newKeyring(path string, log *slog.Logger) (*keyring, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read the authorized keys: %w", err)
	}
	keys, err := ReadAuthorizedKeys(path)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("authorized keys %s holds no key: nobody could log in", path)
	}
	return &keyring{path: path, log: log, keys: keys, modTime: fi.ModTime(), size: fi.Size()}, nil
}

// lookup finds key in the file as it is now.
func (k *keyring) lookup(key gossh.PublicKey) (AuthorizedKey, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refresh()
	if k.err != nil {
		return AuthorizedKey{}, false
	}
	want := key.Marshal()
	for _, ak := range k.keys {
		if bytes.Equal(ak.Key.Marshal(), want) {
			return ak, true
		}
	}
	return AuthorizedKey{}, false
}

// refresh rereads the file when its size or modification time changed.
func (k *keyring) refresh() {
	fi, err := os.Stat(k.path)
	if err != nil {
		k.fail(fmt.Errorf("read the authorized keys: %w", err))
		return
	}
	if k.err == nil && k.keys != nil && fi.ModTime().Equal(k.modTime) && fi.Size() == k.size {
		return
	}
	keys, err := ReadAuthorizedKeys(k.path)
	if err != nil {
		k.fail(err)
		return
	}
	if k.keys != nil {
		k.log.Info("authorized keys reloaded", "path", k.path, "keys", len(keys))
	}
	k.keys, k.err, k.modTime, k.size = keys, nil, fi.ModTime(), fi.Size()
	if k.keys == nil {
		k.keys = []AuthorizedKey{}
	}
}

func (k *keyring) fail(err error) {
	if k.err == nil || k.err.Error() != err.Error() {
		k.log.Error("refusing every key until the authorized keys file is fixed", "err", err)
	}
	k.err, k.keys = err, nil
}
