#!/usr/bin/env bash
# dlgen's benchmark against its peers on workloads W1–W4 (shared/WORKLOADS.md), all in
# one run, so that the ratios compare numbers measured under the same machine load.
#
#   bench/run.sh [--quick] [--rounds N] [--repeats N] [--min-ms MS] [--threads "1 2"]
#                [--engines "dlgen onnxruntime torch ..."] [--wait-quiet] [--near] [--spin]
#
# --quick     dlgen, onnxruntime and torch only; 2 rounds of 3 repeats (about 3 minutes)
# default     every engine: dlgen onnxruntime torch tfjs-wasm tfjs-cpu gonum gorgonia gomlx;
#             2 rounds of 5 repeats (about 40 minutes, most of it tfjs-cpu training)
# --wait-quiet  before each engine, wait (at most 2 minutes) for the machine to be idle
# --near      before each run on more than one thread, wait (at most 10 minutes) until
#             bench/go/probe finds the first two CPUs near each other (sharing a cache);
#             every run records the probe before and after it either way, and the report
#             says which runs were near and which far (see bench/README.md, "Placement")
# --spin      let onnxruntime's and torch's (OpenMP) idle threads busy-wait, their
#             default; without it they sleep (allow_spinning 0, OMP_WAIT_POLICY=PASSIVE),
#             because on a shared 2-core machine spinning threads fight the other load
#             and make 2-thread runs up to 100x slower (see bench/README.md)
#
# Each engine installs itself first (npm ci, apt-get for torch, go test -c per Go module);
# one that cannot be installed, built or run is reported as "n/a: reason" in the tables,
# and the run goes on. Rounds are interleaved (round 1 of every engine, then round 2 …) so
# that a burst of load elsewhere hits all engines alike. The tables go to stdout and to
# bench/results/<date>[-quick][-N].md (-N: the Nth run of that day; earlier ones are kept),
# the raw numbers to bench/results/raw/<same name>/.
# Never run by `go test ./...` or CI: it is a script, and every Go module in bench/ is its
# own module, which the repository's ./... does not enter.
set -uo pipefail

bench=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$bench/.." && pwd)
quick=0 rounds= repeats= minms=200 threads="1 2" engines= wait=0 near=0 spin=0
args="$*"
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --rounds) rounds=$2; shift ;;
    --repeats) repeats=$2; shift ;;
    --min-ms) minms=$2; shift ;;
    --threads) threads=$2; shift ;;
    --engines) engines=$2; shift ;;
    --wait-quiet) wait=1 ;;
    --near) near=1 ;;
    --spin) spin=1 ;;
    -h|--help) sed -n "2,/^set -uo/p" "$0" | grep "^#"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ $quick = 1 ]; then
  : "${rounds:=2}" "${repeats:=3}" "${engines:=dlgen onnxruntime torch}"
  stem=$(date -u +%F)-quick
else
  : "${rounds:=2}" "${repeats:=5}" "${engines:=dlgen onnxruntime torch tfjs-wasm tfjs-cpu gonum gorgonia gomlx}"
  stem=$(date -u +%F)
fi
# A day's earlier results stay: the second run of a day writes <stem>-2, then -3 ...
if [ -e "$bench/results/$stem.md" ]; then
  i=2
  while [ -e "$bench/results/$stem-$i.md" ]; do i=$((i + 1)); done
  stem=$stem-$i
fi
for e in $engines; do
  case " dlgen onnxruntime torch tfjs-wasm tfjs-cpu gonum gorgonia gomlx " in
    *" $e "*) ;;
    *) echo "unknown engine $e (torch also runs torch-jit)" >&2; exit 2 ;;
  esac
done
work=$bench/.work/$stem
rm -rf "$work" && mkdir -p "$work"
failures=$work/failures.jsonl
: > "$failures"
log() { echo "[bench $(date -u +%T)] $*" >&2; }
# fail ENGINE THREADS REASON: record that an engine (at a thread count, or "null" for all)
# could not be installed, built or run.
fail() {
  python3 -c 'import json,sys; print(json.dumps({"engine": sys.argv[1], "threads": None if sys.argv[2] == "null" else int(sys.argv[2]), "error": sys.argv[3]}))' "$1" "$2" "$3" >> "$failures"
  log "$1 (threads $2): $3"
}
has() { case " $engines " in *" $1 "*) return 0 ;; esac; return 1; }
lastline() { grep -v '^\s*$' "$1" | tail -1 | cut -c1-300; }

# ---- install / build -------------------------------------------------------------------
ok_js=0
if has onnxruntime || has tfjs-wasm || has tfjs-cpu; then
  log "installing the JS peers (npm ci)"
  if ! command -v node >/dev/null; then
    for e in onnxruntime tfjs-wasm tfjs-cpu; do fail $e null "node is not installed"; done
  elif (cd "$bench/js" && [ -d node_modules/onnxruntime-node ] ||
        ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >"$work/npm.log" 2>&1); then
    ok_js=1
  else
    for e in onnxruntime tfjs-wasm tfjs-cpu; do fail $e null "npm ci failed: $(lastline "$work/npm.log")"; done
  fi
