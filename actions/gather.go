package actions

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/fleet"
)

// Gather reads from the API what the planner needs besides the selection: the account's
// droplet limit and count, load balancers, reserved IPs and the rate budget.
func Gather(ctx context.Context, c *godo.Client, selection string, servers []fleet.Server, target fleet.Version, st Strategy) (PlanInput, error) {
	a := readOnly(c)
	in := PlanInput{Selection: selection, Servers: servers, Target: target, Strategy: st}
	var err error
	if in.Servers, err = markPoolMembers(ctx, c, servers); err != nil { // never fight a pool
		return in, err
	}
	if in.Account, in.Owner, err = a.account(ctx); err != nil {
		return in, err
	}
	if st.LB == HandoverAuto {
		if in.LBs, err = a.loadBalancers(ctx); err != nil {
			return in, err
		}
	}
	if st.ReservedIP == HandoverAuto {
		if in.ReservedIPs, err = a.reservedIPs(ctx); err != nil {
			return in, err
		}
	}
	rate := c.GetRate() // under godo's lock: other goroutines use the client meanwhile
	in.Rate = RateBudget{Limit: rate.Limit, Remaining: rate.Remaining, PerMinute: 250}
	return in, nil
}

// account reads the droplet limit and count, and which account this is.
func (a *api) account(ctx context.Context) (Account, *fleet.Account, error) {
	acct, err := a.godoAccount(ctx)
	if err != nil {
		return Account{}, nil, err
	}
	ref := fleet.AccountOf(a.c, acct)
	var total int
	err = a.call(ctx, read, func(c context.Context) (*godo.Response, error) {
		_, resp, err := a.c.Droplets.List(c, &godo.ListOptions{PerPage: 1})
		if err == nil && resp.Meta != nil {
			total = resp.Meta.Total
		}
		return resp, err
	})
	if err != nil {
		return Account{}, nil, fmt.Errorf("count the account's droplets: %w", err)
	}
	return Account{DropletLimit: acct.DropletLimit, Droplets: total}, &ref, nil
}

func (a *api) loadBalancers(ctx context.Context) ([]LB, error) {
	var out []LB
	opt := &godo.ListOptions{Page: 1, PerPage: 200}
	for {
		var page []godo.LoadBalancer
		var resp *godo.Response
		err := a.call(ctx, read, func(c context.Context) (*godo.Response, error) {
			var err error
			page, resp, err = a.c.LoadBalancers.List(c, opt)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("list load balancers: %w", err)
		}
		for _, lb := range page {
			x := LB{ID: lb.ID, Name: lb.Name, Tag: lb.Tag, DropletIDs: lb.DropletIDs}
			if lb.Region != nil {
				x.Region = lb.Region.Slug
			}
			out = append(out, x)
		}
		if resp.Links == nil || resp.Links.IsLastPage() {
			return out, nil
		}
		opt.Page++
	}
}

func (a *api) reservedIPs(ctx context.Context) ([]ReservedIP, error) {
	var out []ReservedIP
	opt := &godo.ListOptions{Page: 1, PerPage: 200}
	for {
		var page []godo.ReservedIP
		var resp *godo.Response
		err := a.call(ctx, read, func(c context.Context) (*godo.Response, error) {
			var err error
			page, resp, err = a.c.ReservedIPs.List(c, opt)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("list reserved IPs: %w", err)
		}
		for _, ip := range page {
			x := ReservedIP{IP: ip.IP}
			if ip.Region != nil {
				x.Region = ip.Region.Slug
			}
			if ip.Droplet != nil {
				x.DropletID = ip.Droplet.ID
			}
			out = append(out, x)
		}
		if resp.Links == nil || resp.Links.IsLastPage() {
			return out, nil
		}
		opt.Page++
	}
}

// ResolveImage finds the target image by ID, by name among the account's own images,
// or by a distribution slug.
func ResolveImage(ctx context.Context, c *godo.Client, ref string) (fleet.Version, error) {
	a := readOnly(c)
	if id, err := strconv.Atoi(ref); err == nil {
		var im *godo.Image
		err := a.call(ctx, read, func(c context.Context) (*godo.Response, error) {
			var resp *godo.Response
			var err error
			im, resp, err = a.c.Images.GetByID(c, id)
			return resp, err
		})
		if isStatus(err, 404) {
			return fleet.Version{}, fmt.Errorf("there is no image %d", id)
		}
		if err != nil {
			return fleet.Version{}, fmt.Errorf("read image %d: %w", id, err)
		}
		return fleet.VersionFromImage(im), nil
	}
	return a.imageByName(ctx, ref)
}

func (a *api) imageByName(ctx context.Context, name string) (fleet.Version, error) {
	var matches []godo.Image
	opt := &godo.ListOptions{Page: 1, PerPage: 200}
	for {
		var page []godo.Image
		var resp *godo.Response
		err := a.call(ctx, read, func(c context.Context) (*godo.Response, error) {
			var err error
			page, resp, err = a.c.Images.ListUser(c, opt)
			return resp, err
		})
		if err != nil {
			return fleet.Version{}, fmt.Errorf("list images: %w", err)
		}
		for _, im := range page {
			if im.Name == name || im.Slug == name {
				matches = append(matches, im)
			}
		}
		if resp.Links == nil || resp.Links.IsLastPage() {
			break
		}
		opt.Page++
	}
	switch len(matches) {
	case 0:
		return fleet.Version{}, fmt.Errorf("there is no image named %q among the account's images; give its ID", name)
	case 1:
		return fleet.VersionFromImage(&matches[0]), nil
	}
	var ids []string
	for _, m := range matches {
		ids = append(ids, strconv.Itoa(m.ID))
	}
	return fleet.Version{}, fmt.Errorf("%d images are named %q; give one of their IDs: %s", len(matches), name, strings.Join(ids, ", "))
}
