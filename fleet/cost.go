package fleet

import "math"

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
