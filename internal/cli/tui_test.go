package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without a terminal on stdout, `molt` prints what `molt status` prints.
func TestTUIWithoutTerminalPrintsStatus(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runIO(nil, &out, &errb); code != 0 {
		t.Fatalf("molt exited %d: %s", code, errb.String())
	}
	for _, want := range []string{"demo fleet (embedded simulator)", "54 droplets", "web-1.6.0"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("molt without a terminal should print the status (%q missing):\n%s", want, out.String())
		}
	}
}

// --readonly is a flag of molt itself.
func TestTUIReadonlyFlag(t *testing.T) {
	root := (&app{build: testBuild}).rootCmd()
	if f := root.Flags().Lookup(flagReadonly); f == nil || f.DefValue != "false" {
		t.Fatalf("molt has no --readonly flag")
	}
}

// readonly: true in the config file makes the UI read-only.
func TestTUIReadonlyFromConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	if configReadonly() {
		t.Fatalf("no config file should not be read-only")
	}
	if err := os.MkdirAll(filepath.Join(dir, "molt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "molt", "config.yaml"), []byte("readonly: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !configReadonly() {
		t.Fatalf("readonly: true in the config file was not read")
	}
}
