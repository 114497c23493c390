#!/usr/bin/env bash
# Runs every check lsgd has: formatting, vet, the whole test suite (GPU tests
# on Mesa llvmpipe under Xvfb when there is no display), the race detector
# over the packages that do not touch GL, and the fuzz targets' seed corpora
# (part of go test). With LSGD_REQUIRE_GPU=1 a missing GL context fails the
# GPU tests instead of skipping them.
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l $(git ls-files --cached --others --exclude-standard '*.go' | grep -v '^cpu/_asm/') || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
# Builds elsewhere: without cgo (no GPU backend, says so) and for other
# architectures (portable CPU kernels).
CGO_ENABLED=0 go build -o /dev/null ./cmd/lsgd
GOARCH=arm64 CGO_ENABLED=0 go vet ./...
GOARCH=386 CGO_ENABLED=0 go build -o /dev/null ./cmd/lsgd

run() {
  if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
    xvfb-run -a -s "-screen 0 640x480x24" "$@"
  else
    "$@"
  fi
}
echo "== go test ./... (GPU tests on ${DISPLAY:-Xvfb}, LSGD_REQUIRE_GPU=${LSGD_REQUIRE_GPU:-0})"
run go test -count=1 -timeout 30m ./...
echo "== go test -race (packages without GL)"
go test -count=1 -race -timeout 30m $(go list ./... | grep -v -e /gpu -e /cmd/)
