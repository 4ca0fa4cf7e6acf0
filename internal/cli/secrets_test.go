package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// A token put where a flag's value or an argument was expected appears in no output of
// any command: not in cobra's errors, not in molt's own, not on stdout.
func TestTokenNeverEchoed(t *testing.T) {
	noCredentials(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Chdir(t.TempDir())
	const token = "dop_v1_0123456789abcdef0123456789abcdef"
	root := (&app{build: testBuild}).rootCmd()
	commands := [][]string{{}}
	for _, c := range root.Commands() {
		if c.Name() != "help" && c.Name() != "completion" {
			commands = append(commands, []string{c.Name()})
		}
	}
	for _, c := range commands {
		cmd, _, _ := root.Find(c)
		shapes := [][]string{
			{token},
			{"--api-url", "--access-token", token},
			{"--api-url", "", "--access-token", token},
			{"--access-token=" + token, "extra"},
			{"--access-token", token, "--api-url", "http://127.0.0.1:1", "--to", "web-1.6.0", "--authorized-keys", "/nonexistent"},
		}
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() != "bool" && !(cmd.Name() == "sim" && f.Name == "token") {
				shapes = append(shapes, []string{"--" + f.Name, token}, []string{"--" + f.Name + "=" + token})
			}
		})
		for _, shape := range shapes {
			args := append(append([]string{}, c...), shape...)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			var out, errOut bytes.Buffer
			code := Run(ctx, testBuild, Hooks{}, args, strings.NewReader(""), &out, &errOut)
			cancel()
			if strings.Contains(out.String()+errOut.String(), token) || strings.Contains(out.String()+errOut.String(), token[:20]) {
				t.Errorf("molt %q (exit %d) echoed the token:\n%s%s", args, code, out.String(), errOut.String())
			}
		}
	}
}

// A token in the environment puts stdout behind a redacting writer; the stream under it
// is still the terminal (the cockpit opens, prompts ask), and what goes through it is
// still redacted. /dev/null stands in for a terminal: a character device, as a tty is.
func TestRedactingKeepsTheTerminal(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if !isTerminal(f) {
		t.Skipf("%s is not a character device here", os.DevNull)
	}
	r := &redactor{}
	r.add("dop_v1_" + strings.Repeat("a", 64))
	w := r.writer(f)
	if _, redacting := w.(redactingWriter); !redacting {
		t.Fatal("a token to hide and no redacting writer")
	}
	if !isTerminal(w) {
		t.Error("stdout behind the redactor is not taken for a terminal: the cockpit would print molt status")
	}
	if rawWriter(w) != f {
		t.Error("the cockpit would draw through the redactor, not on the terminal")
	}
}
