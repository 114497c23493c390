#!/usr/bin/env bash
# Runs every check lsgd has: formatting, vet, the whole test suite (GPU tests
# through EGL: on Mesa llvmpipe when there is no GPU, no X server needed),
# the GLX (GLFW) path under Xvfb, the EGL-only build (tags noglfw,egl), the
# race detector over the packages that do not touch GL, and the fuzz
# targets' seed corpora (part of go test). With LSGD_REQUIRE_GPU=1 a missing
# GL context fails the GPU tests instead of skipping them.
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
# The EGL-only build for GPU servers (no GLFW, no X11 libraries).
go vet -tags noglfw,egl ./gpu/... ./cmd/...

echo "== go test ./... (GPU tests through EGL, no X server; LSGD_REQUIRE_GPU=${LSGD_REQUIRE_GPU:-0})"
env -u DISPLAY -u WAYLAND_DISPLAY go test -count=1 -timeout 30m ./...
echo "== GLX (GLFW) path under Xvfb: the gldev test, and the backend's gradient on a GLX context"
glx() {
  if [ -n "${DISPLAY:-}" ]; then "$@"
  elif command -v xvfb-run >/dev/null 2>&1; then xvfb-run -a -s "-screen 0 640x480x24" "$@"
  elif [ "${LSGD_REQUIRE_GPU:-0}" = 1 ]; then echo "no DISPLAY and no xvfb-run: cannot test the GLX path" >&2; return 1
  else echo "(skipped: no DISPLAY and no xvfb-run)"; fi
}
glx go test -count=1 -run '^TestGLX$' -v ./gpu/internal/gldev | grep -E '^(--- |ok|FAIL|PASS)'
LSGD_DEVICE=glx glx go test -count=1 -run '^(TestGradient|TestProbe)$' ./gpu
echo "== go test, EGL-only build (tags noglfw,egl)"
env -u DISPLAY go test -count=1 -tags noglfw,egl ./gpu/internal/gldev
echo "== go test -race (packages without GL)"
go test -count=1 -race -timeout 30m $(go list ./... | grep -v -e /gpu -e /cmd/)
# cmd/lsgd-beam is its own module (Apache Beam stays out of lsgd's go.mod):
# ./... above does not reach it. Its go.sum pins every module, so this needs
# the module proxy but no checksum database; its tests run pipelines on
# Beam's in-process Prism runner.
echo "== cmd/lsgd-beam: vet and tests (Beam pipelines on Prism)"
(cd cmd/lsgd-beam && go vet ./... && go test -count=1 -timeout 20m ./...)
