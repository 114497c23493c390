#!/bin/bash
# The "Beyond memory" benchmark (BENCHMARKS.md): a float32 .npy larger than
# RAM, written block by block, read once by dd for the disk's rate, then
# lsgd train and lsgd solve on it with default flags, each under
# /usr/bin/time -v with its anonymous memory (RssAnon) sampled every 0.2 s.
# The file is deleted at the end. ROWS×(FEATURES+1)×4 bytes: 32 GB by default.
set -u
ROWS=${ROWS:-125000000} FEATURES=${FEATURES:-63}
F=${F:-/tmp/lsgd-beyond-memory.npy}
cd "$(dirname "$0")/.."
go build -o bin/lsgd ./cmd/lsgd && go build -o bin/npygen ./.ci/npygen || exit 1
trap 'rm -f "$F"' EXIT
peak() {
  /usr/bin/time -v nice bin/lsgd "$@" & local tp=$! mx=0 pid=""
  while kill -0 $tp 2>/dev/null; do
    [ -z "$pid" ] && pid=$(pgrep -P $tp)
    if [ -n "$pid" ]; then
      a=$(awk '/RssAnon/{print $2}' /proc/$pid/status 2>/dev/null)
      [ -n "$a" ] && [ "$a" -gt "$mx" ] && mx=$a
    fi
    sleep 0.2
  done
  wait $tp; echo "exit $? peak RssAnon ${mx} kB"
}
echo "== $(date -u) generate $ROWS×$((FEATURES+1)) float32"; nice bin/npygen "$ROWS" "$FEATURES" "$F" || exit 1
free -g; uptime
echo "== $(date -u) dd read rate"; nice dd if="$F" of=/dev/null bs=16M 2>&1 | tail -1
echo "== $(date -u) train"; peak train --data "$F" --backend cpu; uptime
echo "== $(date -u) solve"; peak solve --data "$F"; uptime
echo "== $(date -u) dd read rate again"; nice dd if="$F" of=/dev/null bs=16M 2>&1 | tail -1
