#!/usr/bin/env bash
# One float32 matrix product, C = A·B (A m×k, B k×n, row-major), on this machine: dlgen's
# rt GEMM against onnxruntime's MatMul (MLAS) and torch.mm (Debian's torch over OpenBLAS),
# at 1 and 2 threads, for rt/GEMM.md ("onnxruntime and OpenBLAS on this machine").
#
#   bench/matmul.sh [--rounds N] [--repeats N] [--min-ms MS] [--threads "1 2"]
#                   [--wait-quiet] [--spin]
#
# Shapes (m×k×n): 256³, 512³, 1024³ and W1's first layer 64×784×128. Engines:
#   dlgen       rt's own benchmarks, `go test ./rt -bench`: BenchmarkGemm's square-512,
#               square-1024 and dense-64x784x128-NN (a new Pool per thread count, packs
#               B on every call); BenchmarkGemm has no 256³, so that row is
#               BenchmarkGemmKernels' square-256 with the active kernel, 1 thread only
#   ort         bench/js/matmul.js: onnxruntime-node, A and B both inputs (B packed
#               on every call, like dlgen)
#   ort-constB  the same with B an initializer (pre-packed once, as for a layer's weights)
#   torch       bench/torch/matmul.py: torch.mm(out=) under inference_mode
# Timing everywhere as `go test -bench -count R -benchtime T`: warm-up, then R repeats
# (default 5), each a block of calls lasting >= T (200 ms) giving the mean time per call;
# the cells are the median and the best GFLOP/s (2·m·n·k / time) over all repeats of all
# rounds, and in brackets the median cpu-GFLOP/s: the same flops over the CPU time the
# process used (all its threads), which, on this shared machine, does not count time spent
# descheduled, and at 2 threads falls below the wall figure by what the second thread
# adds. Rounds (default 1) are interleaved: round 1 of every engine, then round 2 ...
#
# --wait-quiet  before each engine, wait (at most 2 minutes) for the machine to be idle
# --spin        onnxruntime's and OpenMP's idle threads busy-wait (their defaults);
#               without it they sleep, as in bench/run.sh (see bench/README.md)
#
# Installs like bench/run.sh: npm ci in bench/js if onnxruntime-node is missing,
# bench/torch/setup.sh for torch and the unpacked OpenBLAS. Prints one markdown table;
# the raw output goes to bench/.work/matmul-<date>/ (git-ignored). Never run by go test.
set -uo pipefail

bench=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$bench/.." && pwd)
rounds=1 repeats=5 minms=200 threads="1 2" wait=0 spin=0
args="$*"
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift ;;
    --repeats) repeats=$2; shift ;;
    --min-ms) minms=$2; shift ;;
    --threads) threads=$2; shift ;;
    --wait-quiet) wait=1 ;;
    --spin) spin=1 ;;
    -h|--help) sed -n "2,/^set -uo/p" "$0" | grep "^#"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
shapes=256x256x256,512x512x512,1024x1024x1024,64x784x128
work=$bench/.work/matmul-$(date -u +%F)
rm -rf "$work" && mkdir -p "$work"
log() { echo "[matmul $(date -u +%T)] $*" >&2; }
lastline() { grep -v '^\s*$' "$1" | tail -1 | cut -c1-200; }
: > "$work/failures.txt"
fail() { echo "$1: $2" >> "$work/failures.txt"; log "$1: $2"; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- install / build -------------------------------------------------------------------
ok_js=0
log "installing onnxruntime-node (npm ci) if missing"
if ! command -v node >/dev/null; then
  fail ort "node is not installed"
elif (cd "$bench/js" && [ -d node_modules/onnxruntime-node ] ||
      ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >"$work/npm.log" 2>&1); then
  ok_js=1
else
  fail ort "npm ci failed: $(lastline "$work/npm.log")"
fi
log "installing torch and OpenBLAS (bench/torch/setup.sh) if missing"
ob=$("$bench/torch/setup.sh" 2>"$work/torch-setup.log") || { fail torch "setup failed: $(lastline "$work/torch-setup.log")"; ob=; }
log "building rt's test binary"
ok_go=0
# What is measured is what was built: note the commit (others commit while this runs).
built="$(cd "$root" && git rev-parse --short HEAD)$(cd "$root" &&
  [ -n "$(git status --porcelain --untracked-files=no -- rt)" ] && echo ' with rt/ modified')"
