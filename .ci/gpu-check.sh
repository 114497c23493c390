#!/usr/bin/env bash
# lsgd's GPU check, for a GPU server with an NVIDIA driver and no X display: the OpenGL context
# comes from EGL (the driver's device platform), so no X server and no Mesa are needed.
#
#   bash .ci/gpu-bundle.sh               here: builds bin/lsgd-egl, fetches the loader packages to .gl/
#   bash .ci/gpu-check.sh OUTDIR [--pack] there, in the repository's root (about 5 minutes)
#
# It carries only what a bare GPU server lacks: GLVND's EGL loader and dispatch library
# (.gl/libegl1_*.deb, .gl/libglvnd0_*.deb, unpacked into / when libEGL.so.1 is missing and we are
# root), and points __EGL_VENDOR_LIBRARY_FILENAMES at the driver's EGL vendor file when the loader
# would not find it (/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json on the device
# machines here). bin/lsgd-egl is lsgd built with tags noglfw,egl: it links libEGL.so.1 and
# libGLdispatch.so.0 and no X11 library. With the device tool of this workplace:
#   run(command="bash .ci/gpu-check.sh $OUT --pack", carry=["bin", ".gl"], timeout_s=540)
#
# Steps, in this order (each has a time limit; STEPS selects, default all):
#   devices  lsgd devices (text and JSON): the EGL device, its renderer, memory, source
#   bench    lsgd bench --backend gpu at 10M×32 and 10M×128, f32 and f64, each gradient kernel
#            variant (LSGD_GL_KERNEL=rows, tiled) — against the device's own read probe
#   peers    .ci/gpu-peers.py: copy/read bandwidth, the PyTorch (and CuPy) gradient
#            X.T@(X@θ−y) at the same shapes, and, on the time-to-solution problem below,
#            torch.linalg.lstsq and the normal equations (f64, f32), H2D copy timed apart
#   tts      time to a certified 1e-6 solution at 10M×128: lsgd gen (f64, cond 10, no intercept),
#            lsgd train --backend gpu --precision f64 --tol 1e-6 (twice), then once with --verify
#            (the exact QR solution on the CPU, every coefficient within its certified bound)
#   compare  lsgd compare at 10M×128 (every backend, f32 on the GPU, agreement within derived
#            tolerances)
# Results: OUTDIR/summary.txt (the tables BENCHMARKS.md takes), OUTDIR/log.txt, OUTDIR/raw/ (every
# raw output; env.txt first) and OUTDIR/results.tar.gz (raw/ packed; --pack removes raw/ after, so
# that a tool returning few files gets everything in three).
# Environment: ROWS (10000000), REPS (5), STEPS, BUDGET (seconds for all steps, default 480: a step
# is cut to what is left and skipped under 15 s), LSGD (the binary; default bin/lsgd-egl, else
# bin/lsgd, else built with go when there is one), PY (python3), PEERS_ARGS (more arguments for
# gpu-peers.py: "--device cpu" tries the script where there is no GPU), DATA (where the 10 GB problem
# file goes; default a directory under /tmp).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: bash .ci/gpu-check.sh OUTDIR [--pack]}
PACK=${2:-}
ROWS=${ROWS:-10000000}
REPS=${REPS:-5}
BUDGET=${BUDGET:-480}
STEPS=" ${STEPS:-devices bench peers tts compare} "
PY=${PY:-python3}
mkdir -p "$OUT/raw"
OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw
exec > >(tee -a "$OUT/log.txt") 2>&1
T0=$SECONDS
want() { [[ "$STEPS" == *" $1 "* ]]; }

