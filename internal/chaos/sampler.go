package chaos

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/digitalocean/godo"
)

// sampler watches the units of service (load balancers, reserved IPs) while commands
// run: the droplets behind each, and how many of them answer /healthz. A sample reads
// the unit, probes its droplets, and reads the unit again; it counts only when the
// unit did not change meanwhile, so that a handover between the reads is never taken
// for a loss.
type sampler struct {
	api   *godo.Client
	port  int
	units []*unit
	ips   map[int]string // droplet ID -> public IP, learnt once
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex // guards the units' stats
	once  sync.Once
}

// unit is a load balancer (lb) or a reserved IP (ip), and what was seen of it.
type unit struct {
	lb, ip string
	stat   UnitStat
}

// startSampler starts sampling every unit that had droplets at the start.
func startSampler(ctx context.Context, api *godo.Client, start World, port int) *sampler {
	sp := &sampler{api: api, port: port, ips: map[int]string{}, stop: make(chan struct{}), done: make(chan struct{})}
	for _, d := range start.Droplets {
		sp.ips[d.ID] = d.IP
	}
	for _, lb := range start.LBs {
		if n := countHealthy(start, lb.Members); len(lb.Members) > 0 {
			sp.units = append(sp.units, &unit{lb: lb.ID, stat: UnitStat{Unit: "load balancer " + lb.Name, Start: n, Min: n}})
		}
	}
	for _, ip := range sortedKeys(start.ReservedIPs) {
		if id := start.ReservedIPs[ip]; id != 0 {
			n := countHealthy(start, []int{id})
			sp.units = append(sp.units, &unit{ip: ip, stat: UnitStat{Unit: "reserved IP " + ip, Start: n, Min: n}})
		}
	}
	go sp.loop(ctx)
	return sp
}

func countHealthy(w World, ids []int) int {
	n := 0
	for _, id := range ids {
		if w.Healthy[id] {
			n++
		}
	}
	return n
}

func (sp *sampler) loop(ctx context.Context) {
	defer close(sp.done)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sp.stop:
			return
		case <-tick.C:
			for _, u := range sp.units {
				sp.sample(ctx, u)
			}
		}
	}
}

// Stop ends the sampling and returns what was seen of each unit.
func (sp *sampler) Stop() []UnitStat {
	sp.once.Do(func() { close(sp.stop) })
	<-sp.done
	return sp.Stats()
}

// Stats returns what was seen of each unit so far.
func (sp *sampler) Stats() []UnitStat {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	out := make([]UnitStat, 0, len(sp.units))
	for _, u := range sp.units {
		out = append(out, u.stat)
	}
	return out
}

// sample takes one settled sample of a unit, or none.
func (sp *sampler) sample(ctx context.Context, u *unit) {
	before, err := sp.members(ctx, u)
	if err != nil {
		return
	}
	healthy := sp.countHealthy(ctx, before)
	after, err := sp.members(ctx, u)
	if err != nil {
		return
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if !slices.Equal(before, after) {
		u.stat.Unsettled++
		return
	}
	u.stat.Samples++
	if healthy < u.stat.Min {
		u.stat.Min, u.stat.MinAt = healthy, time.Now()
	}
}

// members reads the droplets behind a unit, sorted.
func (sp *sampler) members(ctx context.Context, u *unit) ([]int, error) {
	if u.lb != "" {
		lb, _, err := sp.api.LoadBalancers.Get(ctx, u.lb)
		if err != nil {
			return nil, err
		}
		ids := slices.Clone(lb.DropletIDs)
		slices.Sort(ids)
		return ids, nil
	}
	ip, _, err := sp.api.ReservedIPs.Get(ctx, u.ip)
	if err != nil {
		return nil, err
	}
	if ip.Droplet == nil {
		return nil, nil
	}
	return []int{ip.Droplet.ID}, nil
}

// countHealthy probes the droplets at once and counts those answering 200.
func (sp *sampler) countHealthy(ctx context.Context, ids []int) int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	n := 0
	for _, id := range ids {
		ip := sp.ip(ctx, id)
		wg.Go(func() {
			if probe(ctx, ip, sp.port) {
				mu.Lock()
				n++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return n
}

// ip is a droplet's public IP, read once; "" when it is gone or has none yet.
func (sp *sampler) ip(ctx context.Context, id int) string {
	if ip := sp.ips[id]; ip != "" {
		return ip
	}
	d, _, err := sp.api.Droplets.Get(ctx, id)
	if err != nil {
		return ""
	}
	ip, _ := d.PublicIPv4()
	if ip != "" {
		sp.ips[id] = ip
	}
	return ip
}
