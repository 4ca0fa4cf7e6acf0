package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// noCredentials clears every source of a token, so that molt runs on its simulator.
func noCredentials(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir)
	for _, k := range []string{"DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "DIGITALOCEAN_API_URL"} {
		t.Setenv(k, "")
	}
}

// molt runs the command line and returns its exit code, stdout and stderr.
func molt(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runIO(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// statusJSON is the part of the -o json contract the tests read.
type statusJSON struct {
	Total        int    `json:"total"`
	Target       string `json:"target"`
	VersionsLive int    `json:"versions_live"`
	Versions     []struct {
		Key       string         `json:"key"`
		ImageID   int            `json:"image_id"`
		ImageName string         `json:"image_name"`
		Version   string         `json:"version"`
		Count     int            `json:"count"`
		CreatedAt *time.Time     `json:"created_at"`
		Roles     map[string]int `json:"roles"`
		Regions   map[string]int `json:"regions"`
	} `json:"versions"`
	Stragglers []struct {
		Name string `json:"name"`
	} `json:"stragglers"`
}

func decodeStatus(t *testing.T, out string) statusJSON {
	t.Helper()
	var s statusJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("-o json is not valid JSON: %v\n%s", err, out)
	}
	return s
}

func TestStatusShowsTheDemoFleetWithoutCredentials(t *testing.T) {
	noCredentials(t)
	code, out, errOut := molt(t, "status")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"demo fleet (embedded simulator)", "54 droplets, 14 versions live, oldest image 22.04 (LTS) x64 (914 days)",
		"web-1.5.0", "41 stragglers", "# newest"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("output to a pipe has escape codes:\n%q", out)
	}
	if !strings.Contains(errOut, "no DigitalOcean token found") {
		t.Errorf("stderr does not say the simulator is used: %q", errOut)
	}
}

func TestStatusJSONContract(t *testing.T) {
	noCredentials(t)
	code, out, errOut := molt(t, "status", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	s := decodeStatus(t, out)
	if s.Total != 54 || len(s.Versions) != 14 || s.VersionsLive != 14 || len(s.Stragglers) != 41 {
		t.Fatalf("total %d, %d versions, %d stragglers; want 54, 14, 41 (the demo with its pets and pool)", s.Total, len(s.Versions), len(s.Stragglers))
	}
	sum := 0
	for _, v := range s.Versions {
		if v.ImageID == 0 || v.ImageName == "" || v.CreatedAt == nil || len(v.Roles) == 0 || len(v.Regions) == 0 {
			t.Errorf("version %+v lacks a contract field", v)
		}
		sum += v.Count
	}
	if sum != 54 {
		t.Errorf("version counts add up to %d, want 54", sum)
	}
	for _, key := range []string{`"image_id"`, `"image_name"`, `"count"`, `"created_at"`, `"roles"`, `"regions"`, `"stragglers"`} {
		if !strings.Contains(out, key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestStatusGroupingsAndMarkdown(t *testing.T) {
	noCredentials(t)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--by", "role"}, []string{"NEWEST", "worker-2.2.0", "STRAGGLERS"}},
		{[]string{"--by", "region"}, []string{"REGION", "sfo3", "fra1"}},
		{[]string{"-o", "markdown"}, []string{"| ROLE | VERSION | SERVERS |", "| ---: |", "#### Stragglers (41)", "| web-nyc3-01 | web | nyc3 |"}},
		{[]string{"-o", "markdown", "--by", "role"}, []string{"| ROLE | SERVERS | VERSIONS | NEWEST | STRAGGLERS |", "| web | 21 | 4 | web-1.6.0 | 19 |"}},
	}
	for _, c := range cases {
		code, out, errOut := molt(t, append([]string{"status"}, c.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, errOut)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args, w, out)
			}
		}
	}
}

func TestStatusSelection(t *testing.T) {
	noCredentials(t)
	_, out, _ := molt(t, "status", "-o", "json", "--tag", "role:web", "--region", "nyc3", "--name", "web-nyc3-0*")
	s := decodeStatus(t, out)
	if s.Total == 0 || s.Total >= 21 {
		t.Fatalf("selected %d droplets, want some of web's 21", s.Total)
	}
	for _, v := range s.Versions {
		if v.Regions["nyc3"] != v.Count || v.Roles["web"] != v.Count {
			t.Errorf("version %s has servers outside web in nyc3: %v %v", v.ImageName, v.Roles, v.Regions)
		}
	}
}

func TestStatusUsageErrors(t *testing.T) {
	noCredentials(t)
	for _, args := range [][]string{
		{"status", "--by", "size"},
		{"status", "-o", "yaml"},
		{"status", "--name", "web-["},
		{"status", "--tag", "a b"},
		{"status", "--api-url", "localhost:1", "--access-token", "x"},
		{"status", "--bogus"},
	} {
		code, _, errOut := molt(t, args...)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with one line", args, code, errOut)
		}
	}
}

