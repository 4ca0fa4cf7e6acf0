package cli

import (
	"fmt"
	"strings"

	"github.com/molt-sh/molt/fleet"
)

// costHeader is the cost column of the status tables: what the servers cost a month at
// their sizes' prices (a powered-off droplet included: DigitalOcean bills it).
const costHeader = "$/MONTH"

// runRateWords is the fleet's run rate for the summary line.
func runRateWords(c fleet.Cost) string {
	out := fmt.Sprintf("run rate %s an hour, %s a month", fleet.Dollars(c.HourlyUSD(), 4), fleet.Dollars(c.MonthlyUSD(), 2))
	if c.Unpriced > 0 {
		out += fmt.Sprintf(" (%s without a price left out)", plural(c.Unpriced, "droplet"))
	}
	return out
}

// groupCost is the run rate of a group's servers.
func groupCost(g fleet.Group) fleet.Cost {
	var c fleet.Cost
	for _, s := range g.Servers {
		c.Add(s)
	}
	return c
}

// upperFirst starts a sentence: "run rate ..." becomes "Run rate ...".
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
