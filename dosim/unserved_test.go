package dosim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/molt-sh/molt/dosim/dosimtest"
)

// call sends one request through the validating godo client and returns its status,
// the error's id and message (empty on success) and the Allow header.
func call(t *testing.T, env *dosimtest.Env, method, path string, body any) (int, string, string, string) {
	t.Helper()
	req, err := env.Client.NewRequest(context.Background(), method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := env.Client.Do(context.Background(), req, nil)
	if resp == nil {
		t.Fatalf("%s %s: no response: %v", method, path, err)
	}
	id, msg := "", ""
	if err != nil {
		er := apiError(t, err)
		msg = er.Message
		_, body := raw(t, env, method, path, "", body)
		id = errorID(t, body)
	}
	return resp.StatusCode, id, msg, resp.Header.Get("Allow")
}

// TestUnservedOperations pins what a client sees of the operations the simulator does not
// serve: only paths DigitalOcean does not know answer 404.
func TestUnservedOperations(t *testing.T) {
	t.Parallel()
	env := startDemo(t)
	cases := []struct {
		method, path string
		status       int
		id, mention  string
	}{
		{"DELETE", "/v2/load_balancers/4de7ac8b-495b-4884-9a69-1050c6793c00/cache", 501, "not_implemented", "loadBalancers_delete_cache"},
		{"GET", "/v2/droplets/1/neighbors", 501, "not_implemented", "droplets_list_neighbors"},
		{"POST", "/v2/images/1/account_transfer", 501, "not_implemented", "images_post_account_transfer_create"},
		{"GET", "/v2/apps", 501, "not_implemented", "apps_list"},
		{"PATCH", "/v2/droplets/1", 405, "method_not_allowed", "allows DELETE, GET"},
		{"GET", "/v2/droplets/actions", 405, "method_not_allowed", "allows POST"},
		{"GET", "/v2/nowhere", 404, "not_found", "could not be found"},
		{"GET", "/v2/droplets/abc", 404, "not_found", "could not be found"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			status, id, msg, allow := call(t, env, c.method, c.path, nil)
			if status != c.status || id != c.id || !strings.Contains(msg, c.mention) {
				t.Errorf("got %d %s %q, want %d %s mentioning %q", status, id, msg, c.status, c.id, c.mention)
			}
			if (status == http.StatusMethodNotAllowed) != (allow != "") {
				t.Errorf("Allow header %q on a %d", allow, status)
			}
		})
	}
}

// errorID reads the id of DigitalOcean's error envelope, which godo does not decode.
func errorID(t *testing.T, body []byte) string {
	t.Helper()
	var eb struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return eb.ID
}
