#!/usr/bin/env bash
# Builds a self-contained bundle for running lsgd's GPU check on a GPU server
# that has an NVIDIA driver but no display, no Go toolchain and no internet
# (e.g. an H200 machine). Output: .bundle/ (or $1) holding
#   lsgd            the command, built here with cgo (GLFW + go-gl)
#   run.sh          the check: devices, compare and bench at 10M rows → OUTDIR
#   bin/Xvfb, bin/xkbcomp, share/xkb/   a virtual X server and its keymaps
#   lib/            every shared library lsgd, Xvfb and xkbcomp load, with
#                   lib/glvnd/ (the GL dispatch libraries, used only where
#                   the server has none) and lib/dri/ (Mesa, for Xvfb's GLX)
# Copy the folder to the server and run `./run.sh OUTDIR` there; it selects
# NVIDIA's GLX with __GLX_VENDOR_LIBRARY_NAME=nvidia.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.bundle}
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib/glvnd" "$out/lib/dri" "$out/share"

go build -trimpath -o "$out/lsgd" ./cmd/lsgd
cp "$(command -v Xvfb)" "$out/bin/"
cp "$(command -v xkbcomp)" "$out/bin/"
cp -rL /usr/share/X11/xkb "$out/share/xkb"
cp -L /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so "$out/lib/dri/" 2>/dev/null || true

# The dynamic-library closure of each program, glibc excluded (the server's
# own C library is used: it is at least as new as Debian 12's on any current
# distribution). GL dispatch libraries go to lib/glvnd.
glvnd='libGL\.so|libGLX\.so|libGLdispatch\.so|libOpenGL\.so|libEGL\.so'
skip='linux-vdso|ld-linux|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so'
for prog in "$out/lsgd" "$out/bin/Xvfb" "$out/bin/xkbcomp" "$out"/lib/dri/*.so; do
  [ -e "$prog" ] || continue
  ldd "$prog" | awk '/=>/ {print $3}' | while read -r lib; do
    [ -n "$lib" ] && [ -e "$lib" ] || continue
    base=$(basename "$lib")
    if echo "$base" | grep -Eq "$skip"; then continue; fi
    if echo "$base" | grep -Eq "$glvnd"; then cp -nL "$lib" "$out/lib/glvnd/"; else cp -nL "$lib" "$out/lib/"; fi
  done
done
cp .ci/gpu-check.sh "$out/run.sh"
chmod +x "$out/run.sh"
du -sh "$out" | awk '{print "bundle: " $2 " (" $1 ")"}'
