package fleet

import (
	"context"
	"maps"
)

// The inventory's pools (with LoadOptions.Pools): the list read at every full read and
// every refresh, so that a template changed by hand shows at once; each pool's members
// at every full read, and at a refresh when a droplet changed, the pool changed, or
// they are a minute old (memberCache); template images once each.

// Pools returns the autoscale pools as last read (none without LoadOptions.Pools).
func (inv *Inventory) Pools() []Pool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.pools
}

// readPools reads the pools when the inventory reads them; fresh forgets the template
// images resolved before (a full read).
func (inv *Inventory) readPools(ctx context.Context, fresh, reuse bool) ([]Pool, error) {
	if !inv.opt.Pools {
		return nil, nil
	}
	inv.mu.Lock()
	if fresh || inv.templates == nil {
		inv.templates = map[string]Version{}
	}
	images := maps.Clone(inv.templates)
	keep := &memberCache{lists: maps.Clone(inv.members.lists), reuse: reuse && !fresh}
	inv.mu.Unlock()
	pools, err := readPools(ctx, inv.c, images, keep)
	if err != nil {
		return nil, err
	}
	inv.mu.Lock()
	inv.templates = images
	inv.members.lists = keep.lists
	inv.mu.Unlock()
	return pools, nil
}

// markChanged marks servers read one by one with the pools as last read.
func (inv *Inventory) markChanged(changed []Server) {
	if inv.opt.Pools {
		MarkMembers(changed, inv.Pools())
	}
}

// refreshPools reads the pools again and applies what changed in membership to the
// snapshot, which it returns (servers itself when nothing changed).
// changed says whether the refresh found droplets changed: a pool's members are read
// again then (a member made or destroyed is a droplet changed).
func (inv *Inventory) refreshPools(ctx context.Context, servers []Server, changed bool) ([]Server, error) {
	pools, err := inv.readPools(ctx, false, !changed)
	if err != nil || !inv.opt.Pools {
		return servers, err
	}
	of := membership(pools)
	var marked []Server
	for i := range servers {
		s := servers[i] // a copy: snapshots are never changed
		if markOne(&s, of) {
			marked = append(marked, s)
		}
	}
	inv.mu.Lock()
	inv.pools = pools
	inv.mu.Unlock()
	if len(marked) == 0 {
		return servers, nil
	}
	return inv.Apply(marked, nil), nil
}
