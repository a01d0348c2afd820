#!/usr/bin/env bash
# A/B of two test binaries of the same package (e.g. go test -c before and after a
# change), on a shared machine: each pair runs old, new, old, new back to back, and
# a pair starts only when /proc/stat shows the CPUs at least MIN_IDLE % idle over one
# second. Each line: the time, the idle share just after the pair, and ns/op of the
# four runs. Usage:
#
#   bench/ab.sh OLD.test NEW.test 'Predict/n=1$' PAIRS [GOMAXPROCS]
#
# Environment: MIN_IDLE (default 93), BENCHTIME (default 200ms).
set -euo pipefail
old=$1 new=$2 re=$3 pairs=$4 procs=${5:-2}
min_idle=${MIN_IDLE:-93} benchtime=${BENCHTIME:-200ms}

idle() {
  local u n s i w x y z t1 i1
  read -r _ u n s i w x y z _ </proc/stat
  t1=$((u + n + s + i + w + x + y + z)) i1=$i
  sleep 1
  read -r _ u n s i w x y z _ </proc/stat
  echo $((100 * (i - i1) / (u + n + s + i + w + x + y + z - t1)))
}

run() {
  GOMAXPROCS=$procs "$1" -test.run '^$' -test.bench "$re" -test.benchtime "$benchtime" 2>&1 |
    awk '/ns\/op/ {print $3; exit}'
}

got=0
while [ "$got" -lt "$pairs" ]; do
  if [ "$(idle)" -lt "$min_idle" ]; then
    sleep 2
    continue
  fi
  line=""
  for b in old new old new; do
    bin=$old
    [ "$b" = new ] && bin=$new
    line="$line $b=$(run "$bin")"
  done
  echo "$(date +%T) idle_after=$(idle)$line"
  got=$((got + 1))
done
