package fleet

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Day is 24 hours: server lifetimes are counted in days.
const Day = 24 * time.Hour

// ParseAge reads a lifetime as operators write one: a number of days ("60d"), weeks
// ("2w"), or anything time.ParseDuration reads ("36h", "90m"). It must be positive.
func ParseAge(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	unit := map[string]time.Duration{"d": Day, "w": 7 * Day}
	if n, ok := unit[s[max(len(s)-1, 0):]]; ok && s != "" {
		var f float64
		f, err = strconv.ParseFloat(strings.TrimSpace(s[:len(s)-1]), 64)
		d = time.Duration(f * float64(n))
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a lifetime: write days (60d), weeks (2w) or hours (36h)", s)
	}
	return d, nil
}

// FormatAge writes a lifetime the way ParseAge reads it: whole days as "60d", shorter
// or uneven ones as a duration ("36h0m0s" becomes "36h").
func FormatAge(d time.Duration) string {
	if d >= Day && d%Day == 0 {
		return strconv.Itoa(int(d/Day)) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// AgeDays is a server's age in whole days at now (0 when its creation time is unknown).
func (s Server) AgeDays(now time.Time) int {
	if s.CreatedAt.IsZero() {
		return 0
	}
	return int(now.Sub(s.CreatedAt) / Day)
}
