package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// tokenPrefixes start DigitalOcean's tokens: personal access, OAuth and refresh tokens.
var tokenPrefixes = []string{"dop_v1_", "doo_v1_", "dor_v1_"}

// redactor hides secrets in what molt says: every argument that looks like a token, the
// value of --access-token, and the tokens in the environment. It never learns a
// secret's length from anything but the secret itself.
type redactor struct{ secrets []string }

// newRedactor collects the secrets from the command line and the environment.
func newRedactor(args []string) *redactor {
	r := &redactor{}
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--access-token="); ok {
			r.add(v)
		}
		if a == "--access-token" && i+1 < len(args) {
			r.add(args[i+1])
		}
		for _, w := range strings.FieldsFunc(a, func(c rune) bool { return c == '=' || c == ' ' || c == '"' || c == '\'' }) {
			if looksLikeToken(w) {
				r.add(w)
			}
		}
	}
	for _, env := range []string{"DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN"} {
		r.add(os.Getenv(env))
	}
	return r
}

func looksLikeToken(w string) bool {
	for _, p := range tokenPrefixes {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// add remembers a secret; short values are not secrets worth hiding (and hiding them
// would garble ordinary words).
func (r *redactor) add(s string) {
	if len(s) >= 8 && !strings.HasPrefix(s, "-") {
		r.secrets = append(r.secrets, s)
	}
}

// redact replaces every secret in s.
func (r *redactor) redact(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "[redacted token]")
	}
	return s
}

// writer wraps w so that what is written through it is redacted.
func (r *redactor) writer(w io.Writer) io.Writer {
	if len(r.secrets) == 0 {
		return w
	}
	return redactingWriter{w: w, r: r}
}

type redactingWriter struct {
	w io.Writer
	r *redactor
}

// rawWriter is the stream under a redacting writer: whether it is a terminal, and its
// size, are the stream's (the cockpit draws on it; it never holds the token).
func rawWriter(w io.Writer) io.Writer {
	if rw, ok := w.(redactingWriter); ok {
		return rw.w
	}
	return w
}

func (rw redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// checkFlagValues refuses a flag given no value: an empty one (--ssh-key ""), or the
// next flag taken as its value, as happens when an unset variable vanishes from a
// command line (--api-url $EMPTY --access-token ...).
func checkFlagValues(root *cobra.Command, args []string) error {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		cmd = root
	}
	flags := cmd.Flags()
	flags.AddFlagSet(cmd.InheritedFlags())
	for i, a := range args {
		if a == "--" {
			return nil
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") || name == "" {
			continue
		}
		f := flags.Lookup(name)
		if f == nil || f.Value.Type() == "bool" {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				continue // cobra says the flag needs an argument
			}
			value = args[i+1]
		}
		if err := checkFlagValue(f, value); err != nil {
			return err
		}
	}
	return nil
}

func checkFlagValue(f *pflag.Flag, value string) error {
	switch {
	case value == "":
		return usageError("--%s was given an empty value: give it one, or leave the flag out", f.Name)
	case strings.HasPrefix(value, "--"):
		return usageError("--%s has no value: it would take the next flag (%s) as one; is a variable on the command line empty?", f.Name, flagName(value))
	}
	return nil
}

// flagName is the flag in an argument, without its value.
func flagName(arg string) string {
	name, _, _ := strings.Cut(arg, "=")
	return fmt.Sprintf("%.40s", name)
}
