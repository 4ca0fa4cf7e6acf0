package actions

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// tagPrefix starts every tag molt puts on droplets. DigitalOcean tags allow letters,
// numbers, colons, dashes and underscores, up to 255 characters.
const tagPrefix = "molt:"

var validRolloutID = regexp.MustCompile(`^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$`)

// NewRolloutID names a rollout by its start time and four random hex digits, as
// 20250612-153000-7f3a: sortable, and usable in a tag and a file name.
func NewRolloutID(now time.Time) string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// ValidRolloutID reports whether id has the shape NewRolloutID gives.
func ValidRolloutID(id string) bool { return validRolloutID.MatchString(id) }

// RolloutTag is the lock tag: on every selected droplet and every droplet the rollout
// creates, while the rollout runs.
func RolloutTag(id string) string { return tagPrefix + id }

// GroupTag marks the droplets made by one create request of a rollout; with the name,
// it identifies a replacement's new droplet (its idempotency key).
func GroupTag(id string, group int) string { return fmt.Sprintf("%s%s:g%d", tagPrefix, id, group) }

// WaveTag marks the droplets a wave creates, from birth, so that one listing waits for
// the whole wave however many create requests made it: molt:<id>:w<wave>.
func WaveTag(id string, wave int) string { return fmt.Sprintf("%s%s:w%d", tagPrefix, id, wave) }

// RetireTag is put on a wave's old droplets once they passed their identity check, for
// the one delete by tag that retires them: molt:<id>:r<wave>-<try>. A try that was cut
// short (a crash, an error) is never deleted by again: the next try of the wave tags
// only what it checked again, under a tag of its own, so a delete by tag reaches only
// droplets checked just before it.
func RetireTag(id string, wave, try int) string {
	return fmt.Sprintf("%s%s:r%d-%d", tagPrefix, id, wave, try)
}

// RollbackGroupTag marks droplets re-created from the previous image during a rollback.
func RollbackGroupTag(id string, slot int) string {
	return fmt.Sprintf("%s%s:b%d", tagPrefix, id, slot)
}

// OwnImageTag marks the droplets made by a rollout onto the image each server runs
// (Plan.SameImage), so that Recover can tell such a rollout from the cloud: its new
// droplets run as many images as their servers did, none of them a target.
func OwnImageTag(id string) string { return tagPrefix + id + ":own-image" }

// ImageTag records on a new droplet the image its old droplet ran: molt:<id>:i<image>.
// The journal says it too; the tag is for when the journal is lost and the old droplet
// gone, so that a journal rebuilt from the cloud (Recover) still knows what a rollback
// re-creates the old droplet from. One create request makes droplets of one old image
// (specKey), so the tag is on them from birth.
func ImageTag(id string, image int) string { return fmt.Sprintf("%s%s:i%d", tagPrefix, id, image) }

// VolumeTag is on a volume that --move-volumes moves off an old droplet, from just
// before its detach until the rollout ends: molt:<id>:v<old droplet ID>. Between the
// detach and the attach to the new droplet the volume is attached to nothing, and
// only this says whose it is when the journal is lost (Recover).
func VolumeTag(id string, droplet int) string { return fmt.Sprintf("%s%s:v%d", tagPrefix, id, droplet) }

// imageOfTags is the old image a droplet of rollout id records (ImageTag), or 0.
func imageOfTags(id string, tags []string) int { return numberTag(id, "i", tags) }

// volumeOfTags is the old droplet a volume of rollout id was moved off (VolumeTag), or 0.
func volumeOfTags(id string, tags []string) int { return numberTag(id, "v", tags) }

// numberTag reads the number of the tag molt:<id>:<kind><number> among tags, or 0.
func numberTag(id, kind string, tags []string) int {
	for _, t := range tags {
		rest, ok := strings.CutPrefix(t, RolloutTag(id)+":"+kind)
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil && n > 0 && rest[0] != '+' {
			return n
		}
	}
	return 0
}

// LockOf returns the rollout a droplet is locked by (from its tags), or "".
func LockOf(tags []string) string {
	for _, t := range tags {
		if id, ok := strings.CutPrefix(t, tagPrefix); ok && ValidRolloutID(id) {
			return id
		}
	}
	return ""
}

// UserTags drops molt's own tags, leaving the ones a new droplet copies.
func UserTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if !strings.HasPrefix(t, tagPrefix) {
			out = append(out, t)
		}
	}
	return out
}
