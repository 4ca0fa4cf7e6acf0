package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/molt-sh/molt/fleet"
)

// The autoscale pools in `molt status`: one row per pool with members in the selection,
// its size, template image, members per image and how many are behind the template.

var poolHeaders = []string{"POOL", "REGION", "SIZE", "MEMBERS", "TEMPLATE", "MEMBERS PER IMAGE", "BEHIND", "STATUS"}

// poolRows are the pools' rows, in poolHeaders' order.
func poolRows(pools []fleet.PoolSpread) [][]string {
	rows := make([][]string, 0, len(pools))
	for _, ps := range pools {
		p := ps.Pool
		size := p.SizeText() + " " + p.Size
		if !p.Fixed() {
			size += fmt.Sprintf(", cooldown %dm", p.CooldownMinutes())
		}
		rows = append(rows, []string{p.Name, p.Region, size, fmt.Sprintf("%d/%d", len(p.Members), p.Desired()),
			p.TemplateName(), perImage(ps.Census), strconv.Itoa(ps.Census.Behind), p.Status})
	}
	return rows
}

// perImage says how many members run each image: "api-1.1.0 2 (template), api-1.0.0 2".
func perImage(c fleet.PoolCensus) string {
	var parts []string
	for _, im := range c.Images {
		if im.Count == 0 {
			continue
		}
		s := fmt.Sprintf("%s %d", imageLabel(im.Image), im.Count)
		if im.Template {
			s += " (template)"
		}
		parts = append(parts, s)
	}
	if c.Unread > 0 {
		parts = append(parts, fmt.Sprintf("%d not read", c.Unread))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func imageLabel(v fleet.Version) string {
	if v.Name != "" {
		return v.Name
	}
	return "image " + strconv.Itoa(v.ImageID)
}

// poolsText is the pools' table for the text output, or "" when there is none.
func poolsText(pools []fleet.PoolSpread, st statusStyles) string {
	if len(pools) == 0 {
		return ""
	}
	spec := tableSpec{headers: poolHeaders, rows: poolRows(pools), right: []int{3, 6}}
	return "\n" + st.title.Render("Autoscale pools") + " " + st.muted.Render("(members are rolled with molt apply --pool)") +
		"\n" + renderTable(spec, st, 0) + "\n"
}

// mdPools is the pools' table for the markdown output, or "" when there is none.
func mdPools(pools []fleet.PoolSpread) string {
	if len(pools) == 0 {
		return ""
	}
	return fmt.Sprintf("\n#### Autoscale pools (%d)\n\n", len(pools)) + mdTable(poolHeaders, poolRows(pools), []int{3, 6})
}
