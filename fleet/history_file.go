package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The history file holds one JSON object per line: a version the samples name
// ({"version": {"key", "name", "created_at"}}), written before the first sample naming
// it, or a sample ({"at", "roles"}) that gives the roles which changed since the line
// before (a role that has no servers any more as {}). The first sample of a rewritten
// file gives every role. Each append is one write of whole lines, then a sync.

// historyLine is one line of the file.
type historyLine struct {
	At      *time.Time                `json:"at,omitempty"`
	Roles   map[string]map[string]int `json:"roles,omitempty"`
	Version *VersionInfo              `json:"version,omitempty"`
}

// historyFile is where this History stands in the file: the file it read (another
// process's rewrite replaces it), the end of the last whole line, whether what follows
// is a torn line, and how many damaged lines it skipped.
type historyFile struct {
	info    fs.FileInfo
	off     int64
	torn    bool
	damaged int
}

// compactSlack is how many samples downsampling must be able to drop before the file is
// rewritten: a rewrite costs the whole file, so it waits until it saves something.
const compactSlack = 64

// sync reads what was written since the last read: the new lines when the file is the
// one read before, the whole file when another process rewrote it.
func (h *History) sync() error {
	info, err := os.Stat(h.path)
	if errors.Is(err, fs.ErrNotExist) {
		h.samples, h.versions, h.file = nil, map[string]VersionInfo{}, historyFile{}
		return nil
	}
	if err != nil {
		return err
	}
	if h.file.info == nil || !os.SameFile(info, h.file.info) || info.Size() < h.file.off {
		h.samples, h.versions, h.file = nil, map[string]VersionInfo{}, historyFile{}
	}
	if info.Size() == h.file.off && h.file.info != nil {
		h.file.info = info
		return nil
	}
	f, err := os.Open(h.path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.NewSectionReader(f, h.file.off, info.Size()-h.file.off))
	if err != nil {
		return err
	}
	h.parse(data)
	h.file.info = info
	return nil
}

// parse folds whole lines of data into the samples; a last line without its newline is
// torn and left for the next append to cut off.
func (h *History) parse(data []byte) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			h.file.torn = true
			return
		}
		h.file.torn = false
		h.fold(data[:i])
		h.file.off += int64(i + 1)
		data = data[i+1:]
	}
}

func (h *History) fold(line []byte) {
	var l historyLine
	if err := json.Unmarshal(line, &l); err != nil || (l.At == nil) == (l.Version == nil) {
		h.file.damaged++
		return
	}
	if l.Version != nil {
		h.versions[l.Version.Key] = *l.Version
		return
	}
	s := Sample{At: l.At.UTC(), Roles: map[string]map[string]int{}}
	if n := len(h.samples); n > 0 {
		maps.Copy(s.Roles, h.samples[n-1].Roles)
		s.At = maxTime(s.At, h.samples[n-1].At)
	}
	for role, counts := range l.Roles {
		if counts = nonZero(counts); len(counts) == 0 {
			delete(s.Roles, role)
		} else {
			s.Roles[role] = counts
		}
	}
	h.samples = append(h.samples, s)
}

func maxTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

// append writes next (and the versions it names that the file does not hold yet) as
// whole lines in one write, after cutting off a torn line, and syncs.
func (h *History) append(next Sample, versions map[string]VersionInfo) error {
	var prev Sample
	if n := len(h.samples); n > 0 {
		prev = h.samples[n-1]
	}
	var buf bytes.Buffer
	known := h.versions
	h.versions = maps.Clone(known)
	err := h.writeVersions(&buf, next, versions)
	if err == nil {
		err = writeSample(&buf, prev, next)
	}
	if err == nil {
		err = h.write(buf.Bytes())
	}
	if err != nil {
		h.versions = known // the file does not hold them: they go with the next sample
		return err
	}
	h.samples = append(h.samples, next)
	return nil
}

// write puts lines after the last whole line of the file (cutting off a torn one) and
// syncs; a failed write is cut back, so that no partial line stays behind.
func (h *History) write(lines []byte) error {
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if h.file.torn {
		if err := f.Truncate(h.file.off); err != nil {
			return err
		}
	}
	if _, err := f.WriteAt(lines, h.file.off); err != nil {
		_ = f.Truncate(h.file.off)
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		return err
	}
	h.file = historyFile{info: info, off: h.file.off + int64(len(lines)), damaged: h.file.damaged}
	return nil
}

// writeVersions writes a line for each version next names that the history lacks.
func (h *History) writeVersions(buf *bytes.Buffer, next Sample, versions map[string]VersionInfo) error {
	for _, key := range sampleKeys(next) {
		if _, ok := h.versions[key]; ok {
			continue
		}
		v, ok := versions[key]
		if !ok {
			v = VersionInfo{Key: key}
		}
		if err := writeHistoryLine(buf, historyLine{Version: &v}); err != nil {
			return err
		}
		h.versions[key] = v
	}
	return nil
}

// sampleKeys lists the versions a sample names, sorted.
func sampleKeys(s Sample) []string {
	seen := map[string]bool{}
	for _, counts := range s.Roles {
		for k := range counts {
			seen[k] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// writeSample writes next as the roles that differ from prev.
func writeSample(buf *bytes.Buffer, prev, next Sample) error {
	l := historyLine{At: &next.At, Roles: map[string]map[string]int{}}
	for role, counts := range next.Roles {
		if !maps.Equal(prev.Roles[role], counts) {
			l.Roles[role] = counts
		}
	}
	for role := range prev.Roles {
		if _, ok := next.Roles[role]; !ok {
			l.Roles[role] = map[string]int{}
		}
	}
	return writeHistoryLine(buf, l)
}

func writeHistoryLine(buf *bytes.Buffer, l historyLine) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	buf.Write(b)
	buf.WriteByte('\n')
	return nil
}

// compactIfDue rewrites the file downsampled when that drops enough samples, or when it
// holds damaged lines.
func (h *History) compactIfDue() error {
	kept := Downsample(h.samples, h.opt.Now(), h.opt.Tiers)
	if len(h.samples)-len(kept) < compactSlack && h.file.damaged == 0 {
		return nil
	}
	return h.rewrite(kept)
}

// rewrite replaces the file with samples (and the versions they name): written to a
// temporary file in the same directory, synced, renamed over the old one.
func (h *History) rewrite(samples []Sample) error {
	var buf bytes.Buffer
	versions := h.versions
	h.versions = map[string]VersionInfo{}
	var prev Sample
	for _, s := range samples {
		if err := h.writeVersions(&buf, s, versions); err != nil {
			return err
		}
		if err := writeSample(&buf, prev, s); err != nil {
			return err
		}
		prev = s
	}
	if err := replaceFile(h.path, buf.Bytes()); err != nil {
		return fmt.Errorf("rewrite %s: %w", h.path, err)
	}
	info, err := os.Stat(h.path)
	if err != nil {
		return err
	}
	h.samples, h.file = samples, historyFile{info: info, off: int64(buf.Len())}
	return nil
}

// replaceFile writes data to path atomically: a temporary file, synced, then renamed,
// and the directory synced so that the rename survives a crash.
func replaceFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up after a failure
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
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
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