# --- the EGL loader, the driver's libraries, the vendor file -------------------------------------
if ! ldconfig -p 2>/dev/null | grep -q 'libEGL\.so\.1 '; then
  if ls .gl/*.deb >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "== unpacking $(ls .gl/*.deb | xargs -n1 basename | tr '\n' ' ')into /"
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    echo "== no libEGL.so.1 on this machine and no .gl/*.deb to unpack (or not root): lsgd will say why"
  fi
fi
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  if [ -e "$d/libEGL_nvidia.so.0" ] && ! ldconfig -p | grep -q libEGL_nvidia; then
    export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
done
nv_vendor=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
if [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -e "$nv_vendor" ] &&
   ! ls /usr/share/glvnd/egl_vendor.d/*nvidia*.json /etc/glvnd/egl_vendor.d/*nvidia*.json >/dev/null 2>&1; then
  export __EGL_VENDOR_LIBRARY_FILENAMES=$nv_vendor
fi

# --- the binary -----------------------------------------------------------------------------------
if [ -z "${LSGD:-}" ]; then
  for b in bin/lsgd-egl bin/lsgd; do [ -x "$b" ] && { LSGD=$b; break; }; done
fi
if [ -z "${LSGD:-}" ] && command -v go >/dev/null 2>&1; then
  go build -o bin/lsgd ./cmd/lsgd && LSGD=bin/lsgd
fi
if [ -z "${LSGD:-}" ]; then
  echo "no lsgd binary: run bash .ci/gpu-bundle.sh first and carry bin/ (or install Go)"; exit 1
fi

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "lsgd: $LSGD $(cat "$LSGD.txt" 2>/dev/null || git rev-parse --short HEAD 2>/dev/null)"
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  echo "__EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-}"
  echo "-- ldd $LSGD"; ldd "$LSGD" 2>&1
  echo "-- nvidia-smi"; nvidia-smi 2>&1 | head -20
  echo "-- EGL vendor files"; ls /usr/share/glvnd/egl_vendor.d /etc/glvnd/egl_vendor.d "$(dirname "$nv_vendor")" 2>&1
} >"$RAW/env.txt"
cat "$RAW/env.txt"
if ldd "$LSGD" | grep -q 'not found'; then
  echo "== $LSGD cannot load: $(ldd "$LSGD" | grep 'not found' | tr -s ' \t' ' ')"
fi

step() { # step NAME SECONDS OUTFILE CMD...: runs CMD with a time limit, stdout to OUTFILE
  local name=$1 secs=$2 out=$3; shift 3
  local left=$((BUDGET - (SECONDS - T0)))
  if [ $left -lt 15 ]; then echo "== $name: skipped (budget of $BUDGET s spent)"; return 124; fi
  [ $secs -gt $left ] && secs=$left
  echo "== $name ($((SECONDS - T0)) s in, limit $secs s): $*"
  local t=$SECONDS
  timeout "$secs" "$@" >"$out"
  local rc=$?
  echo "== $name: exit $rc after $((SECONDS - t)) s$([ $rc = 124 ] && echo " (time limit $secs s)")"
  return $rc
}

if want devices; then
  step devices 60 "$RAW/devices.txt" "$LSGD" devices && cat "$RAW/devices.txt"
  step devices-json 60 "$RAW/devices.json" "$LSGD" devices --json
fi

if want bench; then
  for d in 128 32; do
    for p in f32 f64; do
      for k in tiled rows; do
        step "bench $d $p $k" 75 "$RAW/bench-gpu-$d-$p-$k.json" env LSGD_GL_KERNEL=$k \
          "$LSGD" bench --backend gpu --precision $p --rows "$ROWS" --features $d --reps "$REPS" --json
      done
    done
  done
fi

DATA=${DATA:-$(mktemp -d /tmp/lsgd-gpu-check.XXXX)}
NPY=$DATA/tts-${ROWS}x128-f64.npy
if want tts || want peers; then
  step gen 150 "$RAW/gen.txt" "$LSGD" gen --rows "$ROWS" --features 128 --cond 10 --seed 1 --precision f64 --out "$NPY"
fi

if want peers; then
  npy=()
  [ -s "$NPY" ] && npy=(--npy "$NPY")
  step peers 150 "$RAW/peers.txt" env PYTHONUNBUFFERED=1 "$PY" .ci/gpu-peers.py --out "$RAW/peers.json" \
    --shapes "${ROWS}x32,${ROWS}x128" --reps 10 "${npy[@]}" ${PEERS_ARGS:-}
  cat "$RAW/peers.txt"
fi

if want tts && [ -s "$NPY" ]; then
  for r in 1 2; do
    step "train gpu f64 (run $r)" 90 "$RAW/train-gpu-f64-$r.json" "$LSGD" train --data "$NPY" --no-intercept \
      --backend gpu --precision f64 --tol 1e-6 --json
  done
  step "train gpu f64 --verify" 150 "$RAW/verify-gpu-f64.json" "$LSGD" train --data "$NPY" --no-intercept \
    --backend gpu --precision f64 --tol 1e-6 --verify --json
  # The same fit with a 1 GiB device budget: the 10 GB table streams through the ring of block
  # buffers every pass (issue: beyond device memory; target ≥ 1/1.3 of the host-to-device rate).
  step "train gpu f64 streamed" 150 "$RAW/train-gpu-f64-streamed.json" env LSGD_GL_MEMORY=1G "$LSGD" train \
    --data "$NPY" --no-intercept --backend gpu --precision f64 --tol 1e-6 --json
fi
rm -rf "$DATA"

if want compare; then
  step compare 180 "$RAW/compare-128.json" "$LSGD" compare --rows "$ROWS" --features 128 --json
fi

echo "== summary ($((SECONDS - T0)) s in)"
"$PY" - "$RAW" <<'EOF' | tee "$OUT/summary.txt"
import glob, json, os, statistics, sys
raw = sys.argv[1]
def load(name):
    try:
        with open(os.path.join(raw, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
print(open(os.path.join(raw, "env.txt")).read().split("-- ldd")[0].rstrip())
dev = load("devices.json") or {}
g = dev.get("gpu", {})
print(f"gpu: {g.get('renderer', 'none')} ({g.get('vendor', '')}), OpenGL {g.get('version', '')}, from {g.get('source', '-')}"
      + (f"; error: {g['error']}" if g.get("error") else ""))
for e in dev.get("devices", []):
    mem = f", {e['memory_bytes'] / 2**30:.0f} GiB" if e.get("memory_bytes") else ""
    print(f"  {e.get('device', '-'):<12} {e.get('source')}: " + (f"{e.get('renderer')}{mem}" if e.get("ok") else f"none ({e.get('error')})"))
peers = load("peers.json") or {}
copy = peers.get("copy_gbps")
print(f"\ndevice copy bandwidth (PyTorch dst.copy_(src), 4 GiB, read+write): {copy:.0f} GB/s; read (sum): {peers.get('read_gbps', 0):.0f} GB/s"
      if copy else "\ndevice copy bandwidth: not measured (peers did not run)")
print("\n== gradient pass, one full-batch Xᵀ(Xθ−y); GB/s = bytes of the table (X and y) / time; 'of copy' = GB/s / copy GB/s")
print("   lsgd: GL timer query, median of REPS; 'of probe' = lsgd's own coalesced read kernel on this device")
hdr = f"{'shape':<14}{'dtype':<6}{'implementation':<44}{'ms':>9}{'GB/s':>9}{'of copy':>9}{'of probe':>9}"
print(hdr); print("-" * len(hdr))
rows = []
for f in sorted(glob.glob(os.path.join(raw, "bench-gpu-*.json"))):
    r = load(os.path.basename(f))
    if not r:
        continue
    r = r[0] if isinstance(r, list) else r
    rows.append((r["rows"], r["features"], r["precision"], f"lsgd {r.get('kernel', '')}"[:43],
                 r["gradient_seconds"] * 1e3, r["gbps"], r.get("fraction_of_bandwidth")))
for p in peers.get("gradient", []):
    rows.append((p["rows"], p["features"], p["dtype"], p["impl"] + " X.T@(X@θ−y)", p["ms"], p["gbps"], None))
def count(n):
    return f"{n / 1e6:g}M" if n >= 10**6 else f"{n / 1e3:g}k"
for n, d, dt, name, ms, gbps, probe in sorted(rows, key=lambda r: (-r[1], r[2], -r[5])):
    oc = f"{gbps / copy:.2f}" if copy else "-"
    op = f"{probe:.2f}" if probe else "-"
    shape = f"{count(n)}×{d}"
    print(f"{shape:<14}{dt:<6}{name:<44}{ms:>9.3f}{gbps:>9.1f}{oc:>9}{op:>9}")
print("\n== time to a certified 1e-6 solution, the rows given ×128, f64 (lsgd gen --cond 10 --seed 1, no intercept)")
print("   lsgd: train --backend gpu --precision f64 --tol 1e-6, seconds as train reports them (upload, moments,")
print("   standardization, L estimate, iterations; not the file read); rel err from the --verify run (exact QR on the CPU).")
print("   peers: data already on the device (CUDA events, median of 3); '+H2D' adds the measured host-to-device copy.")
runs = [load(f"train-gpu-f64-{i}.json") for i in (1, 2)]
runs = [r for r in runs if r]
ver = load("verify-gpu-f64.json") or {}
ref = peers.get("ref_coef")
if runs:
    s = statistics.median(r["seconds"] for r in runs)
    err = ver.get("verify", {}).get("rel_err")
    vs = ""
    if ref and runs[0].get("coef"):
        c = runs[0]["coef"]
        num = sum((a - b) ** 2 for a, b in zip(c, ref)) ** 0.5
        den = sum(b * b for b in ref) ** 0.5
        vs = f", {num / den:.1e} vs torch's f64 QR"
    each = ", ".join("%.3f" % r["seconds"] for r in runs)
    errs = "-" if err is None else "%.1e" % err
    r0 = runs[0]
    print(f"  lsgd train gpu f64: {s:.3f} s ({each}), {r0['passes']} passes, {r0['iterations']} iterations, "
          f"{r0['reason']}; rel err {errs} (verify){vs}" + (f"; verify: {json.dumps(ver.get('verify'))}" if ver else ""))
else:
    print("  lsgd train: did not run or failed (see log.txt)")
if peers.get("h2d_seconds"):
    print(f"  host-to-device copy of the table (pageable): {peers['h2d_seconds']:.3f} s, {peers['h2d_gbps']:.1f} GB/s")
for r in peers.get("lstsq", []):
    print(f"  {r['route']:<38} {r['dtype']}: {r['seconds']:.4f} s (+H2D {r['seconds'] + peers.get('h2d_seconds', 0):.3f} s), rel err {r['rel_err_vs_f64_qr']:.1e}")
best = peers.get("fastest_1e-6")
if best and runs:
    s = statistics.median(r["seconds"] for r in runs)
    print(f"  fastest PyTorch route within 1e-6: {best['route']} {best['dtype']}, {best['seconds']:.4f} s on the device, "
          f"{best['seconds_with_h2d']:.3f} s with the copy; lsgd / that: {s / best['seconds']:.1f}× and {s / best['seconds_with_h2d']:.2f}×")
st = load("train-gpu-f64-streamed.json")
if st and peers.get("h2d_gbps"):
    gb = st.get("rows", 0) * 129 * 8 / 1e9  # the f64 table: 128 features and the target
    rate = st["passes"] * gb / st["seconds"]
    print(f"  streamed (LSGD_GL_MEMORY=1G): {st['seconds']:.3f} s, {st['passes']} passes, {rate:.1f} GB/s of table uploaded and read; "
          f"host-to-device copy {peers['h2d_gbps']:.1f} GB/s: {rate / peers['h2d_gbps']:.2f} of it; {st.get('reason')}")
elif st:
    print(f"  streamed (LSGD_GL_MEMORY=1G): {st['seconds']:.3f} s, {st['passes']} passes; {st.get('reason')}")
cmp = load("compare-128.json")
if cmp:
    print(f"\n== compare {cmp.get('problem', {}).get('source', '')}: agree = {cmp.get('agree')}")
    for c in cmp.get("checks", []):
        print(f"  {'ok  ' if c.get('pass') else 'FAIL'} {c.get('name'):<40} {c.get('value', 0):.2e} ≤ {c.get('tolerance', 0):.2e}")
    for b in ("cpu", "gpu"):
        if cmp.get(b):
            print(f"  {b}: {cmp[b].get('device')}: gradient {cmp[b].get('seconds', 0) * 1e3:.2f} ms")
    for n in cmp.get("notes", []):
        print(f"  note: {n}")
errs = peers.get("errors")
if errs:
    print("\npeers' errors:", json.dumps(errs)[:800])
EOF
tar -czf "$OUT/results.tar.gz" -C "$OUT" raw
[ "$PACK" = "--pack" ] && rm -rf "$RAW"
echo "results in $OUT ($((SECONDS - T0)) s)"
