package fleet

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"
)

// DefaultAPIURL is DigitalOcean's API endpoint.
const DefaultAPIURL = "https://api.digitalocean.com"

// Token sources, in the order they are tried.
const (
	SourceFlag     = "--access-token"
	SourceEnv      = "DIGITALOCEAN_ACCESS_TOKEN"
	SourceEnvShort = "DIGITALOCEAN_TOKEN"
)

// Secret is an API token. It prints, formats and marshals as "[redacted]" so that it
// cannot reach output, logs or errors by accident; Reveal gives the token itself.
type Secret string

const redacted = "[redacted]"

// String hides the token.
func (s Secret) String() string { return redacted }

// GoString hides the token from %#v.
func (s Secret) GoString() string { return redacted }

// MarshalText hides the token from encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Reveal returns the token, for the Authorization header only.
func (s Secret) Reveal() string { return string(s) }

// CredentialOptions are what the operator gave on the command line; the environment and
// doctl's configuration fill in the rest.
type CredentialOptions struct {
	// AccessToken is --access-token.
	AccessToken string
	// Context is --context: a doctl authentication context. Given explicitly, it is
	// preferred to the environment's token, as doctl does.
	Context string
	// APIURL is --api-url.
	APIURL string
	// Getenv reads the environment (default os.Getenv).
	Getenv func(string) string
	// ConfigDir finds the user's configuration directory (default os.UserConfigDir).
	ConfigDir func() (string, error)
}

// Credentials say which account and endpoint to talk to. With no token, callers run on
// the embedded simulator instead.
type Credentials struct {
	// Token is the API token; empty when none was found.
	Token Secret
	// Source says where the token came from: "--access-token", an environment variable,
	// or a doctl context and its file.
	Source string
	// Context is the doctl context the token came from, if it did.
	Context string
	// APIURL is the API endpoint; empty means DigitalOcean's.
	APIURL string
	// APIURLSource says where APIURL came from.
	APIURLSource string
}

// HasToken reports whether a token was found.
func (c Credentials) HasToken() bool { return c.Token != "" }

// Endpoint is the API URL requests go to.
func (c Credentials) Endpoint() string {
	if c.APIURL == "" {
		return DefaultAPIURL
	}
	return c.APIURL
}

// ResolveCredentials finds the token and endpoint: --access-token, then
// DIGITALOCEAN_ACCESS_TOKEN, then DIGITALOCEAN_TOKEN, then doctl's current (or --context)
// authentication context; and the endpoint from --api-url, DIGITALOCEAN_API_URL or doctl's
// api-url. It only reads doctl's file. Finding no token is not an error.
func ResolveCredentials(opt CredentialOptions) (Credentials, error) {
	if opt.Getenv == nil {
		opt.Getenv = os.Getenv
	}
	if opt.ConfigDir == nil {
		opt.ConfigDir = os.UserConfigDir
	}
	c, doctlURL, err := resolveToken(opt)
	if err != nil {
		return Credentials{}, err
	}
	switch {
	case opt.APIURL != "":
		c.APIURL, c.APIURLSource = opt.APIURL, "--api-url"
	case opt.Getenv("DIGITALOCEAN_API_URL") != "":
		c.APIURL, c.APIURLSource = opt.Getenv("DIGITALOCEAN_API_URL"), "DIGITALOCEAN_API_URL"
	case doctlURL != "":
		c.APIURL, c.APIURLSource = doctlURL, "doctl's api-url"
	}
	if c.APIURL != "" {
		if err := checkAPIURL(c.APIURL); err != nil {
			return Credentials{}, fmt.Errorf("%s: %w", c.APIURLSource, err)
		}
		c.APIURL = strings.TrimRight(c.APIURL, "/")
	}
	return c, nil
}

func resolveToken(opt CredentialOptions) (Credentials, string, error) {
	if t := cleanToken(opt.AccessToken); t != "" {
		return Credentials{Token: Secret(t), Source: SourceFlag}, "", nil
	}
	if opt.Context == "" {
		for _, name := range []string{SourceEnv, SourceEnvShort} {
			if t := cleanToken(opt.Getenv(name)); t != "" {
				return Credentials{Token: Secret(t), Source: name}, "", nil
			}
		}
	}
	return fromDoctl(opt)
}

// cleanToken trims what copying a token tends to add: spaces and quotes.
func cleanToken(t string) string {
	return strings.Trim(strings.TrimSpace(t), `'"`)
}

// ErrInvalidAPIURL is an API endpoint that is not an http or https URL.
var ErrInvalidAPIURL = errors.New("not an http or https URL")

func checkAPIURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is %w", raw, ErrInvalidAPIURL)
	}
	return nil
}

// doctlConfig is the part of doctl's config.yaml molt reads.
type doctlConfig struct {
	AccessToken  string            `yaml:"access-token"`
	Context      string            `yaml:"context"`
	AuthContexts map[string]string `yaml:"auth-contexts"`
	APIURL       string            `yaml:"api-url"`
}

// DoctlConfigPath is where doctl keeps its configuration.
func DoctlConfigPath(configDir func() (string, error)) (string, error) {
	dir, err := configDir()
	if err != nil {
		return "", fmt.Errorf("find the user configuration directory: %w", err)
	}
	return filepath.Join(dir, "doctl", "config.yaml"), nil
}

// fromDoctl reads the token of the chosen or current doctl context. A missing file means
// no token, unless a context was asked for.
func fromDoctl(opt CredentialOptions) (Credentials, string, error) {
	path, err := DoctlConfigPath(opt.ConfigDir)
	if err != nil {
		return Credentials{}, "", err
	}
	cfg, err := readDoctlConfig(path)
	if errors.Is(err, fs.ErrNotExist) && opt.Context == "" {
		return Credentials{}, "", nil
	}
	if err != nil {
		return Credentials{}, "", err
	}
	name := strings.ToLower(opt.Context)
	if name == "" {
		name = strings.ToLower(cfg.Context)
	}
	if name == "" {
		name = "default"
	}
	tok, err := cfg.token(name, path, opt.Context != "")
	if err != nil || tok == "" {
		return Credentials{}, "", err
	}
	src := fmt.Sprintf("doctl context %q (%s)", name, path)
	return Credentials{Token: Secret(tok), Source: src, Context: name}, cfg.APIURL, nil
}

// readDoctlConfig parses the file without ever quoting it: a YAML error could hold a token.
func readDoctlConfig(path string) (doctlConfig, error) {
	var cfg doctlConfig
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return cfg, fmt.Errorf("doctl's configuration %s does not exist: %w", path, fs.ErrNotExist)
		}
		return cfg, fmt.Errorf("read doctl's configuration: %w", err)
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("doctl's configuration %s is not valid YAML", path)
	}
	return cfg, nil
}

// token finds the context's token; asked says the operator named the context, which
// must then exist.
func (c doctlConfig) token(name, path string, asked bool) (string, error) {
	if name == "default" {
		return cleanToken(c.AccessToken), nil
	}
	for k, v := range c.AuthContexts {
		if strings.ToLower(k) == name {
			return cleanToken(v), nil
		}
	}
	have := []string{"default"}
	for k := range c.AuthContexts {
		have = append(have, strings.ToLower(k))
	}
	slices.Sort(have)
	how := "the current doctl context"
	if asked {
		how = "doctl context"
	}
	return "", fmt.Errorf("%s %q is not in %s (it has %s)", how, name, path, strings.Join(have, ", "))
}