(cd "$root" && go test -c -o "$work/rt.test" ./rt >"$work/rt-build.log" 2>&1) && ok_go=1 ||
  fail dlgen "go test -c ./rt failed: $(lastline "$work/rt-build.log")"

# ---- measure ---------------------------------------------------------------------------
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
gobench() { # gobench OUT REGEXP: one rt benchmark run, appended to OUT
  (cd "$root/rt" && "$work/rt.test" -test.run '^$' -test.bench "$2" -test.count "$repeats" \
    -test.benchtime "${minms}ms" -test.timeout 0 >>"$1" 2>>"$1.err") || fail dlgen "exit $?: $(lastline "$1.err")"
}
for r in $(seq 1 "$rounds"); do
  if [ $ok_go = 1 ]; then
    waitquiet
    log "round $r/$rounds: dlgen"
    out=$work/dlgen_r$r.txt
    t_re=$(echo $threads | sed 's/ /|/g')
    gobench "$out" "^BenchmarkGemm\$/./^(square-(512|1024)|dense-64x784x128)-NN\$/^threads=($t_re)\$"
    # The 256³ row: BenchmarkGemmKernels with the kernel BenchmarkGemm used.
    kern=$(grep -m1 -o '^BenchmarkGemm/[^/]*' "$out" | cut -d/ -f2)
    case " $threads " in *" 1 "*) [ -n "$kern" ] && gobench "$out" "^BenchmarkGemmKernels\$/^$kern\$/^square-256-NN\$" ;; esac
    [ $r = 1 ] && gobench "$work/fma.txt" '^BenchmarkFMAPeak$'
  fi
  for t in $threads; do
    if [ $ok_js = 1 ]; then
      waitquiet
      log "round $r/$rounds, threads $t: onnxruntime"
      (cd "$bench/js" && node matmul.js --threads "$t" --repeats "$repeats" --minMs "$minms" --spin $spin \
        --shapes "$shapes" >>"$work/ort.jsonl" 2>"$work/ort_t${t}_r$r.err") ||
        fail "ort, $t threads" "exit $?: $(lastline "$work/ort_t${t}_r$r.err")"
    fi
    if [ -n "$ob" ]; then
      waitquiet
      log "round $r/$rounds, threads $t: torch"
      (cd "$bench/torch" && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH="$ob" OMP_NUM_THREADS="$t" \
        $([ $spin = 1 ] || echo OMP_WAIT_POLICY=PASSIVE) \
        /usr/bin/python3 matmul.py --threads "$t" --repeats "$repeats" --min-ms "$minms" --shapes "$shapes" \
        >>"$work/torch.jsonl" 2>"$work/torch_t${t}_r$r.err") ||
        fail "torch, $t threads" "exit $?: $(lastline "$work/torch_t${t}_r$r.err")"
    fi
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ----------------------------------------------------------------------------
echo '```'
lscpu | grep -i 'model name\|family\|Model:'
echo "load average (1, 5, 15 min): $load_start at start, $load_end at end"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), dlgen built at $built, $(go version | cut -d' ' -f3)"
echo "command: bench/matmul.sh${args:+ $args}"
echo '```'
python3 - "$work" "$threads" "$spin" <<'EOF'
import glob, json, os, re, statistics, sys
work, threads, spin = sys.argv[1], [int(t) for t in sys.argv[2].split()], sys.argv[3] == '1'
shapes = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (64, 784, 128)]
engines = ['dlgen', 'ort', 'ort-constB', 'torch']
runs = {}      # (engine, m, k, n, threads) -> list of (GFLOP/s, cpu-GFLOP/s)
errors = {}    # (engine, threads) or (engine, m, k, n, threads) -> reason
versions = {}
gore = re.compile(r'^Benchmark(?:Gemm|GemmKernels)/([^/]+)/(?:\w+-)?(\d+)x(\d+)x(\d+)-NN(?:/threads=(\d+))?-\d+\s.*?'
                  r'([\d.]+) GFLOP/s\s+([\d.]+) cpu-GFLOP/s')
