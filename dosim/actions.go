package dosim

import (
	"net/http"
	"sort"
	"strconv"
)

// The account's action feed. Every change to a droplet (its create and destroy, power
// changes, resizes, rebuilds...) is an action with its resource, region and times; a
// seeded world has the history of its droplets too. The feed lists newest first, as
// DigitalOcean's does, so that a client can refresh an inventory from its first page.

// actionIndex orders the world's actions; it is derived (reindex rebuilds it).
type actionIndex struct {
	order []*Action            // by ID, oldest first
	byKey map[string][]*Action // by resource (see Action.key), oldest first
}

// key names the resource an action is on: "droplet:ID", "volume:UUID", "ip:ADDRESS".
func (a *Action) key() string {
	switch a.ResourceType {
	case "droplet":
		return "droplet:" + strconv.Itoa(a.ResourceID)
	case "volume":
		return "volume:" + a.Params["volume"]
	case reservedKind.one, floatingKind.one:
		return "ip:" + a.Params["ip"]
	case "image":
		return "image:" + strconv.Itoa(a.ResourceID)
	}
	return a.ResourceType + ":" + strconv.Itoa(a.ResourceID)
}

func dropletKey(id int) string { return "droplet:" + strconv.Itoa(id) }

// addAction records an action in the world and its index. IDs only grow, so appending
// keeps both in order.
func (w *world) addAction(a *Action) {
	w.Actions[a.ID] = a
	if w.actions.byKey == nil {
		w.actions.byKey = map[string][]*Action{}
	}
	w.actions.order = append(w.actions.order, a)
	k := a.key()
	w.actions.byKey[k] = append(w.actions.byKey[k], a)
	if a.locks() {
		w.busy[a.ResourceID]++
	}
}

// indexActions rebuilds the index from the map, after a load or a seed.
func (w *world) indexActions() {
	w.actions = actionIndex{order: make([]*Action, 0, len(w.Actions)), byKey: map[string][]*Action{}}
	for _, a := range w.Actions {
		w.actions.order = append(w.actions.order, a)
	}
	sortActions(w.actions.order)
	for _, a := range w.actions.order {
		k := a.key()
		w.actions.byKey[k] = append(w.actions.byKey[k], a)
	}
}

// actionsOn lists the actions on one resource, oldest first. The caller must not
// modify the slice.
func (w *world) actionsOn(key string) []*Action { return w.actions.byKey[key] }

func sortActions(list []*Action) {
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
}

// newestFirst renders a listing of actions kept oldest first, newest first.
func (s *Sim) newestFirst(r *http.Request, list []*Action) (int, any) { return s.actionPage(r, list) }

func (s *Sim) listActions(r *http.Request, _ *reqInfo) (int, any) {
	return s.newestFirst(r, s.w.actions.order)
}

func (s *Sim) getAction(r *http.Request, _ *reqInfo) (int, any) {
	id, ok := pathInt(r, "id")
	a, found := s.w.Actions[id]
	if !ok || !found {
		return notFound()
	}
	return http.StatusOK, obj{"action": renderAction(a)}
}
