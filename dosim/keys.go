package dosim

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

func init() {
	resourceRegistrars = append(resourceRegistrars, func(s *Sim, api func(string, handler)) {
		api("GET /v2/account/keys", s.listKeys)
		api("POST /v2/account/keys", s.createKey)
		api("GET /v2/account/keys/{key}", s.getKey)
		api("PUT /v2/account/keys/{key}", s.updateKey)
		api("DELETE /v2/account/keys/{key}", s.deleteKey)
	})
}

// SSHKey is a public key the account can install on droplets.
type SSHKey struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	PublicKey   string `json:"public_key"`
	Fingerprint string `json:"fingerprint"`
}

// sshKeyTypes are the key types DigitalOcean accepts.
var sshKeyTypes = []string{"ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"}

// fingerprint is the MD5 fingerprint DigitalOcean shows for a public key, or "" when
// the text is not an OpenSSH public key.
func fingerprint(publicKey string) string {
	f := strings.Fields(publicKey)
	if len(f) < 2 || !hasString(sshKeyTypes, f[0]) {
		return ""
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil || len(blob) < 4 || !strings.Contains(string(blob[:min(len(blob), 64)]), f[0]) {
		return ""
	}
	sum := md5.Sum(blob)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":")
}

// key finds a key by ID or fingerprint, as the API's paths and droplet creates name them.
func (w *world) key(ref string) (*SSHKey, bool) {
	if id, err := strconv.Atoi(ref); err == nil {
		k, ok := w.Keys[id]
		return k, ok
	}
	for _, k := range w.Keys {
		if k.Fingerprint == ref {
			return k, true
		}
	}
	return nil, false
}

// keyRef resolves one entry of a create's ssh_keys: a number, or a string holding an ID
// or a fingerprint.
func (w *world) keyRef(raw json.RawMessage) (*SSHKey, bool) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	switch x := v.(type) {
	case float64:
		k, ok := w.Keys[int(x)]
		return k, ok
	case string:
		return w.key(x)
	}
	return nil, false
}

func renderKey(k *SSHKey) obj {
	return obj{"id": k.ID, "name": k.Name, "public_key": k.PublicKey, "fingerprint": k.Fingerprint}
}

func (s *Sim) listKeys(r *http.Request, _ *reqInfo) (int, any) {
	list := make([]*SSHKey, 0, len(s.w.Keys))
	for _, k := range s.w.Keys {
		list = append(list, k)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return s.listing(r, "ssh_keys", len(list), func(i int) any { return renderKey(list[i]) })
}

func (s *Sim) getKey(r *http.Request, _ *reqInfo) (int, any) {
	k, ok := s.w.key(r.PathValue("key"))
	if !ok {
		return notFound()
	}
	return http.StatusOK, obj{"ssh_key": renderKey(k)}
}

func (s *Sim) createKey(r *http.Request, _ *reqInfo) (int, any) {
	var req struct {
		Name      string `json:"name"`
		PublicKey string `json:"public_key"`
	}
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	if strings.TrimSpace(req.Name) == "" {
		return unprocessable("Name is required.")
	}
	fp := fingerprint(req.PublicKey)
	if fp == "" {
		return unprocessable("Key invalid, type not supported: give an OpenSSH public key (%s).", strings.Join(sshKeyTypes, ", "))
	}
	if _, taken := s.w.key(fp); taken {
		return unprocessable("SSH Key is already in use on your account")
	}
	k := &SSHKey{ID: s.w.newKeyID(), Name: req.Name, PublicKey: strings.TrimSpace(req.PublicKey), Fingerprint: fp}
	s.w.Keys[k.ID] = k
	return http.StatusCreated, obj{"ssh_key": renderKey(k)}
}

// newKeyID numbers keys apart from droplets and images, as DigitalOcean's are.
func (w *world) newKeyID() int {
	id := 512190
	for _, k := range w.Keys {
		id = max(id, k.ID)
	}
	return id + 1
}

func (s *Sim) updateKey(r *http.Request, _ *reqInfo) (int, any) {
	k, ok := s.w.key(r.PathValue("key"))
	if !ok {
		return notFound()
	}
	var req struct {
		Name *string `json:"name"`
	}
	if err := decode(r, &req); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	if req.Name != nil {
		if strings.TrimSpace(*req.Name) == "" {
			return unprocessable("Name can not be blank.")
		}
		k.Name = *req.Name
	}
	return http.StatusOK, obj{"ssh_key": renderKey(k)}
}

func (s *Sim) deleteKey(r *http.Request, _ *reqInfo) (int, any) {
	k, ok := s.w.key(r.PathValue("key"))
	if !ok {
		return notFound()
	}
	delete(s.w.Keys, k.ID)
	return http.StatusNoContent, nil
}
