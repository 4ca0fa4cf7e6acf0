package ui

import (
	"context"
	"fmt"
	"time"
)

// A long first read says how far it got and, when the API's rate limit makes it wait,
// for how long: the loader tells the waits through the function in its context
// (WaitNotice), next to the pages it tells through progress.

type waitNoticeKey struct{}

func withWaitNotice(ctx context.Context, fn func(time.Duration)) context.Context {
	return context.WithValue(ctx, waitNoticeKey{}, fn)
}

// WaitNotice is the function a Deps.Load tells its waits to (how long it expects to
// wait, when it begins); it does nothing outside a load the UI started.
func WaitNotice(ctx context.Context) func(time.Duration) {
	if fn, ok := ctx.Value(waitNoticeKey{}).(func(time.Duration)); ok {
		return fn
	}
	return func(time.Duration) {}
}

// waitWords says why a load is stalled, while it is: "rate limited by the API: waiting
// until 09:27:52 (59s)".
func waitWords(c *common) string {
	if c.load.waitUntil.IsZero() || !c.now().Before(c.load.waitUntil) {
		return ""
	}
	return fmt.Sprintf("rate limited by the API: waiting until %s (%s)", c.load.waitUntil.Format("15:04:05"),
		c.load.waitFor.Round(time.Second))
}
