package dosim

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

var update = flag.Bool("update", false, "rewrite operations.txt from DigitalOcean's OpenAPI description")

// bundledSpec finds DigitalOcean's bundled description as dosimtest does ($MOLT_OPENAPI,
// else ../shared/do-openapi/ beside the repository); dosimtest itself imports this package.
func bundledSpec(t *testing.T) []byte {
	t.Helper()
	p := os.Getenv("MOLT_OPENAPI")
	if p == "" {
		p = filepath.Join("..", "..", "shared", "do-openapi", "DigitalOcean-public.v2.bundled.yaml")
	}
	data, err := os.ReadFile(p)
	if err != nil {
		if os.Getenv("MOLT_REQUIRE_OPENAPI") == "1" {
			t.Fatalf("MOLT_REQUIRE_OPENAPI=1 but the description is missing: %v", err)
		}
		t.Skipf("no OpenAPI description: %v", err)
	}
	return data
}

// operationsOf lists the description's operations as operations.txt holds them.
func operationsOf(t *testing.T, spec []byte) string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `yaml:"operationId"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		t.Fatalf("read the description: %v", err)
	}
	var lines []string
	for p, ops := range doc.Paths {
		for m, op := range ops {
			switch m {
			case "get", "put", "post", "patch", "delete", "head":
				lines = append(lines, strings.ToUpper(m)+" "+p+" "+op.OperationID)
			}
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// TestOperationsTable keeps operations.txt equal to the description's operations
// (go test ./dosim -run TestOperationsTable -update rewrites it).
func TestOperationsTable(t *testing.T) {
	want := operationsOf(t, bundledSpec(t))
	if *update {
		if err := os.WriteFile("operations.txt", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if operationsText != want {
		t.Errorf("operations.txt is out of date with the description: go test ./dosim -run TestOperationsTable -update")
	}
}
