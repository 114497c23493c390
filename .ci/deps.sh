#!/usr/bin/env bash
# Installs what building and testing lsgd needs on a Debian/Ubuntu machine,
# skipping whatever is already there:
#   - C toolchain, X11 and GL headers for the cgo build of GLFW and go-gl,
#   - EGL (GLVND's libEGL and Mesa's EGL vendor library): the GPU tests get
#     their OpenGL context from EGL on Mesa llvmpipe, which runs the compute
#     shaders on the CPU, with no X server; libegl-dev for the EGL-only
#     build of the GPU-server bundle (go build -tags noglfw,egl),
#   - Xvfb, for the one test that keeps the GLX (GLFW) path alive,
#   - Go (the version go.mod names), fetched from the Go module proxy into
#     ~/.cache/lsgd/go when the machine has none or an older one.
# Prints the Go binary's directory on its last line (the Makefile puts it
# first on PATH).
set -euo pipefail

pkgs=(gcc libc6-dev pkg-config xvfb xauth libgl1-mesa-dri libgl-dev libegl1 libegl-mesa0 libegl-dev
      libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev curl unzip ca-certificates)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
want=$(awk '/^go [0-9]/ {print $2; exit}' "$root/go.mod")
have=""
if command -v go >/dev/null 2>&1; then
  have=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
fi
# newer_or_equal A B: A ≥ B as dotted versions.
newer_or_equal() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; }
if [ -n "$have" ] && newer_or_equal "$have" "$want"; then
  dirname "$(command -v go)"
  exit 0
fi
dest="${HOME}/.cache/lsgd/go$want"
if [ ! -x "$dest/bin/go" ]; then
  arch=$(dpkg --print-architecture)
  url="https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go${want}.linux-${arch}.zip"
  echo "deps: fetching Go $want from $url" >&2
  tmp=$(mktemp -d)
  curl -fsSL -o "$tmp/go.zip" "$url"
  unzip -q "$tmp/go.zip" -d "$tmp"
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest"
  mv "$tmp/golang.org/toolchain@v0.0.1-go${want}.linux-${arch}" "$dest"
  chmod +x "$dest"/bin/* "$dest"/pkg/tool/*/* 2>/dev/null || true
  rm -rf "$tmp"
fi
echo "$dest/bin"
