package dosim

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
)

// The simulators' networks are 127.N.0.0/16 with N in [net16Min, net16Min+net16Count).
const (
	net16Min   = 20
	net16Count = 230
)

// Droplet addresses are 127.N.x.y with x below dropletNets and y in 1..254: load
// balancers live in 127.N.250.0/24, reserved IPs in 127.N.251.0/24 (of the first
// network), and the simulator's claim on each of its networks at 127.N.255.254.
const (
	dropletNets  = 250
	hostsPerNet  = dropletNets * 254
	headroomNets = 100 // droplets a world may add to its seed before its addresses wrap
)

var net16Next atomic.Int64

// nextNet16 proposes the second octet of a simulator's 127.N.0.0/16: from a random start
// per process, then sequential, so that simulators in one process do not collide.
func nextNet16() int {
	if net16Next.Load() == 0 {
		n, _ := rand.Int(rand.Reader, big.NewInt(net16Count))
		net16Next.CompareAndSwap(0, n.Int64()+1)
	}
	return int((net16Next.Add(1)-2)%net16Count) + net16Min
}

// claimAddr is the address a simulator holds, on the health port, to claim a /16:
// droplets never get it (see allocIPs).
func claimAddr(net16, port int) string {
	return net.JoinHostPort(netip.AddrFrom4([4]byte{127, byte(net16), 255, 254}).String(), strconv.Itoa(port))
}

// netsFor is how many /16 networks a new world needs: one per 63,500 droplets of its
// seed and the headroom after it.
func netsFor(cfg Config) int {
	n := headroomNets
	if cfg.Seed == "scale" {
		n += max(0, cfg.Droplets)
	}
	return min(net16Count/2, (n+hostsPerNet-1)/hostsPerNet)
}

// claimNets picks count /16s no other simulator on this machine uses on the same health
// port, by binding claimAddr in each and holding it until Close: simulators in other
// processes (other test binaries, a `molt sim`) start from other random points and skip
// them. Without health listeners nothing is claimed.
func claimNets(port, count int) ([]int, []net.Listener) {
	var nets []int
	var claims []net.Listener
	for tries := 0; len(nets) < count && tries < net16Count; tries++ {
		n := nextNet16()
		if port < 0 {
			nets = append(nets, n)
			continue
		}
		if ln, err := net.Listen("tcp", claimAddr(n, port)); err == nil {
			nets, claims = append(nets, n), append(claims, ln)
		}
	}
	for len(nets) < count {
		nets = append(nets, nextNet16())
	}
	return nets, claims
}

// claimLoaded claims the networks of a world loaded from a state file, which keeps its
// addresses; where another simulator holds one, the health listeners that collide fail.
func (s *Sim) claimLoaded() []net.Listener {
	if s.cfg.HealthPort < 0 {
		return nil
	}
	var claims []net.Listener
	for _, n := range s.w.nets() {
		ln, err := net.Listen("tcp", claimAddr(n, s.cfg.HealthPort))
		if err != nil {
			s.logf("network 127.%d.0.0/16 of the saved world is in use by another simulator: %v", n, err)
			continue
		}
		claims = append(claims, ln)
	}
	return claims
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		_ = ln.Close()
	}
}

// nets are the world's /16 networks, the first one holding the load balancers and
// reserved IPs (worlds saved before there were several have only Net16).
func (w *world) nets() []int {
	if len(w.Nets) == 0 {
		return []int{w.Net16}
	}
	return w.Nets
}

// allocIPs hands out the next public (127.N.x.y) and private (10.M.x.y) pair, over the
// world's networks in turn. Past their capacity the addresses wrap around, to those of
// droplets long gone.
func (w *world) allocIPs() (public, private string) {
	nets := w.nets()
	h := w.NextHost % (hostsPerNet * len(nets))
	w.NextHost++
	n := nets[h/hostsPerNet]
	h %= hostsPerNet
	hi, lo := h/254, h%254+1
	public = netip.AddrFrom4([4]byte{127, byte(n), byte(hi), byte(lo)}).String()
	private = fmt.Sprintf("10.%d.%d.%d", n%250+1, hi, lo)
	return public, private
}

// infraIP is an address of the first network's infrastructure range: 250 for load
// balancers, 251 for reserved IPs.
func (w *world) infraIP(block, host int) string {
	return fmt.Sprintf("127.%d.%d.%d", w.nets()[0], block, host)
}