func TestStatusAgainstAnAPI(t *testing.T) {
	noCredentials(t)
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	t.Setenv("DIGITALOCEAN_ACCESS_TOKEN", env.Token)
	code, out, errOut := molt(t, "status", "-o", "json", "-v", "--api-url", env.URL)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if s := decodeStatus(t, out); s.Total != 48 || s.Target != strings.TrimPrefix(env.URL, "http://") {
		t.Fatalf("total %d, target %q", s.Total, s.Target)
	}
	if !strings.Contains(errOut, "token from DIGITALOCEAN_ACCESS_TOKEN") || strings.Contains(errOut, env.Token) {
		t.Fatalf("-v should name the token's source and never the token: %q", errOut)
	}
}

func TestStatusWrongToken(t *testing.T) {
	noCredentials(t)
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	const bad = "dop_v1_badbadbad"
	t.Setenv("DIGITALOCEAN_ACCESS_TOKEN", bad)
	code, out, errOut := molt(t, "status", "-v", "--api-url", env.URL)
	if code != 1 || out != "" {
		t.Fatalf("exit %d, output %q; want exit 1 and nothing on stdout", code, out)
	}
	last := lastLine(errOut)
	for _, want := range []string{"401 Unauthorized", "DIGITALOCEAN_ACCESS_TOKEN", env.URL} {
		if !strings.Contains(last, want) {
			t.Errorf("error %q lacks %q", last, want)
		}
	}
	if strings.Contains(errOut, bad) {
		t.Errorf("the token leaked: %q", errOut)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestStatusUnreachable(t *testing.T) {
	noCredentials(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	code, _, errOut := molt(t, "status", "--access-token", "x", "--api-url", url)
	if code != 1 || !strings.Contains(errOut, "cannot reach the API at "+url) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q; want exit 1 and one sentence with the URL", code, errOut)
	}
}

func TestStatusDoctlContext(t *testing.T) {
	noCredentials(t)
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	cfg := "access-token: dop_v1_wrong\ncontext: default\nauth-contexts:\n  sim: " + env.Token + "\n"
	dir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "doctl")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := molt(t, "status", "-o", "json", "--context", "sim", "--api-url", env.URL)
	if code != 0 || decodeStatus(t, out).Target != `doctl context "sim" at `+strings.TrimPrefix(env.URL, "http://") {
		t.Fatalf("exit %d: %s %s", code, errOut, out)
	}
	code, _, errOut = molt(t, "status", "--api-url", env.URL)
	if code != 1 || !strings.Contains(errOut, `doctl context "default"`) || !strings.Contains(errOut, "401") {
		t.Fatalf("exit %d, stderr %q; want a 401 naming doctl's default context", code, errOut)
	}
}

func TestStatusVersionTag(t *testing.T) {
	noCredentials(t)
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	ctx := t.Context()
	ds, _, err := env.Client.Droplets.ListByTag(ctx, "role:web", &godo.ListOptions{PerPage: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Client.Tags.Create(ctx, &godo.TagCreateRequest{Name: "version:9-9-9"}); err != nil {
		t.Fatal(err)
	}
	var res []godo.Resource
	for _, d := range ds[:3] {
		res = append(res, godo.Resource{ID: strconv.Itoa(d.ID), Type: godo.DropletResourceType})
	}
	if _, err := env.Client.Tags.TagResources(ctx, "version:9-9-9", &godo.TagResourcesRequest{Resources: res}); err != nil {
		t.Fatal(err)
	}
	_, out, errOut := molt(t, "status", "-o", "json", "--version-tag", "version", "--access-token", env.Token, "--api-url", env.URL)
	s := decodeStatus(t, out)
	// Web's releases come after edge's; the tagged one is web's newest by semver.
	for _, v := range s.Versions {
		if v.Roles["web"] > 0 {
			if v.Key != "tag:9-9-9" || v.Version != "9.9.9" || v.Count != 3 {
				t.Fatalf("web's first version %+v, want tag:9-9-9 (9.9.9) on 3 servers (stderr %q)", v, errOut)
			}
			return
		}
	}
	t.Fatal("no web version")
}

// rateGate answers two requests the way DigitalOcean answers a client over its burst
// limit (429, retry-after 1), then passes everything to the simulator.
type rateGate struct {
	sim   http.Handler
	mu    sync.Mutex
	limit int
}

func (g *rateGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	limited := g.limit > 0
	g.limit--
	g.mu.Unlock()
	if !limited {
		g.sim.ServeHTTP(w, r)
		return
	}
	w.Header().Set("ratelimit-limit", "5000")
	w.Header().Set("ratelimit-remaining", "0")
	w.Header().Set("ratelimit-reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	w.Header().Set("retry-after", "1")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(`{"id":"too_many_requests","message":"API Rate limit exceeded."}`))
}

func TestStatusSaysWhenRateLimited(t *testing.T) {
	noCredentials(t)
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	srv := httptest.NewServer(&rateGate{sim: env.Sim, limit: 2})
	t.Cleanup(srv.Close)
	code, out, errOut := molt(t, "status", "-o", "json", "--access-token", env.Token, "--api-url", srv.URL)
	if code != 0 || decodeStatus(t, out).Total != 48 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "rate limited by the API; waiting 1s") {
		t.Fatalf("stderr %q does not say it waited", errOut)
	}
}

func TestSimKeepsItsOwnVerboseFlag(t *testing.T) {
	if code, out, _ := molt(t, "sim", "--help"); code != 0 || !strings.Contains(out, "log one line per request") {
		t.Fatalf("molt sim --help: exit %d\n%s", code, out)
	}
}
