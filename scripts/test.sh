#!/usr/bin/env bash
# The project's test command (README): vet, formatting, tests, and a check
# that the committed generated example matches what cnnc generates now.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go vet"
go vet ./...

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' | grep -v '^testdata/') 2>&1 || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go test"
go test -count=1 ./...

if [ -d examples ]; then
  echo "== go generate ./examples/... leaves the committed files unchanged"
  go generate ./examples/...
  if ! git diff --exit-code --stat -- examples; then
    echo "regenerating examples/ changed committed files; run 'go generate ./examples/...' and commit" >&2
    exit 1
  fi
  if [ -n "$(git status --porcelain -- examples)" ]; then
    git status --porcelain -- examples
    echo "regenerating examples/ created files that are not committed" >&2
    exit 1
  fi
fi
echo "== ok"
