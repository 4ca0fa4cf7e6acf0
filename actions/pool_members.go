package actions

import (
	"context"
	"fmt"
	"slices"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/fleet"
)

// A droplet autoscale pool makes and retires its members itself: a rollout that
// destroyed a member and created a replacement outside the pool would fight it (the
// pool makes the member up from its template, and the operator ends up with extra
// droplets on the wrong image). So a droplet plan leaves members out, and the pool is
// rolled as a whole (StartPool, PoolRollout).

// poolMemberReason is why a droplet plan leaves a pool's member out.
func poolMemberReason(s fleet.Server) string {
	return fmt.Sprintf("member of pool %s: roll the pool instead", s.Pool)
}

// markPoolMembers reads the account's pools and returns servers with their members
// marked, in a copy, whatever the caller marked before.
func markPoolMembers(ctx context.Context, c *godo.Client, servers []fleet.Server) ([]fleet.Server, error) {
	pools, err := fleet.ReadPools(ctx, c)
	if err != nil {
		return servers, fmt.Errorf("read the autoscale pools, to leave their members to them: %w", err)
	}
	marked := slices.Clone(servers)
	fleet.MarkMembers(marked, pools)
	return marked, nil
}
