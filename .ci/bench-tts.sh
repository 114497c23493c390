#!/usr/bin/env bash
# Time to solution at cond(X) 10, 1e2, 1e3 and 1e4 on 1M×32 float64 tables, lsgd beside the
# least-squares peers, in one run on one machine:
#
#   bash .ci/bench-tts.sh            (OUT=out/bench-tts ROWS=1000000 FEATURES=32 CONDS="10 100 1000 10000")
#
# For each condition number: lsgd gen writes the table (.npy, f64, intercept, noise 0.1, seed 1);
# lsgd train (default method, f64 and f32 on the CPU) and lsgd solve run REPS times each (the
# best compute time counts: `seconds` in their JSON, the file read excluded); then
# .ci/tts_peers.py times numpy lstsq, the normal equations, sklearn LinearRegression and Ridge
# (cholesky, lsqr) on the same file and scores every result against lstsq. Raw outputs go to
# $OUT; the tables are printed and written to $OUT/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
OUT=${OUT:-out/bench-tts}
ROWS=${ROWS:-1000000}
FEATURES=${FEATURES:-32}
CONDS=${CONDS:-"10 100 1000 10000"}
REPS=${REPS:-3}
mkdir -p "$OUT"
go build -o bin/lsgd ./cmd/lsgd
best() { # best run of an lsgd command's --json by its seconds
  local out=$1; shift
  local b=""
  for _ in $(seq "$REPS"); do
    "$@" --json > "$out.tmp" 2>/dev/null || true
    if [ -z "$b" ] || $PY -c "import json,sys; a=json.load(open('$out.tmp')); b=json.load(open('$out')); sys.exit(0 if a['seconds']<b['seconds'] else 1)"; then
      mv "$out.tmp" "$out"; b=1
    fi
  done
  rm -f "$out.tmp"
}
: > "$OUT/summary.txt"
{
  echo "time to solution, ${ROWS}×${FEATURES} f64, intercept; $(date -u +%FT%TZ); lsgd $(git rev-parse --short HEAD)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$OUT/summary.txt"
for c in $CONDS; do
  f="$OUT/c$c.npy"
  [ -f "$f" ] || bin/lsgd gen --rows "$ROWS" --features "$FEATURES" --cond "$c" --noise 0.1 --seed 1 --out "$f" >/dev/null
  best "$OUT/train-f64-c$c.json" bin/lsgd train --data "$f" --backend cpu
  best "$OUT/train-f32-c$c.json" bin/lsgd train --data "$f" --backend cpu --precision f32
  best "$OUT/solve-c$c.json" bin/lsgd solve --data "$f"
  {
    echo
    echo "== cond(X) = $c"
    $PY .ci/tts_peers.py "$f" --reps "$REPS" --coef "$OUT/train-f64-c$c.json" --coef "$OUT/train-f32-c$c.json" --coef "$OUT/solve-c$c.json"
    $PY - "$OUT/train-f64-c$c.json" "$OUT/train-f32-c$c.json" <<'PYEOF'
import json, sys
for f in sys.argv[1:]:
    r = json.load(open(f))
    print(f"  {r['precision']} train: {r['passes']:.1f} passes, {r['iterations']} iterations, converged {r['converged']} ({r['reason']}), error bound {r['error_bound']:.2g}, tol {r['tol']:.2g}")
PYEOF
  } | tee -a "$OUT/summary.txt"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/summary.txt"
