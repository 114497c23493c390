#!/usr/bin/env bash
# lsgd beside its peers, in one run on one machine, then a side-by-side table.
#
#   bash .ci/bench-peers.sh            (or: make bench)
#
# Runs, in this order (so that each comparison is minutes apart at most —
# memory bandwidth on shared machines drifts 10–25 % from minute to minute):
#   1. stream.sh                       C read bandwidth (the floor of one pass over X)
#   2. lsgd bench                      gradient pass at 1M×32 and 1M×128, f32 and f64, CPU
#                                      (and the GPU backend, f32, when a GL context opens;
#                                      llvmpipe through EGL counts, labelled as software)
#   3. grad_bench.py                   numpy, PyTorch CPU, C read-sum and C fused, same shapes
#   4. lsgd bench                      again, to show the drift across the peers' run
#   5. time to 1e-6 relative error on the peers' own 1M×32 problem (make_problem, seed 0,
#      no intercept): lsgd train --tol 1e-6 --verify, and solve_bench.py (sklearn, lstsq,
#      normal equations, SGD, PyTorch GD/Adam)
# Raw outputs go to $OUT (default out/bench-peers); the summary is printed at the end and
# written to $OUT/summary.txt; "bash .ci/bench-peers.sh --summary" prints it again from the raw files.
#
# Environment: OUT, REPS (timed reps, default 7), PEERS (default ../shared/peers),
# SIZES (default "1000000x32 1000000x128"), SOLVE_SKIP (solve_bench --skip, default
# sgdgrid: its 18-fit grid takes many minutes), NO_GPU=1 to skip the GPU backend,
# TTS_N (rows of the time-to-solution problem, default 1000000; smaller only to try the script),
# STEPS (default "1 2 3 4 5": the sections to run; the summary shows what $OUT holds).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
PEERS=${PEERS:-../shared/peers}
OUT=${OUT:-out/bench-peers}
REPS=${REPS:-7}
SIZES=${SIZES:-"1000000x32 1000000x128"}
SOLVE_SKIP=${SOLVE_SKIP:-sgdgrid}
export TTS_N=${TTS_N:-1000000}
STEPS=" ${STEPS:-1 2 3 4 5} "
step() { [[ "$STEPS" == *" $1 "* ]]; }
mkdir -p "$OUT"
SUMMARY_ONLY=0
[ "${1:-}" = "--summary" ] && SUMMARY_ONLY=1 # re-print the summary of the last run in $OUT
if [ $SUMMARY_ONLY = 0 ]; then
step 1 && rm -f "$OUT/stream.txt"
step 2 && rm -f "$OUT"/lsgd-a-*.json
step 3 && rm -f "$OUT/grad_bench.txt"
step 4 && rm -f "$OUT"/lsgd-b-*.json
step 5 && rm -f "$OUT"/train-*.json "$OUT"/verify-*.json "$OUT/solve_bench.txt" "$OUT/train.err"
rm -f "$OUT/env.txt" "$OUT/summary.txt"

echo "== build"
go build -o bin/lsgd ./cmd/lsgd
LSGD=bin/lsgd

gl() { # run with a display: Xvfb (Mesa llvmpipe) when there is none
  if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
    xvfb-run -a -s "-screen 0 640x480x24" "$@"
  else
    "$@"
  fi
}

GPU=0
if [ -z "${NO_GPU:-}" ] && gl $LSGD bench --backend gpu --rows 10000 --features 8 --reps 1 >/dev/null 2>"$OUT/gpu-probe.err"; then
  GPU=1
fi
echo "gpu backend: $([ $GPU = 1 ] && echo yes || echo "no ($(tail -n1 "$OUT/gpu-probe.err"))")"

