#!/usr/bin/env bash
# lsgd GPU check, meant to run from the bundle made by .ci/gpu-bundle.sh on a
# GPU server without a display: starts the bundled Xvfb, selects NVIDIA's GLX,
# then runs `lsgd devices`, `lsgd compare` and `lsgd bench` at 10M rows.
# Usage: ./run.sh OUTDIR [ROWS]    (about 5 minutes; every step has a time limit)
# Results: OUTDIR/{devices.txt,compare.json,compare.txt,bench-*.json,train-gpu.json,env.txt,log.txt}
set -uo pipefail
B=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?usage: run.sh OUTDIR [ROWS]}
ROWS=${2:-10000000}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
exec > >(tee -a "$OUT/log.txt") 2>&1

# Libraries: the server's NVIDIA driver first, then the bundle; the bundled GL
# dispatch libraries only when the server has none.
libpath="$B/lib"
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64; do
  [ -d "$d" ] && ls "$d"/libGLX_nvidia.so* >/dev/null 2>&1 && libpath="$d:$libpath"
done
if ! ldconfig -p 2>/dev/null | grep -q 'libGLX\.so\.0' && ! ls /usr/local/nvidia/lib64/libGLX.so.0 >/dev/null 2>&1; then
  libpath="$libpath:$B/lib/glvnd"
fi
export LD_LIBRARY_PATH="$libpath${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LIBGL_DRIVERS_PATH="$B/lib/dri"
export __GLX_VENDOR_LIBRARY_NAME=${__GLX_VENDOR_LIBRARY_NAME:-nvidia}

{ date -u; uname -a; nvidia-smi 2>&1 | head -20; echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"; } > "$OUT/env.txt"

# Xvfb looks for xkbcomp where it was built to (/usr/bin); put ours there if
# the server has none.
if ! [ -x /usr/bin/xkbcomp ] && [ -w /usr/bin ]; then cp "$B/bin/xkbcomp" /usr/bin/xkbcomp; fi
disp=:$((90 + RANDOM % 9))
"$B/bin/Xvfb" "$disp" -screen 0 1024x768x24 -nolisten tcp -xkbdir "$B/share/xkb" >"$OUT/xvfb.log" 2>&1 &
xpid=$!
trap 'kill $xpid 2>/dev/null' EXIT
export DISPLAY=$disp
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${disp#:}" ] && break; sleep 0.1; done

step() { # step NAME SECONDS CMD...
  local name=$1 secs=$2; shift 2
  echo "== $name: $*" >&2
  local t0=$SECONDS
  timeout "$secs" "$@"
  local rc=$?
  echo "== $name: exit $rc after $((SECONDS - t0)) s" >&2
}
L="$B/lsgd"
step devices 60 "$L" devices | tee "$OUT/devices.txt"
step compare 150 "$L" compare --rows "$ROWS" --features 32 --json >"$OUT/compare.json"
step compare-text 60 "$L" compare --rows 1000000 --features 32 | tee "$OUT/compare.txt"
# The automatic kernel choice (tiled on hardware for wide rows), then the
# row-per-invocation kernel forced, to compare the two variants.
step bench-gpu-128 90 "$L" bench --backend gpu --precision f32 --rows "$ROWS" --features 128 --json >"$OUT/bench-gpu-128.json"
step bench-gpu-128-rows 60 env LSGD_GL_KERNEL=rows "$L" bench --backend gpu --precision f32 --rows "$ROWS" --features 128 --json >"$OUT/bench-gpu-128-rows.json"
step bench-gpu-32 60 "$L" bench --backend gpu --precision f32 --rows "$ROWS" --features 32 --json >"$OUT/bench-gpu-32.json"
step bench-gpu-32-tiled 60 env LSGD_GL_KERNEL=tiled "$L" bench --backend gpu --precision f32 --rows "$ROWS" --features 32 --json >"$OUT/bench-gpu-32-tiled.json"
step bench-cpu-32 60 "$L" bench --backend cpu --precision f32 --rows "$ROWS" --features 32 --json >"$OUT/bench-cpu-32.json"
step gen 60 "$L" gen --rows 1000000 --features 32 --cond 10 --seed 1 --out "$OUT/demo.npy"
step train-gpu 60 "$L" train --backend gpu --data "$OUT/demo.npy" --verify --json >"$OUT/train-gpu.json"
rm -f "$OUT/demo.npy"
echo "results in $OUT"
