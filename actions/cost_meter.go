package actions

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// SpendMeter follows a journal as it grows and says what its rollout's extra droplets
// have cost: each Read parses only the records written since the last, so a printer can
// ask after every wave of a long rollout without reading the whole journal each time.
type SpendMeter struct {
	path string
	off  int64
	fold *spendFold
}

// NewSpendMeter follows the journal at path.
func NewSpendMeter(path string) *SpendMeter { return &SpendMeter{path: path} }

// Read folds the whole records written since the last Read and returns the spend at now.
func (m *SpendMeter) Read(now time.Time) (Spend, error) {
	f, err := os.Open(m.path)
	if err != nil {
		return Spend{}, fmt.Errorf("read the journal: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(m.off, io.SeekStart); err != nil {
		return Spend{}, fmt.Errorf("read the journal: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return Spend{}, fmt.Errorf("read the journal: %w", err)
	}
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break // a line still being written, or torn: the next Read sees it whole
		}
		var r Record
		if err := json.Unmarshal(data[:i], &r); err != nil {
			return Spend{}, fmt.Errorf("journal %s is damaged at byte %d: %v", m.path, m.off, err)
		}
		m.add(r)
		m.off += int64(i + 1)
		data = data[i+1:]
	}
	if m.fold == nil {
		return Spend{At: now}, nil
	}
	return m.fold.until(now), nil
}

func (m *SpendMeter) add(r Record) {
	switch {
	case m.fold != nil:
		m.fold.record(r)
	case r.Kind == KindHeader && r.Header != nil:
		m.fold = newSpendFold(r)
	}
}