fi
ob=
if has torch; then
  log "installing the torch peer (python3-torch, OpenBLAS unpacked locally)"
  if ob=$("$bench/torch/setup.sh" 2>"$work/torch-setup.log"); then :; else
    fail torch null "setup failed: $(lastline "$work/torch-setup.log")"
    fail torch-jit null "setup failed: $(lastline "$work/torch-setup.log")"
    ob=
  fi
fi
declare -A gobin
build_go() { # build_go ENGINE [TAGS]: test binary into $work/ENGINE.test
  (cd "$bench/go/$1" && go test -c ${2:+-tags "$2"} -o "$work/$1.test" . >"$work/$1-build.log" 2>&1)
}
dlgen_missing=
for e in dlgen gonum gorgonia gomlx; do
  has $e || continue
  log "building the $e benchmark"
  if [ $e = dlgen ]; then
    # Leave out the workloads whose generated package is absent or does not build, and
    # tell the benchmark why (it reports them as n/a).
    tags=
    for spec in W1:mlp W2:lenet W3:lstm W4:convdae; do
      w=${spec%%:*} pkg=${spec#*:} tag=nodlgen_$(echo "$w" | tr W w)
      if ! ls "$root/generated/$pkg"/*.go >/dev/null 2>&1; then
        tags="$tags,$tag" dlgen_missing="$dlgen_missing$w=generated/$pkg does not exist yet;"
      fi
    done
    if ! build_go dlgen "${tags#,}"; then
      all="nodlgen_w1,nodlgen_w2,nodlgen_w3,nodlgen_w4"
      for w in W1 W2 W3 W4; do
        tag=nodlgen_$(echo "$w" | tr W w)
        case ",$tags," in *",$tag,"*) continue ;; esac
        if ! build_go dlgen "$(echo "$all" | sed "s/$tag//; s/,,/,/; s/^,//; s/,$//")"; then
          tags="$tags,$tag"
          dlgen_missing="$dlgen_missing$w=does not build: $(grep -m1 -E '\.go:[0-9]+' "$work/dlgen-build.log" | cut -c1-200);"
        fi
      done
      build_go dlgen "${tags#,}" || fail dlgen null "build failed: $(lastline "$work/dlgen-build.log")"
    fi
    [ -x "$work/dlgen.test" ] && gobin[dlgen]=$work/dlgen.test
    [ -n "$dlgen_missing" ] && log "dlgen workloads left out: $dlgen_missing"
  elif build_go $e; then
    gobin[$e]=$work/$e.test
  else
    fail $e null "build failed: $(lastline "$work/$e-build.log")"
  fi
done

log "building the placement probe"
probe=
if (cd "$bench/go/probe" && go build -o "$work/probe" . >"$work/probe-build.log" 2>&1); then
  probe=$work/probe
else
  log "the probe does not build, placement is not recorded: $(lastline "$work/probe-build.log")"
fi

# ---- measure ---------------------------------------------------------------------------
# placed: the probe's JSON line, or null without a probe.
placed() { if [ -n "$probe" ]; then "$probe" 2>/dev/null || echo null; else echo null; fi; }
# waitnear THREADS: with --near, wait until the probe finds the CPUs near (at most 10 min).
waitnear() {
  [ $near = 1 ] && [ "$1" -gt 1 ] && [ -n "$probe" ] || return 0
  local start=$SECONDS
  until "$probe" | grep -q '"near":true'; do
    if [ $((SECONDS - start)) -ge 600 ]; then
      log "the CPUs stayed far apart for 10 minutes; measuring anyway"
      return 0
    fi
    sleep 2
  done
}
waitquiet() {
  [ $wait = 1 ] || return 0
  python3 - <<'EOF'
import os, time
def busy():
    with open('/proc/stat') as f:
        v = list(map(int, f.readline().split()[1:]))
    return sum(v), sum(v) - v[3] - v[4]
t0, b0 = busy(); quiet = 0; start = time.time()
while quiet < 5 and time.time() - start < 120:
    time.sleep(1)
    t1, b1 = busy()
    quiet = quiet + 1 if (b1 - b0) / max(1, t1 - t0) * os.cpu_count() < 0.3 else 0
    t0, b0 = t1, b1
EOF
}
timeout_s=$([ $quick = 1 ] && echo 900 || echo 3600)
# run ENGINE THREADS ROUND: one process of one engine, repeats $repeats.
run() {
  local e=$1 t=$2 r=$3 out err rc before
  waitquiet
  waitnear "$t"
  before=$(placed)
  if [ -n "${gobin[$e]:-}" ]; then
    out=$work/go_${e}_t${t}_r${r}.txt err=$out.err
    (cd "$bench/go/$e" && DLGEN_BENCH_MISSING="$dlgen_missing" GOMAXPROCS=$t timeout -k 10 $timeout_s \
      "${gobin[$e]}" -test.run '^$' -test.bench '^BenchmarkWorkloads$' -test.benchmem \
      -test.count "$repeats" -test.benchtime "${minms}ms" -test.timeout 0 >"$out" 2>"$err")
  else
    out=$work/${e}_t${t}_r${r}.jsonl err=$out.err
    case $e in
      onnxruntime) (cd "$bench/js" && timeout -k 10 $timeout_s node ort.js --threads "$t" --repeats "$repeats" --minMs "$minms" \
                      --spin $spin >"$out" 2>"$err") ;;
      tfjs-*) (cd "$bench/js" && timeout -k 10 $timeout_s node tfjs.js --backend "${e#tfjs-}" --threads "$t" --repeats "$repeats" --minMs "$minms" >"$out" 2>"$err") ;;
      torch) (cd "$bench/torch" && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH="$ob" OMP_NUM_THREADS="$t" \
                $([ $spin = 1 ] || echo OMP_WAIT_POLICY=PASSIVE) \
                timeout -k 10 $timeout_s /usr/bin/python3 bench.py --threads "$t" --repeats "$repeats" --min-ms "$minms" >"$out" 2>"$err") ;;
    esac
  fi
  rc=$?
  echo "{\"engine\": \"$e\", \"threads\": $t, \"round\": $r, \"before\": $before, \"after\": $(placed)}" >>"$work/placement.jsonl"
  if [ $rc != 0 ]; then
    local why="exit $rc"
    [ $rc = 124 ] && why="timed out after ${timeout_s}s"
    fail "$e" "$t" "$why: $(lastline "$err" 2>/dev/null)"
    [ $e = torch ] && fail torch-jit "$t" "$why: $(lastline "$err" 2>/dev/null)"
  fi
}
runnable() {
  case $1 in
    onnxruntime|tfjs-*) [ $ok_js = 1 ] ;;
    torch) [ -n "$ob" ] ;;
    *) [ -n "${gobin[$1]:-}" ] ;;
  esac
}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$rounds"); do
  for t in $threads; do
    for e in $engines; do
      runnable "$e" || continue
      log "round $r/$rounds, threads $t: $e"
      run "$e" "$t" "$r"
    done
  done
done

# ---- report ----------------------------------------------------------------------------
python3 - "$work/env.json" <<EOF
import json, os, platform, subprocess, sys, time
def sh(c):
    try:
        return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception:
        return ''
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
engines = "$engines".split()
if 'torch' in engines:
    engines.append('torch-jit')
json.dump({
    'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
    'cpu': cpu, 'cpus': os.cpu_count(),
    'load_start': "$load_start", 'load_end': ' '.join(open('/proc/loadavg').read().split()[:3]),
    'mode': ('quick' if $quick else 'full') + ' mode: $rounds rounds x $repeats repeats, blocks of >= $minms ms; '
            + ('idle onnxruntime/OpenMP threads spin (engine defaults)' if $spin else
               'idle onnxruntime/OpenMP threads sleep (allow_spinning=0, OMP_WAIT_POLICY=PASSIVE)'),
    'repeats_text': '$rounds interleaved rounds x $repeats repeats (each repeat: mean of a block of calls lasting >= $minms ms)',
    'threads': [int(t) for t in "$threads".split()], 'engines': engines,
    'versions': {k: v for k, v in {
        'dlgen': 'at commit ' + sh('cd $root && git rev-parse --short HEAD')
                 + (' with uncommitted changes to the W1-W4 packages or rt/'
                    if sh('cd $root && git status --porcelain --untracked-files=no -- generated/mlp generated/lenet '
                          'generated/lstm generated/convdae rt') else '')
                 + ' (' + sh('go version').replace('go version ', '') + ')',
        'gonum': 'gonum.org/v1/gonum ' + sh("cd $bench/go/gonum && go list -m -f '{{.Version}}' gonum.org/v1/gonum"),
        'gorgonia': 'gorgonia.org/gorgonia ' + sh("cd $bench/go/gorgonia && go list -m -f '{{.Version}}' gorgonia.org/gorgonia"),
        'gomlx': 'github.com/gomlx/gomlx ' + sh("cd $bench/go/gomlx && go list -m -f '{{.Version}}' github.com/gomlx/gomlx") + ' (simplego backend)',
        'node': sh('node --version'),
    }.items() if k in engines or (k == 'node' and any(e in engines for e in ('onnxruntime', 'tfjs-cpu', 'tfjs-wasm')))},
}, open(sys.argv[1], 'w'), indent=1)
EOF
mkdir -p "$bench/results/raw"
rm -rf "$bench/results/raw/$stem"
mkdir -p "$bench/results/raw/$stem"
cp "$work"/*.jsonl "$work"/*.txt "$work/env.json" "$bench/results/raw/$stem/" 2>/dev/null
python3 "$bench/report.py" "$work" --command "bench/run.sh${args:+ $args}" | tee "$bench/results/$stem.md"
log "wrote bench/results/$stem.md and bench/results/raw/$stem/"
