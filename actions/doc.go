// Package actions is what changes a fleet: Plan (a pure function from a selection, a
// target image and a Strategy to ordered waves of replacements), the Executor that runs
// a plan create-before-destroy through godo, the append-only Journal that makes every
// rollout resumable, and the typed Events the TUI and the headless printer render.
//
// Every droplet the executor creates carries tags that tie it to its rollout and its
// create call (see RolloutTag and GroupTag), so that an unclear create result or a
// crashed process never leads to a duplicate: molt lists by tag and adopts before it
// creates again.
package actions
