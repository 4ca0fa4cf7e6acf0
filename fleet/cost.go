package fleet

import (
	"math"
	"strconv"
	"strings"
)

// Cost is a run rate: what some servers cost an hour and a month at their sizes' prices
// as the API gives them (Server.PriceHourly, Server.PriceMonthly). molt never hard-codes
// a price. A powered-off droplet counts: DigitalOcean bills it until it is destroyed.
type Cost struct {
	// Hourly and Monthly are in US dollars. Monthly is the sum of the sizes'
	// price_monthly, which is what a droplet kept all month costs.
	Hourly  float64
	Monthly float64
	// Unpriced counts servers whose size came without a price; they add nothing.
	Unpriced int
}

// Add counts srv in the run rate.
func (c *Cost) Add(srv *Server) {
	if srv.PriceHourly == 0 && srv.PriceMonthly == 0 {
		c.Unpriced++
		return
	}
	c.Hourly += srv.PriceHourly
	c.Monthly += srv.PriceMonthly
}

// CostOf is the run rate of servers.
func CostOf(servers []Server) Cost {
	var c Cost
	for i := range servers {
		c.Add(&servers[i])
	}
	return c
}

// HourlyUSD is the hourly rate rounded to five decimals, as the API gives prices.
func (c Cost) HourlyUSD() float64 { return RoundUSD(c.Hourly, 5) }

// MonthlyUSD is the monthly rate rounded to cents.
func (c Cost) MonthlyUSD() float64 { return RoundUSD(c.Monthly, 2) }

// RoundUSD rounds an amount of dollars to places decimals, dropping the float noise of
// a sum of many prices.
func RoundUSD(usd float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(usd*p) / p
}

func (c *Cost) merge(o Cost) {
	c.Hourly += o.Hourly
	c.Monthly += o.Monthly
	c.Unpriced += o.Unpriced
}

// costRoles sums each role's run rate from its releases' (tallied with the servers): a
// release whose servers all have one role gives its role its whole cost; only when one
// spans roles (rare: an image shared by two roles) are the servers gone through again.
func (s *Spread) costRoles() {
	byRole := make(map[string]*RoleSpread, len(s.Roles))
	split := false
	for _, rs := range s.Roles {
		byRole[rs.Role] = rs
		for _, r := range rs.Releases {
			if len(r.Roles) == 1 {
				rs.Cost.merge(r.Cost)
			} else {
				split = true
			}
		}
	}
	if !split {
		return
	}
	for i := range s.servers {
		if len(s.rels[i].Roles) > 1 {
			byRole[s.role(&s.servers[i])].Cost.Add(&s.servers[i])
		}
	}
}

// Dollars formats an amount in US dollars with places decimals and thousands
// separators: $1,152.00.
func Dollars(usd float64, places int) string {
	s := strconv.FormatFloat(usd, 'f', places, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if places > 0 {
		b.WriteString("." + frac)
	}
	return "$" + b.String()
}
