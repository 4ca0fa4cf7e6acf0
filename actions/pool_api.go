package actions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/fleet"
)

// The pool's own requests go through godo's client (its base URL, auth, rate limits and
// error decoding) with a body molt keeps whole: godo's template type has no name, and an
// update without it would rename every member the pool makes from then on, and make a
// restored template differ from the one its members were made from.

// poolWire is a pool as the API sends it, its template and config kept as they came.
type poolWire struct {
	ID       string                     `json:"id"`
	Name     string                     `json:"name"`
	Status   string                     `json:"status"`
	Config   json.RawMessage            `json:"config"`
	Template map[string]json.RawMessage `json:"droplet_template"`
}

func poolPath(id string) string { return "v2/droplets/autoscale/" + url.PathEscape(id) }

// getPool reads a pool, whole.
func (a *api) getPool(ctx context.Context, id string) (poolWire, error) {
	var root struct {
		Pool poolWire `json:"autoscale_pool"`
	}
	err := a.call(ctx, read, func(c context.Context) (*godo.Response, error) {
		req, err := a.c.NewRequest(c, http.MethodGet, poolPath(id), nil)
		if err != nil {
			return nil, err
		}
		return a.c.Do(c, req, &root)
	})
	if err != nil {
		return poolWire{}, fmt.Errorf("read autoscale pool %s: %w", id, err)
	}
	return root.Pool, nil
}

// putTemplateImage points the pool's template at image (an ID or a slug), keeping the
// rest of the pool as read: one request, for Executor-style journaling around it.
func (a *api) putTemplateImage(ctx context.Context, w poolWire, image string) (*godo.Response, error) {
	tmpl := maps.Clone(w.Template)
	tmpl["image"] = json.RawMessage(strconv.Quote(image))
	body := map[string]any{"name": w.Name, "config": w.Config, "droplet_template": tmpl}
	req, err := a.c.NewRequest(ctx, http.MethodPut, poolPath(w.ID), body)
	if err != nil {
		return nil, err
	}
	return a.c.Do(ctx, req, nil)
}

// templateRef is the template's image as the API names it: an ID or a slug.
func (w poolWire) templateRef() string {
	var v any
	_ = json.Unmarshal(w.Template["image"], &v)
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.Itoa(int(x))
	}
	return ""
}

// templateDigest identifies the template but its image; the user data counts by its
// hash, so that the digest, which is journaled, holds no secret.
func (w poolWire) templateDigest() string {
	m := maps.Clone(w.Template)
	delete(m, "image")
	if ud, ok := m["user_data"]; ok {
		sum := sha256.Sum256(ud)
		m["user_data"] = json.RawMessage(strconv.Quote(hex.EncodeToString(sum[:])))
	}
	b, _ := json.Marshal(m) // keys sorted, raw values compacted
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// GatherPool reads what NewPoolPlan needs: the pool named name, its template as the
// API has it, its members as droplets, load balancers and the pool's last change. A
// minute of the pool's timings lasts minute (0: a minute; a simulator's can be shorter).
func GatherPool(ctx context.Context, c *godo.Client, name string, target fleet.Version, st Strategy, minute time.Duration) (PoolPlanInput, error) {
	a := readOnly(c)
	in := PoolPlanInput{Target: target, Strategy: st, Now: time.Now(), Minute: minute}
	owner, err := a.accountRef(ctx)
	if err != nil {
		return in, err
	}
	in.Owner = &owner
	pools, err := fleet.ReadPools(ctx, c)
	if err != nil {
		return in, err
	}
	i := slices.IndexFunc(pools, func(p fleet.Pool) bool { return p.Name == name })
	if i < 0 {
		return in, fmt.Errorf("there is no autoscale pool named %q%s", name, poolNames(pools))
	}
	in.Pool = pools[i]
	w, err := a.getPool(ctx, in.Pool.ID)
	if err != nil {
		return in, err
	}
	in.FromRef, in.TemplateDigest = w.templateRef(), w.templateDigest()
	if in.Servers, err = a.memberServers(ctx, in.Pool); err != nil {
		return in, err
	}
	if in.LBs, err = a.loadBalancers(ctx); err != nil {
		return in, err
	}
	head, err := a.historyHead(ctx, in.Pool.ID)
	if err != nil {
		return in, err
	}
	if head != nil {
		in.LastChange = head.UpdatedAt
		if head.Status == "in_progress" {
			in.Changing = strings.ToLower(strings.ReplaceAll(head.Reason, "_", " ")) + " in progress"
		}
	}
	return in, nil
}

func poolNames(pools []fleet.Pool) string {
	if len(pools) == 0 {
		return ": the account has none"
	}
	names := make([]string, len(pools))
	for i, p := range pools {
		names[i] = p.Name
	}
	return " (the account has " + strings.Join(names, ", ") + ")"
}

// memberServers reads the pool's members as droplets: by the template's first tag, which
// every member carries, and one by one for any that listing missed.
func (a *api) memberServers(ctx context.Context, p fleet.Pool) ([]fleet.Server, error) {
	byID := map[int]fleet.Server{}
	if len(p.Tags) > 0 {
		list, err := a.listByTag(ctx, p.Tags[0])
		if err != nil {
			return nil, err
		}
		for i := range list {
			if p.HasMember(list[i].ID) {
				byID[list[i].ID] = fleet.ServerFromDroplet(&list[i])
			}
		}
	}
	var out []fleet.Server
	for _, m := range p.Members {
		s, ok := byID[m.DropletID]
		if !ok {
			d, err := a.getDroplet(ctx, m.DropletID)
			if err != nil {
				return nil, err
			}
			if d == nil {
				continue // gone since the pool listed it
			}
			s = fleet.ServerFromDroplet(d)
		}
		out = append(out, s)
	}
	return out, nil
}

// getDroplet reads a droplet; nil when it is gone.
func (a *api) getDroplet(ctx context.Context, id int) (*godo.Droplet, error) {
	var d *godo.Droplet
	err := a.call(ctx, read, func(c context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		d, resp, err = a.c.Droplets.Get(c, id)
		return resp, err
	})
	if isStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read droplet %d: %w", id, err)
	}
	return d, nil
}

// historyHead is the pool's newest history event, or nil when it has none.
func (a *api) historyHead(ctx context.Context, id string) (*godo.DropletAutoscaleHistoryEvent, error) {
	var page []*godo.DropletAutoscaleHistoryEvent
	err := a.call(ctx, read, func(c context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		page, resp, err = a.c.DropletAutoscale.ListHistory(c, id, &godo.ListOptions{Page: 1, PerPage: 1})
		return resp, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the history of autoscale pool %s: %w", id, err)
	}
	if len(page) == 0 {
		return nil, nil
	}
	return page[0], nil
}

// poolMembers lists the pool's members.
func (a *api) poolMembers(ctx context.Context, id string) ([]fleet.PoolMember, error) {
	var out []fleet.PoolMember
	opt := &godo.ListOptions{Page: 1, PerPage: 200}
	for {
		var page []*godo.DropletAutoscaleResource
		var resp *godo.Response
		err := a.call(ctx, read, func(c context.Context) (*godo.Response, error) {
			var err error
			page, resp, err = a.c.DropletAutoscale.ListMembers(c, id, opt)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("list the members of autoscale pool %s: %w", id, err)
		}
		for _, m := range page {
			out = append(out, fleet.PoolMember{DropletID: int(m.DropletID), Status: m.Status, Health: m.HealthStatus})
		}
		if resp == nil || resp.Links == nil || resp.Links.IsLastPage() {
			return out, nil
		}
		opt.Page++
	}
}
