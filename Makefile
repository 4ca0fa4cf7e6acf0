# The test command CI runs is `make test`; `make check` adds the linters and the release check.
GO ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
GORELEASER ?= $(GO) run github.com/goreleaser/goreleaser/v2@v2.15.1

.PHONY: test race vet staticcheck fmt release-check check run sim bench

test:
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race ./actions/...

vet:
	$(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt'ed:"; echo "$$out"; exit 1; fi

release-check:
	$(GORELEASER) check

check: fmt vet staticcheck release-check

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

run:
	$(GO) run .

sim:
	$(GO) run . sim
