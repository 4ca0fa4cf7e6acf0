package fleet

import (
	"context"
	"maps"
)

// The inventory's pools (with LoadOptions.Pools): read at every full read and every
// refresh (the list, each pool's members, and template images not seen before), so
// that a member the pool made since, or a template changed by hand, shows at once.

// Pools returns the autoscale pools as last read (none without LoadOptions.Pools).
func (inv *Inventory) Pools() []Pool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.pools
}

// readPools reads the pools when the inventory reads them; fresh forgets the template
// images resolved before (a full read).
func (inv *Inventory) readPools(ctx context.Context, fresh bool) ([]Pool, error) {
	if !inv.opt.Pools {
		return nil, nil
	}
	inv.mu.Lock()
	if fresh || inv.templates == nil {
		inv.templates = map[string]Version{}
	}
	images := maps.Clone(inv.templates)
	inv.mu.Unlock()
	pools, err := readPools(ctx, inv.c, images)
	if err != nil {
		return nil, err
	}
	inv.mu.Lock()
	inv.templates = images
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
func (inv *Inventory) refreshPools(ctx context.Context, servers []Server) ([]Server, error) {
	pools, err := inv.readPools(ctx, false)
	if err != nil || !inv.opt.Pools {
		return servers, err
	}
	of := membership(pools)
	var changed []Server
	for i := range servers {
		s := servers[i] // a copy: snapshots are never changed
		if markOne(&s, of) {
			changed = append(changed, s)
		}
	}
	inv.mu.Lock()
	inv.pools = pools
	inv.mu.Unlock()
	if len(changed) == 0 {
		return servers, nil
	}
	return inv.Apply(changed, nil), nil
}
