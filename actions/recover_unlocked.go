package actions

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// A rollout that no droplet carries the lock of holds nothing in the cloud: it was
// stopped before its lock took (killed at its first change), or it ended. When its
// journal here is damaged, nothing can resume it, and nothing needs to: Recover ends it
// instead of leaving `molt rollouts` and `molt resume` pointing at it for ever. With the
// journal's header still readable (and its account this one), a journal that ends the
// rollout, aborted, takes the damaged one's place; without it, the damaged journal is
// only moved aside (*NothingHeldError says where): which account the rollout ran on is
// unknown, and the right token's `molt recover` would still find a lock it holds there.

// unlockedReason is why a recovered rollout that holds no lock ended.
const unlockedReason = "recovered: no droplet carries its lock, so it holds nothing in the cloud"

// NothingHeldError: the rollout holds nothing in the cloud of this account, and its
// journal here, which could not be read, was moved aside; nothing else changed.
type NothingHeldError struct {
	Rollout string
	// MovedTo is where the damaged journal went.
	MovedTo string
}

// Error says what was found and done.
func (e *NothingHeldError) Error() string {
	return fmt.Sprintf("no droplet of this account carries the lock of rollout %s, so it holds nothing in the cloud; "+
		"its journal, which could not be read, was moved aside to %s (had it run on another account, recover it with that account's token)",
		e.Rollout, e.MovedTo)
}

// recoverUnlocked ends the rollout of a damaged journal at path that holds no lock.
func recoverUnlocked(ctx context.Context, a *api, id, path string, opt Options) (string, error) {
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("no droplet carries the lock of rollout %s: there is nothing to recover", id)
	}
	release, err := holdJournal(path)
	if err != nil {
		return "", err
	}
	defer release()
	h, ok := salvageHeader(path)
	if !ok {
		aside, err := setAside(path)
		if err != nil {
			return "", err
		}
		return "", &NothingHeldError{Rollout: id, MovedTo: aside}
	}
	here, err := a.accountRef(ctx)
	if err != nil {
		return "", fmt.Errorf("check that rollout %s belongs to this account: %w", id, err)
	}
	if err := CheckAccount(id, h.Plan.Account, here); err != nil {
		return "", err
	}
	h.Recovered = &Recovery{At: time.Now().UTC(), From: "the cloud's tags: no droplet carries its lock"}
	end := Record{Kind: KindEnd, State: StateAborted, Reason: unlockedReason}
	return writeRecovered(opt.Dir, path, h, []Record{end})
}

// salvageHeader reads the header of a journal damaged after its first line.
func salvageHeader(path string) (Header, bool) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var r Record
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &r) != nil || r.Kind != KindHeader || r.Header == nil {
		return Header{}, false
	}
	return *r.Header, true
}

// holdJournal takes a journal's lock for as long as Recover replaces it: while a process
// drives the rollout (its run holds the lock), the journal is left alone.
func holdJournal(path string) (release func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open the journal: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLockHeld) {
			return nil, &DrivenError{Rollout: rolloutOfPath(path), Driver: readDriver(path)}
		}
		return nil, fmt.Errorf("lock the journal: %w", err)
	}
	return func() { f.Close() }, nil
}

// setAside moves a damaged journal out of the way, keeping it for whoever wants to
// read what is left of it.
func setAside(path string) (string, error) {
	aside := fmt.Sprintf("%s.damaged-%d", path, time.Now().Unix())
	if err := os.Rename(path, aside); err != nil {
		return "", fmt.Errorf("move the damaged journal aside: %w", err)
	}
	return aside, nil
}
