package ui

import (
	"context"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/fleet"
)

// imagesMsg carries the account's private images, read for the fleet screen (the stage
// reads its own, as imagesLoadedMsg).
type imagesMsg struct {
	images []fleet.Version
	err    error
}

// loadAccountImages reads the account's images in the background, to know each role's
// newest image whether or not a server runs it yet.
func loadAccountImages(ctx context.Context, images func(context.Context) ([]fleet.Version, error)) tea.Cmd {
	if images == nil {
		return nil
	}
	return func() tea.Msg {
		list, err := images(ctx)
		return imagesMsg{images: list, err: err}
	}
}

// madeFor reports whether an image was made for role: by its role tag, or its name.
func madeFor(v fleet.Version, role string) bool {
	return slices.Contains(v.Tags, fleet.DefaultRolePrefix+role) || strings.HasPrefix(v.Name, role+"-")
}

// newerImage is the role's newest image in the account when no server of the role runs
// it: the usual target of its next rollout. ok is false when the newest runs already, or
// nothing is known.
func (c *common) newerImage(rs *fleet.RoleSpread) (fleet.Version, bool) {
	if rs == nil || rs.Newest == nil {
		return fleet.Version{}, false
	}
	var newest *fleet.Version
	for i, v := range c.images {
		if madeFor(v, rs.Role) && (v.Status == "" || v.Status == "available") && (newest == nil || newerThan(v, *newest)) {
			newest = &c.images[i]
		}
	}
	if newest == nil || !newerThan(*newest, rs.Newest.Image) {
		return fleet.Version{}, false
	}
	return *newest, true
}

// newerThan orders images by semantic version when both have one, else by age.
func newerThan(a, b fleet.Version) bool {
	if a.Semver != nil && b.Semver != nil {
		if c := a.Semver.Compare(*b.Semver); c != 0 {
			return c > 0
		}
	}
	return a.CreatedAt.After(b.CreatedAt)
}

// behind counts the role's servers that do not run its newest image: all of them when
// the newest runs nowhere yet.
func (c *common) behind(rs *fleet.RoleSpread) int {
	if _, ok := c.newerImage(rs); ok {
		return rs.Count
	}
	return rs.Stragglers
}

// newestLabel names the role's newest: its newest image when no server runs it yet, else
// its newest release.
func (c *common) newestLabel(rs *fleet.RoleSpread) string {
	if img, ok := c.newerImage(rs); ok {
		return imageName(img)
	}
	return rs.Newest.Label
}

// newerRoles are the roles with an image newer than any of their servers run.
func (c *common) newerRoles() map[string]bool {
	out := map[string]bool{}
	if c.spread == nil {
		return out
	}
	for _, rs := range c.spread.Roles {
		if _, ok := c.newerImage(rs); ok {
			out[rs.Role] = true
		}
	}
	return out
}
