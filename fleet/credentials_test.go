package fleet_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

const (
	tokDefault = "dop_v1_default000000000000000000000000000000000000000000000000000000"
	tokProd    = "dop_v1_prod0000000000000000000000000000000000000000000000000000000000"
	tokStaging = "dop_v1_staging00000000000000000000000000000000000000000000000000000"
	tokEnv     = "dop_v1_env0000000000000000000000000000000000000000000000000000000000"
)

// doctlHome points os.UserConfigDir at a temporary directory holding doctl's config.yaml
// (skipped when config is empty) and clears the token variables. It returns the file's path.
func doctlHome(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir)
	for _, k := range []string{"DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "DIGITALOCEAN_API_URL"} {
		t.Setenv(k, "")
	}
	path := filepath.Join(dir, "doctl", "config.yaml")
	if config == "" {
		return path
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func doctlConfig(current, apiURL string) string {
	return fmt.Sprintf(`access-token: %s
auth-contexts:
  prod: %s
  Staging: "%s"
context: %s
api-url: %s
output: text
`, tokDefault, tokProd, tokStaging, current, apiURL)
}

func TestCredentialsFromDoctlContexts(t *testing.T) {
	cases := []struct {
		name, current, flagContext, wantToken, wantContext string
	}{
		{"current context", "prod", "", tokProd, "prod"},
		{"default context", "default", "", tokDefault, "default"},
		{"no current context means default", "", "", tokDefault, "default"},
		{"--context picks one", "prod", "staging", tokStaging, "staging"},
		{"--context ignores case, as doctl", "prod", "STAGING", tokStaging, "staging"},
		{"--context default", "prod", "default", tokDefault, "default"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := doctlHome(t, doctlConfig(c.current, ""))
			creds, err := fleet.ResolveCredentials(fleet.CredentialOptions{Context: c.flagContext})
			if err != nil {
				t.Fatal(err)
			}
			if creds.Token.Reveal() != c.wantToken || creds.Context != c.wantContext {
				t.Fatalf("got context %q, want %q with its token", creds.Context, c.wantContext)
			}
			if want := fmt.Sprintf("doctl context %q (%s)", c.wantContext, path); creds.Source != want {
				t.Fatalf("source = %q, want %q", creds.Source, want)
			}
		})
	}
}

func TestCredentialsPrecedence(t *testing.T) {
	doctlHome(t, doctlConfig("prod", ""))
	t.Setenv("DIGITALOCEAN_TOKEN", "dop_v1_short")
	creds := mustResolve(t, fleet.CredentialOptions{})
	if creds.Source != "DIGITALOCEAN_TOKEN" {
		t.Fatalf("source = %q, want DIGITALOCEAN_TOKEN over doctl's", creds.Source)
	}
	t.Setenv("DIGITALOCEAN_ACCESS_TOKEN", " '"+tokEnv+"'\n")
	creds = mustResolve(t, fleet.CredentialOptions{})
	if creds.Source != "DIGITALOCEAN_ACCESS_TOKEN" || creds.Token.Reveal() != tokEnv {
		t.Fatalf("source = %q, want DIGITALOCEAN_ACCESS_TOKEN, trimmed", creds.Source)
	}
	creds = mustResolve(t, fleet.CredentialOptions{Context: "staging"})
	if creds.Token.Reveal() != tokStaging {
		t.Fatalf("an explicit --context should win over the environment, got %q", creds.Source)
	}
	creds = mustResolve(t, fleet.CredentialOptions{AccessToken: "dop_v1_flag", Context: "staging"})
	if creds.Source != "--access-token" || creds.Token.Reveal() != "dop_v1_flag" {
		t.Fatalf("--access-token should win over everything, got %q", creds.Source)
	}
}

