package dosimtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// fetch GETs path from the simulator and returns the request, response and body.
func fetch(t *testing.T, env *dosimtest.Env, path string) (*http.Request, *http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, env.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+env.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return req, resp, body
}

// TestValidateCatchesMismatch proves the validator can fail: a real droplet passes, and
// the same droplet with its id as a string does not.
func TestValidateCatchesMismatch(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{HealthPort: -1})
	list, _, err := env.Client.Droplets.List(context.Background(), &godo.ListOptions{PerPage: 1})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v", err)
	}
	id := strconv.Itoa(list[0].ID)
	req, resp, body := fetch(t, env, "/v2/droplets/"+id)
	router := dosimtest.Router(t, env.URL)
	if err := dosimtest.Validate(router, req, nil, resp, body); err != nil {
		t.Fatalf("a genuine droplet fails validation: %v", err)
	}
	var root map[string]map[string]any
	if err := json.Unmarshal(body, &root); err != nil {
		t.Fatal(err)
	}
	root["droplet"]["id"] = id
	bad, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	verr := dosimtest.Validate(router, req, nil, resp, bad)
	if verr == nil || !strings.Contains(verr.Error(), "id") {
		t.Fatalf("a droplet whose id is a string passed validation (%v)", verr)
	}
	delete(root["droplet"], "networks")
	bad, _ = json.Marshal(root)
	if dosimtest.Validate(router, req, nil, resp, bad) == nil {
		t.Error("a droplet without networks passed validation")
	}
}

// TestValidateErrors checks error answers: DigitalOcean's envelope passes, a bare string
// does not, and an unknown route's 404 is not checked.
func TestValidateErrors(t *testing.T) {
	env := dosimtest.Start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	router := dosimtest.Router(t, env.URL)
	req, resp, body := fetch(t, env, "/v2/droplets/1")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /v2/droplets/1: %d", resp.StatusCode)
	}
	if err := dosimtest.Validate(router, req, nil, resp, body); err != nil {
		t.Errorf("the simulator's 404 fails validation: %v", err)
	}
	if dosimtest.Validate(router, req, nil, resp, []byte(`"not found"`)) == nil {
		t.Error("a 404 whose body is a string passed validation")
	}
	req, resp, body = fetch(t, env, "/v2/nowhere")
	if err := dosimtest.Validate(router, req, nil, resp, body); err != nil {
		t.Errorf("an unknown route's 404: %v", err)
	}
	resp.StatusCode = http.StatusOK
	if dosimtest.Validate(router, req, nil, resp, body) == nil {
		t.Error("a 200 on a route the description does not have passed validation")
	}
}

// TestClientCountsValidations checks that the client of Start validates what it receives.
func TestClientCountsValidations(t *testing.T) {
	if !dosimtest.HaveSpec(t) {
		t.Skip("no OpenAPI description: nothing is validated")
	}
	env := dosimtest.Start(t, dosim.Config{Seed: "empty", HealthPort: -1})
	for range 3 {
		if _, _, err := env.Client.Droplets.List(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := env.Validated.Get(); n != 3 {
		t.Errorf("validated %d responses, want 3", n)
	}
}
