package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/molt-sh/molt/fleet"
)

// costHeader is the cost column of the status tables: what the servers cost a month at
// their sizes' prices (a powered-off droplet included: DigitalOcean bills it).
const costHeader = "$/MONTH"

// runRateWords is the fleet's run rate for the summary line.
func runRateWords(c fleet.Cost) string {
	out := fmt.Sprintf("run rate %s an hour, %s a month", dollars(c.HourlyUSD(), 4), dollars(c.MonthlyUSD(), 2))
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

// dollars formats an amount with places decimals and thousands separators: $1,152.00.
func dollars(usd float64, places int) string {
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

// upperFirst starts a sentence: "run rate ..." becomes "Run rate ...".
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
