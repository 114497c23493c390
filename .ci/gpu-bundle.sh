#!/usr/bin/env bash
# Prepares lsgd's GPU check (.ci/gpu-check.sh) for a GPU server that has an NVIDIA driver but no
# display, no Go toolchain and no network. It adds, to this checkout (both paths are git-ignored):
#   bin/lsgd-egl      lsgd built for EGL alone (tags noglfw,egl; amd64): it links libEGL.so.1 and
#                     libGLdispatch.so.0 and no X11 or GLX library; bin/lsgd-egl.txt names the commit
#   .gl/*.deb         GLVND's EGL loader and dispatch library (libegl1, libglvnd0; Debian amd64), the
#                     pieces a bare driver install lacks; gpu-check.sh unpacks them when libEGL.so.1 is
#                     missing there
# Copy the checkout with them (or, with this workplace's device tool, carry ["bin", ".gl"]) and run
#   bash .ci/gpu-check.sh OUTDIR [--pack]
# in its root there. Needs: Go, gcc, libegl-dev (.ci/deps.sh installs them), apt-get for the download.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin .gl
GOOS=linux GOARCH=amd64 CGO_ENABLED=1 go build -trimpath -tags noglfw,egl -o bin/lsgd-egl ./cmd/lsgd
echo "$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (modified tree)'), built $(date -u +%FT%TZ)" >bin/lsgd-egl.txt
if ! ls .gl/libegl1_*.deb .gl/libglvnd0_*.deb >/dev/null 2>&1; then
  lists=$(mktemp -d)
  mkdir -p "$lists/partial"
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
  apt-get "${o[@]}" update -qq
  (cd .gl && apt-get "${o[@]}" download libegl1 libglvnd0)
  rm -rf "$lists"
fi
echo "bin/lsgd-egl needs:"
ldd bin/lsgd-egl | sed 's/^/  /'
du -ch bin/lsgd-egl .gl/*.deb | tail -n1 | awk '{print "bundle: " $1 " (bin/lsgd-egl and .gl/*.deb)"}'
