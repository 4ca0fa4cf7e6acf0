package main

import (
	"os/exec"
	"strings"
	"testing"
)

// goList runs `go list` with format on pkg and returns the words it prints.
func goList(t *testing.T, format, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", format, pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// The imports point one way (docs/architecture.md): the engine and the inventory know
// nothing of the terminal, the UI calls no API itself, and the simulator stands alone.
func TestImportsPointOneWay(t *testing.T) {
	const mod = "github.com/molt-sh/molt/"
	cases := []struct {
		pkg, format string
		banned      []string
	}{
		{"./fleet", "{{join .Deps \" \"}}", []string{"charm.land/", "github.com/charmbracelet/", mod + "ui", mod + "actions"}},
		{"./actions", "{{join .Deps \" \"}}", []string{"charm.land/", "github.com/charmbracelet/", mod + "ui", mod + "internal/"}},
		{"./ui", "{{join .Imports \" \"}}", []string{"github.com/digitalocean/godo", mod + "internal/", mod + "serve", mod + "dosim"}},
		{"./dosim", "{{join .Deps \" \"}}", []string{mod + "fleet", mod + "actions", mod + "ui", "github.com/digitalocean/godo"}},
		{"./serve", "{{join .Imports \" \"}}", []string{mod + "internal/cli", "github.com/digitalocean/godo"}},
	}
	for _, c := range cases {
		for _, dep := range goList(t, c.format, c.pkg) {
			for _, b := range c.banned {
				if strings.HasPrefix(dep, b) {
					t.Errorf("%s depends on %s", c.pkg, dep)
				}
			}
		}
	}
}
