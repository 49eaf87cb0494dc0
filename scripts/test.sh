#!/usr/bin/env bash
# The project's test command (README): vet, formatting, tests, and a check
# that committed generated files match what their generators write now.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go vet"
go vet ./...

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' | grep -v '^testdata/') 2>&1 || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

# go test -json, summarized: a line per package as go test prints it, the
# output of what failed, and then every skipped test with its reason (plain
# go test hides them, so a suite that skipped for want of ../shared looks
# like one that passed).
echo "== go test"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/testsum" ./internal/cmd/testsum
go test -count=1 -json ./... | "$bin/testsum"

# The portable kernels (pure Go, what non-amd64 machines run) are tested
# against the same references on every machine: the runtime built with the
# purego tag has no assembly at all.
echo "== go test -tags purego ./runtime"
go test -count=1 -tags purego ./runtime

# Generated files must be what their generators write now: the example
# package (cnnc compile) and the runtime's assembly (the avo generator).
echo "== go generate ./examples/... ./runtime leaves the committed files unchanged"
go generate ./examples/... ./runtime
if ! git diff --exit-code --stat -- examples runtime; then
  echo "regenerating changed committed files; run 'go generate ./examples/... ./runtime' and commit" >&2
  exit 1
fi
if [ -n "$(git status --porcelain -- examples runtime)" ]; then
  git status --porcelain -- examples runtime
  echo "regenerating created files that are not committed" >&2
  exit 1
fi
echo "== ok"