# OpenBLAS 0.3.21 does not recognise recent CPUs; with avx512f SkylakeX kernels are up to
# 2x faster for numpy's float32 gemv (peers/README.md). We use them when the CPU has it.
if grep -q avx512f /proc/cpuinfo && [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  export OPENBLAS_CORETYPE=SkylakeX
fi

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "go: $(go version)"
  echo "lsgd: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (modified tree)')"
  echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/env.txt"
cat "$OUT/env.txt"

if step 1; then
echo "== 1. stream.sh (C read bandwidth)"
bash "$PEERS/stream.sh" >"$OUT/stream.txt" 2>&1
grep -A5 '^threads=2' "$OUT/stream.txt" || true
fi

lsgd_bench() { # $1: tag
  for sz in $SIZES; do
    n=${sz%x*}; d=${sz#*x}
    for p in f32 f64; do
      echo "   lsgd bench cpu $p ${n}x$d"
      $LSGD bench --backend cpu --precision $p --rows "$n" --features "$d" --reps "$REPS" --json \
        >"$OUT/lsgd-$1-cpu-$p-$sz.json"
    done
    if [ $GPU = 1 ]; then
      echo "   lsgd bench gpu f32 ${n}x$d"
      gl $LSGD bench --backend gpu --precision f32 --rows "$n" --features "$d" --reps "$REPS" --json \
        >"$OUT/lsgd-$1-gpu-f32-$sz.json" 2>>"$OUT/gpu.err" || echo "   (gpu bench failed: see $OUT/gpu.err)"
    fi
  done
}

if step 2; then
echo "== 2. lsgd bench (before the peers)"
lsgd_bench a
fi

if step 3; then
echo "== 3. grad_bench.py (numpy, torch, C)"
$PY "$PEERS/grad_bench.py" --reps "$REPS" --sizes "$(echo $SIZES | tr ' ' ',')" --dtypes f32,f64 \
  >"$OUT/grad_bench.txt" 2>&1
grep -E '^(C |numpy|torch)' "$OUT/grad_bench.txt" || true
fi

if step 4; then
echo "== 4. lsgd bench (after the peers)"
lsgd_bench b
fi

if step 5; then
echo "== 5. time to 1e-6 relative error, n=$TTS_N, d=32 (the peers' problem)"
$PY - "$PEERS" "$OUT" "$TTS_N" <<'EOF'
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
from benchutil import make_problem
X32, y64, _ = make_problem(int(sys.argv[3]), 32)
for dt, X, y in (("f32", X32, y64.astype(np.float32)), ("f64", X32.astype(np.float64), y64)):
    np.save(f"{sys.argv[2]}/peers-1Mx32-{dt}.npy", np.ascontiguousarray(np.column_stack([X, y]).astype(X.dtype)))
EOF
# Timed runs are plain train (the table standardized in place, as users run it); one more run
# with --verify (which keeps the table intact, so it copies it first) gives the error.
train() { # $1 backend, $2 precision, $3 runs
  local run=""
  [ "$1" = gpu ] && run=gl
  for r in $(seq 1 "$3"); do
    echo "   lsgd train $1 $2 (run $r)"
    $run $LSGD train --data "$OUT/peers-1Mx32-$2.npy" --no-intercept --backend "$1" --precision "$2" --tol 1e-6 \
      --json >"$OUT/train-$1-$2-$r.json" 2>>"$OUT/train.err" || true
  done
  echo "   lsgd train $1 $2 --verify"
  $run $LSGD train --data "$OUT/peers-1Mx32-$2.npy" --no-intercept --backend "$1" --precision "$2" --tol 1e-6 \
    --verify --json >"$OUT/verify-$1-$2.json" 2>>"$OUT/train.err" || true
}
train cpu f64 3
train cpu f32 3
[ $GPU = 1 ] && train gpu f32 1
$PY "$PEERS/solve_bench.py" --reps 3 --n "$TTS_N" --d 32 --skip "$SOLVE_SKIP" >"$OUT/solve_bench.txt" 2>&1
rm -f "$OUT"/peers-1Mx32-*.npy
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"
fi

echo "== summary"
$PY - "$OUT" "$SIZES" <<'EOF' | tee "$OUT/summary.txt"
import glob, json, os, re, statistics, sys
out, sizes = sys.argv[1], sys.argv[2].split()

def lines(name):  # a raw output, or nothing when its step did not run
    try:
        return open(f"{out}/{name}").read().splitlines(keepends=True)
    except OSError:
        return []

print("".join(lines("env.txt")).rstrip())

# stream.sh: the 2-thread f32 read-sum is the floor for one pass over X.
stream = {}
block = None
for line in lines("stream.txt"):
    m = re.match(r"threads=(\d+)", line)
    if m:
        block = int(m.group(1))
    m = re.match(r"(read-sum f32 4 streams/thr|read-sum f32|read-sum f64|triad f64 \(3 arrays\))\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)", line)
    if m and block is not None and (block, m.group(1)) not in stream:
        stream[(block, m.group(1))] = (float(m.group(6)), int(m.group(8)))
print("\nstream.sh (1 GiB arrays, median GB/s, oth% = CPU used by other processes):")
for th in (2, 1):
    print("  %d threads: " % th + ", ".join(f"{k} {v[0]:.1f} (oth {v[1]}%)" for (t, k), v in stream.items() if t == th))

# grad_bench.py rows: name[:15] dtype[15:21] n d MB min med max eff xread floor oth check
peers = {}
for line in lines("grad_bench.txt"):
    name, rest = line[:15].strip(), line[15:].split()
    if name in ("C read-sum", "C read-sum x4", "numpy", "torch", "C fused", "C fused x4") and len(rest) >= 11:
        dt, n, d = rest[0], int(rest[1]), int(rest[2])
        key = (name, dt, n, d)
        if key in peers:  # the second "C read-sum", for drift
            key = (name + " (again)", dt, n, d)
        peers[key] = dict(med=float(rest[5]), eff=float(rest[7]), xread=float(rest[8]), oth=float(rest[10]))

def lsgd_rows(tag, backend, prec, sz):
    f = f"{out}/lsgd-{tag}-{backend}-{prec}-{sz}.json"
    if not os.path.exists(f) or os.path.getsize(f) == 0:
        return None
    r = json.load(open(f))
    return r[0] if isinstance(r, list) else r  # one size: one object

print("\n== gradient pass: one full-batch (2/n)·Xᵀ(Xθ−y); ms = median; passes/s = 1000/ms; GB/s = bytes of the table / ms.")
print("   'X read' = a read-only pass over the very same array in the same minute (peers: C read-sum, 1 stream/thread;")
print("   lsgd: cpu.ReadTable, the vector read kernel), the anchor for 'of X read'. A 1M-row table")
print("   partly fits this CPU's L3, so the same-data read beats the 256 MiB probe (lsgd 'probe') and the 1 GiB stream.sh.")
print("   lsgd reads X and y (d+1 columns); the peers' X is d columns and y a separate vector.")
print("   [oth N%]: other processes used N% of a core meanwhile (shown over 10%: suspect).")
print("   SOFTWARE: Mesa llvmpipe, the GL backend rendered on the CPU (not a GPU figure).")
hdr = (f"{'shape':<12}{'dtype':<6}{'implementation':<40}{'ms':>9}{'passes/s':>10}{'GB/s':>8}"
       f"{'X read':>9}{'of X read':>10}{'probe':>7}{'of probe':>9}")
print(hdr)
print("-" * len(hdr))
def f1(v):
    return f"{v:.1f}" if v else "-"
def pct(v):
    return f"{100*v:.0f}%" if v is not None else "-"
for sz in sizes:
    n, d = (int(v) for v in sz.split("x"))
    for dt in ("f32", "f64"):
        rows = []
        for tag, when in (("a", "before"), ("b", "after")):
            for backend in ("cpu", "gpu"):
                r = lsgd_rows(tag, backend, dt, sz)
                if r is None:
                    continue
                oth = r.get("other_cpu_percent")
                label = (f"lsgd {backend}" + (" [SOFTWARE]" if r.get("software") else "") + f" ({when})"
                         + (f" [oth {oth:.0f}%]" if oth is not None and oth > 10 else ""))
                rows.append((label, r["gradient_seconds"] * 1e3, r["gbps"], r.get("table_read_gbps"),
                             r.get("fraction_of_table_read"), r.get("read_gbps"), r.get("fraction_of_bandwidth")))
        for name in ("C fused", "C fused x4", "numpy", "torch", "C read-sum", "C read-sum x4", "C read-sum (again)"):
            p = peers.get((name, dt, n, d))
            if p:
                bw = peers.get(("C read-sum", dt, n, d), {}).get("eff")
                rows.append((name + (f" [oth {p['oth']:.0f}%]" if p["oth"] > 10 else ""), p["med"], p["eff"], bw,
                             p["xread"], None, None))
        for label, ms, gbps, xr, xfr, probe, pfr in rows:
            print(f"{sz:<12}{dt:<6}{label:<40}{ms:>9.2f}{1000/ms:>10.1f}{gbps:>8.1f}{f1(xr):>9}{pct(xfr):>10}"
                  f"{f1(probe):>7}{pct(pfr):>9}")
    print()

# Time to solution.
print(f"== time to 1e-6 relative error vs lstsq, n={os.environ.get('TTS_N', '1000000')}, d=32, no intercept (the peers' make_problem, seed 0)")
print("   lsgd: train --tol 1e-6 (Nesterov, step 1/L, restarts; median of 3 fits, 1 on llvmpipe; seconds include the")
print("   upload to the backend, statistics, standardization and L estimation, not the file read); relerr from one more")
print("   run with --verify; passes = reads of the table. Peers: solve_bench.py, median of 3.")
hdr = f"{'method':<40}{'dtype':<6}{'seconds':>9}{'relerr':>11}{'passes':>8}  note"
print(hdr)
print("-" * len(hdr))
for backend, dt in (("cpu", "f64"), ("cpu", "f32"), ("gpu", "f32")):
    runs = []
    for f in sorted(glob.glob(f"{out}/train-{backend}-{dt}-*.json")):
        try:
            runs.append(json.load(open(f)))
        except (ValueError, OSError):
            pass
    if not runs:
        continue
    secs = statistics.median(r["seconds"] for r in runs)
    r = runs[0]
    try:
        err = json.load(open(f"{out}/verify-{backend}-{dt}.json"))["verify"]["rel_err"]
    except (ValueError, OSError, KeyError):
        err = float("nan")
    sw = " [SOFTWARE]" if "software" in r.get("device", "") else ""
    print(f"{'lsgd train ' + backend + sw:<40}{dt:<6}{secs:>9.3f}{err:>11.2e}{r['passes']:>8.0f}  "
          f"{r['iterations']} iterations, {r['reason']}")
dt = None
for line in lines("solve_bench.txt"):
    m = re.match(r"== (f32|f64):", line)
    if m:
        dt = m.group(1)
        continue
    if dt and len(line) > 40 and line[34:39].strip() in ("f32", "f64"):
        rest = line[39:].split()
        try:
            med, err = float(rest[1]), float(rest[3])
        except (ValueError, IndexError):
            continue
        print(f"{line[:34].strip():<40}{line[34:39].strip():<6}{med:>9.3f}{err:>11.2e}{'':>8}  {' '.join(rest[5:])}")
    elif dt and line.startswith("  GD lr=1/L reaches"):
        print(f"{'  (torch GD lr=1/L: ' + dt + ')':<40}{line.strip()[len('GD lr=1/L '):]}")
EOF