sqre = re.compile(r'^Benchmark(?:Gemm|GemmKernels)/([^/]+)/square-(\d+)-NN(?:/threads=(\d+))?-\d+\s.*?'
                  r'([\d.]+) GFLOP/s\s+([\d.]+) cpu-GFLOP/s')
kernel = None
for f in sorted(glob.glob(os.path.join(work, 'dlgen_r*.txt'))):
    for line in open(f):
        m = gore.match(line)
        if m:
            kernel, (mm, kk, nn), t = m.group(1), map(int, m.group(2, 3, 4)), int(m.group(5) or 1)
            runs.setdefault(('dlgen', mm, kk, nn, t), []).append((float(m.group(6)), float(m.group(7))))
            continue
        m = sqre.match(line)
        if m:
            kernel, s, t = m.group(1), int(m.group(2)), int(m.group(3) or 1)
            runs.setdefault(('dlgen', s, s, s, t), []).append((float(m.group(4)), float(m.group(5))))
for f in ('ort.jsonl', 'torch.jsonl'):
    p = os.path.join(work, f)
    if not os.path.exists(p):
        continue
    for line in open(p):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        key = (r['engine'], r['m'], r['k'], r['n'], r['threads'])
        versions[r['engine']] = r.get('version', '?')
        if 'error' in r:
            errors[key] = r['error']
            continue
        fl = 2 * r['m'] * r['n'] * r['k']
        runs.setdefault(key, []).extend((fl / ms / 1e6, fl / c / 1e6) for ms, c in zip(r['ms'], r['cpuMs']))
fails = open(os.path.join(work, 'failures.txt')).read().strip()

def med(key):
    v = runs.get(key)
    return statistics.median(x[0] for x in v) if v else None

def cell(key):
    v = runs.get(key)
    if not v:
        e = errors.get(key)
        return 'n/a' + (': ' + e if e else '')
    return '%.1f / %.1f (%.1f)' % (med(key), max(x[0] for x in v), statistics.median(x[1] for x in v))

print()
print('GFLOP/s of C = A·B (float32, 2·m·n·k flops per call), median / best over the repeats, '
      'and in brackets the median cpu-GFLOP/s (the flops over the process\'s CPU time). '
      'Ratios are dlgen\'s median over the peer\'s median (above 1: dlgen is faster). '
      + ('Idle threads spin (engine defaults).' if spin else
         'Idle onnxruntime/OpenMP threads sleep (allow_spinning=0, OMP_WAIT_POLICY=PASSIVE).'))
print()
print('| m×k×n | threads | dlgen (rt, %s) | onnxruntime | onnxruntime, B constant | torch.mm (OpenBLAS) | dlgen/ort | dlgen/ort B const | dlgen/torch |'
      % (kernel or '?'))
print('|---|---|---|---|---|---|---|---|---|')
for m, k, n in shapes:
    for t in threads:
        row = ['%d×%d×%d' % (m, k, n), str(t)] + [cell((e, m, k, n, t)) for e in engines]
        d = med(('dlgen', m, k, n, t))
        for e in ('ort', 'ort-constB', 'torch'):
            p = med((e, m, k, n, t))
            row.append('%.2f' % (d / p) if d and p else '—')
        print('| ' + ' | '.join(row) + ' |')
print()
fma = [float(x) for x in re.findall(r'BenchmarkFMAPeak/zmm-\d+\s.*?([\d.]+) GFLOP/s',
                                   open(os.path.join(work, 'fma.txt')).read())] if os.path.exists(os.path.join(work, 'fma.txt')) else []
if fma:
    print('FMA peak of one core (rt BenchmarkFMAPeak/zmm, register-only FMAs): %.1f GFLOP/s median, %.1f best.'
          % (statistics.median(fma), max(fma)))
print('Versions: onnxruntime-node %s; torch %s.' % (versions.get('ort', '?'), versions.get('torch', '?')))
if not any(k[0] == 'dlgen' and k[1] == 256 and k[4] == 2 for k in runs):
    print('dlgen 256×256×256 at 2 threads: n/a, rt has no 2-thread 256³ benchmark (BenchmarkGemmKernels is 1 thread).')
if fails:
    print('Failures: ' + '; '.join(fails.splitlines()))
EOF
log "raw output in $work"
