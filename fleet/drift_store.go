package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// driftFile is the drift log's file in an account's directory.
const driftFile = "drift.json"

// driftFormat is the version of the file's shape; a file of another version is read
// again from the feed.
const driftFormat = 1

// driftDoc is the file: small (only droplets with changes, at most maxChanges each, and
// none of a destroyed droplet), written whole to a temporary file that then replaces it.
type driftDoc struct {
	Format   int                       `json:"format"`
	From     time.Time                 `json:"from"`
	Complete bool                      `json:"complete,omitempty"`
	Newest   int                       `json:"newest"`
	Open     []int                     `json:"open,omitempty"`
	Droplets map[string][]LoggedChange `json:"droplets"`
}

// loadDriftLog reads the log kept in dir; nil and why when there is none to use (no
// file yet, or a damaged one, which is read again from the feed).
func loadDriftLog(dir string) (*DriftLog, string) {
	if dir == "" {
		return nil, "no state directory"
	}
	data, err := os.ReadFile(filepath.Join(dir, driftFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "first audit of this account"
	}
	if err != nil {
		return nil, fmt.Sprintf("the kept changes could not be read (%v)", err)
	}
	var doc driftDoc
	if err := json.Unmarshal(data, &doc); err != nil || doc.Format != driftFormat || doc.From.IsZero() {
		return nil, "the kept changes were damaged or of another version; starting over"
	}
	l := &DriftLog{From: doc.From, Complete: doc.Complete, Newest: doc.Newest, Open: doc.Open, Droplets: make(map[int][]LoggedChange, len(doc.Droplets))}
	for k, v := range doc.Droplets {
		id, err := strconv.Atoi(k)
		if err != nil {
			return nil, "the kept changes were damaged; starting over"
		}
		l.Droplets[id] = v
	}
	return l, ""
}

// saveDriftLog writes the log to dir atomically: a temporary file, synced, renamed over
// the old one, so that a crash leaves the old file or the new one.
func saveDriftLog(dir string, l *DriftLog) error {
	if dir == "" {
		return nil
	}
	doc := driftDoc{Format: driftFormat, From: l.From.UTC(), Complete: l.Complete, Newest: l.Newest, Open: l.Open,
		Droplets: make(map[string][]LoggedChange, len(l.Droplets))}
	for id, v := range l.Droplets {
		doc.Droplets[strconv.Itoa(id)] = v
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, driftFile), append(data, '\n'))
}

// writeFileAtomic replaces path with data: directory 0700, file 0600.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