func mustResolve(t *testing.T, opt fleet.CredentialOptions) fleet.Credentials {
	t.Helper()
	creds, err := fleet.ResolveCredentials(opt)
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

func TestCredentialsNoneFound(t *testing.T) {
	doctlHome(t, "")
	creds := mustResolve(t, fleet.CredentialOptions{})
	if creds.HasToken() || creds.Endpoint() != fleet.DefaultAPIURL {
		t.Fatalf("got %+v, want no token (the simulator runs instead)", creds)
	}
	doctlHome(t, "output: text\n") // doctl installed but never logged in
	if creds := mustResolve(t, fleet.CredentialOptions{}); creds.HasToken() {
		t.Fatalf("got a token from an empty doctl config: %+v", creds)
	}
}

func TestCredentialsErrorsNeverQuoteTokens(t *testing.T) {
	path := doctlHome(t, doctlConfig("qa", ""))
	_, err := fleet.ResolveCredentials(fleet.CredentialOptions{})
	if err == nil || !strings.Contains(err.Error(), `"qa" is not in `+path) || !strings.Contains(err.Error(), "default, prod, staging") {
		t.Fatalf("err = %v, want the missing context named with the ones there are", err)
	}
	_, err = fleet.ResolveCredentials(fleet.CredentialOptions{Context: "nope"})
	if err == nil || strings.Contains(err.Error(), "dop_v1") {
		t.Fatalf("err = %v", err)
	}
	doctlHome(t, "access-token: "+tokProd+"\nauth-contexts: [\n")
	_, err = fleet.ResolveCredentials(fleet.CredentialOptions{})
	if err == nil || strings.Contains(err.Error(), tokProd) || !strings.Contains(err.Error(), "not valid YAML") {
		t.Fatalf("err = %v, want a YAML error that does not quote the file", err)
	}
	doctlHome(t, "")
	if _, err := fleet.ResolveCredentials(fleet.CredentialOptions{Context: "prod"}); err == nil {
		t.Fatal("--context without a doctl config should fail")
	}
}

func TestCredentialsAPIURL(t *testing.T) {
	doctlHome(t, doctlConfig("prod", "http://doctl.example:1"))
	if c := mustResolve(t, fleet.CredentialOptions{}); c.APIURL != "http://doctl.example:1" {
		t.Fatalf("api url = %q, want doctl's", c.APIURL)
	}
	t.Setenv("DIGITALOCEAN_API_URL", "http://env.example:2/")
	if c := mustResolve(t, fleet.CredentialOptions{}); c.APIURL != "http://env.example:2" || c.APIURLSource != "DIGITALOCEAN_API_URL" {
		t.Fatalf("api url = %q from %s", c.APIURL, c.APIURLSource)
	}
	if c := mustResolve(t, fleet.CredentialOptions{APIURL: "https://flag.example"}); c.Endpoint() != "https://flag.example" {
		t.Fatalf("api url = %q, want the flag's", c.APIURL)
	}
	if _, err := fleet.ResolveCredentials(fleet.CredentialOptions{APIURL: "localhost:8090"}); err == nil ||
		!strings.Contains(err.Error(), "--api-url") {
		t.Fatalf("err = %v, want --api-url named as not a URL", err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	c := fleet.Credentials{Token: tokProd, Source: "x"}
	b, _ := json.Marshal(c)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", c, c, c, c.Token), string(b)} {
		if strings.Contains(s, "prod000") {
			t.Fatalf("the token printed: %s", s)
		}
	}
}

func TestDoctlContextAgainstTheSimulator(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1, Token: tokProd})
	doctlHome(t, doctlConfig("prod", env.URL))
	for _, c := range []struct {
		context string
		ok      bool
	}{{"", true}, {"staging", false}} {
		creds := mustResolve(t, fleet.CredentialOptions{Context: c.context})
		client, err := fleet.NewClient(creds, fleet.ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		servers, err := fleet.Load(t.Context(), client, fleet.LoadOptions{})
		if c.ok && (err != nil || len(servers) != 48) {
			t.Fatalf("context %q: %d servers, %v", creds.Context, len(servers), err)
		}
		if !c.ok {
			msg := fleet.Explain(err, creds).Error()
			if !strings.Contains(msg, `doctl context "staging"`) || !strings.Contains(msg, "401") || strings.Contains(msg, tokStaging) {
				t.Fatalf("context staging: %q, want a 401 naming the context", msg)
			}
		}
	}
}
