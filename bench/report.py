#!/usr/bin/env python3
"""Turns the raw results of one bench/run.sh run into markdown tables.

usage: report.py RAWDIR [--command TEXT] > results.md

RAWDIR holds what run.sh wrote:
  <engine>_t<threads>_r<round>.jsonl   JSON lines of the JS and torch harnesses
  go_<engine>_t<threads>_r<round>.txt  `go test -bench` output of the Go harnesses
  failures.jsonl                       engines that could not be installed, built or run
  placement.jsonl                      bench/go/probe's verdict before and after each run
  env.json                             machine, versions, options

Each cell is the median over every timed repeat of every round (each repeat is the mean
time per call of a block of calls, as `go test -bench -count` measures it); Go engines
add allocations per call in brackets. Ratio columns are peer/dlgen from this run:
above 1 means dlgen is faster.
"""
import glob
import json
import os
import re
import statistics
import sys

WORKLOADS = ['W1', 'W2', 'W3', 'W4']
BATCH = {'W1': 64, 'W2': 64, 'W3': 16, 'W4': 32}
CASES = ['infer_b1', 'infer_bN', 'train_bN']
ENGINES = ['dlgen', 'onnxruntime', 'torch', 'torch-jit', 'tfjs-wasm', 'tfjs-cpu', 'gonum', 'gorgonia', 'gomlx']
GO_ENGINES = {'dlgen', 'gonum', 'gorgonia', 'gomlx'}
LABEL = {'torch': 'torch eager', 'torch-jit': 'torch jit', 'onnxruntime': 'onnxruntime'}

GO_LINE = re.compile(r'^BenchmarkWorkloads/(W\d)/(\w+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+[\d.]+ B/op\s+([\d.]+) allocs/op)?')
GO_FAILED = re.compile(r'^FAILED BenchmarkWorkloads/(W\d)/(\w+): (.*)$')
GO_CHECK = re.compile(r'^CHECK BenchmarkWorkloads/(W\d)/(\w+) (\S+)$')


class Cell:
    def __init__(self):
        self.ms, self.rounds, self.allocs, self.errors, self.check = [], {}, [], [], None

    def add(self, rnd, ms):
        self.ms += ms
        self.rounds.setdefault(rnd, []).extend(ms)


def load(raw):
    cells = {}  # (engine, threads, workload, case) -> Cell
    failures = {}  # (engine, threads or None) -> reason
    engines_seen = set()

    def cell(e, t, w, c):
        engines_seen.add(e)
        return cells.setdefault((e, t, w, c), Cell())

    for path in sorted(glob.glob(os.path.join(raw, '*.jsonl'))):
        name = os.path.basename(path)
        if name == 'placement.jsonl':
            continue
        m = re.match(r'(.+)_t(\d+)_r(\d+)\.jsonl$', name)
        for line in open(path):
            line = line.strip()
            if not line.startswith('{'):
                continue
            r = json.loads(line)
            if name == 'failures.jsonl':
                failures[(r['engine'], r.get('threads'))] = r['error']
                engines_seen.add(r['engine'])
                continue
            c = cell(r['engine'], int(r['threads']), r['workload'], r['case'])
            if 'error' in r:
                c.errors.append(r['error'])
            else:
                c.add(int(m.group(3)) if m else 0, r['ms'])
                c.check = r.get('checksum', r.get('loss_first', c.check))
                c.version = r.get('version')
    for path in sorted(glob.glob(os.path.join(raw, 'go_*.txt'))):
        m = re.match(r'go_(.+)_t(\d+)_r(\d+)\.txt$', os.path.basename(path))
        e, t, rnd = m.group(1), int(m.group(2)), int(m.group(3))
        engines_seen.add(e)
        for line in open(path, errors='replace'):
            line = line.rstrip()
            g = GO_LINE.match(line)
            if g:
                c = cell(e, t, g.group(1), g.group(2))
                c.add(rnd, [float(g.group(3)) / 1e6])
                if g.group(4) is not None:
                    c.allocs.append(float(g.group(4)))
                continue
            g = GO_FAILED.match(line)
            if g:
                cell(e, t, g.group(1), g.group(2)).errors.append(g.group(3))
                continue
            g = GO_CHECK.match(line)
            if g:
                cell(e, t, g.group(1), g.group(2)).check = float(g.group(3))
    return cells, failures, engines_seen


def placement_text(raw):
    """The placement paragraph: for every run on more than one thread, whether the
    probe found the first two CPUs near (sharing a cache) before and after it."""
    path = os.path.join(raw, 'placement.jsonl')
    if not os.path.exists(path):
        return None
    runs = [json.loads(l) for l in open(path) if l.strip().startswith('{')]
    runs = [r for r in runs if r['threads'] > 1]
    if not runs:
        return None

    def state(p):
        if not p or p.get('near') is None:
            return '?'
        return '%s %.0f ns' % ('near' if p['near'] else 'far', p['roundtrip_ns'])

    far = [r for r in runs if any(p and p.get('near') is False for p in (r['before'], r['after']))]
    parts = ['%s r%d t%d %s → %s' % (LABEL.get(r['engine'], r['engine']), r['round'], r['threads'],
                                       state(r['before']), state(r['after'])) for r in runs]
    text = ('Placement (bench/go/probe: the median round trip of a cache line between two threads, '
            'called far above 250 ns: on the AMD EPYC VM about 50 ns when the two vCPUs shared a cache and '
            'about 310 ns when the host had put them apart, on the Intel Xeon VM 110-195 ns, one state; '
            'two-thread times are slower in the far state), before → after each run: ' +
            '; '.join(parts) + '. ')
    if far:
        text += ('%d of %d runs on several threads began or ended far: their columns mix the two '
                 'states (bench/run.sh --near waits for the near state).' % (len(far), len(runs)))
    else:
        text += 'Every run on several threads began and ended near.'
    return text


def fmt_ms(v):
    if v >= 100:
        return '%.0f' % v
    if v >= 10:
        return '%.1f' % v
    if v >= 1:
        return '%.2f' % v
    return '%.3g' % v


def short(reason, n=40):
    reason = ' '.join(str(reason).split())
    return reason if len(reason) <= n else reason[:n - 1] + '…'


def fmt_allocs(a):
    a = statistics.median(a)
    if a >= 1e6:
        return '%.1fM' % (a / 1e6)
    if a >= 1e4:
        return '%.0fk' % (a / 1e3)
    return '%.0f' % a


def main():
    args = sys.argv[1:]
    raw = args[0]
    command = args[args.index('--command') + 1] if '--command' in args else None
    cells, failures, seen = load(raw)
    env = {}
    if os.path.exists(os.path.join(raw, 'env.json')):
        env = json.load(open(os.path.join(raw, 'env.json')))
    engines = [e for e in ENGINES if e in seen or e in env.get('engines', [])]
    threads = sorted({k[1] for k in cells} | set(env.get('threads', [])))
    notes = []

    def median(e, t, w, c):
        x = cells.get((e, t, w, c))
        return statistics.median(x.ms) if x and x.ms else None

    def text(e, t, w, c):
        x = cells.get((e, t, w, c))
        if x and x.ms:
            s = fmt_ms(statistics.median(x.ms))
            if e in GO_ENGINES and x.allocs:
                s += ' [%s]' % fmt_allocs(x.allocs)
            return s
        reason = (x.errors[0] if x and x.errors else failures.get((e, t)) or failures.get((e, None))
                  or 'not measured')
        long = len(' '.join(reason.split())) > 40
        if long and reason not in notes:
            notes.append(reason)
        return 'n/a: ' + short(reason) + (' [%d]' % (notes.index(reason) + 1) if long else '')

    out = []
    p = out.append
    p('# dlgen vs peers: %s' % env.get('date', '?'))
    p('')
    if command:
        p('Command: `%s`' % command)
        p('')
    p('Machine: %s, %s logical CPUs; load average %s at start, %s at end. %s.' % (
        env.get('cpu', '?'), env.get('cpus', '?'), env.get('load_start', '?'), env.get('load_end', '?'),
        env.get('mode', '')))
    p('')
    p('Milliseconds per call: the median over %s. Go engines show allocations per call in '
      'brackets. Ratio columns are peer time / dlgen time measured in this same run: above 1 '
      'means dlgen is faster. Batch: W1 64, W2 64, W3 16, W4 32; "train" is one step of '
      'forward, backward and SGD (lr 0.01).' % env.get('repeats_text', 'all timed repeats'))
    p('')
    for t in threads:
        peers = [e for e in engines if e != 'dlgen']
        p('## %d thread%s (GOMAXPROCS=%d; intra-op threads %d)' % (t, '' if t == 1 else 's', t, t))
        p('')
        head = ['workload', 'case'] + [LABEL.get(e, e) + ' ms' for e in engines] + \
            ['%s/dlgen' % LABEL.get(e, e) for e in peers]
        p('| ' + ' | '.join(head) + ' |')
        p('|' + '---|' * 2 + '---:|' * (len(head) - 2))
        for w in WORKLOADS:
            for c in CASES:
                row = [w, c.replace('_bN', ' b%d' % BATCH[w]).replace('_b1', ' b1').replace('_', ' ')]
                row += [text(e, t, w, c) for e in engines]
                d = median('dlgen', t, w, c)
                for e in peers:
                    v = median(e, t, w, c)
                    row.append('%.2f×' % (v / d) if v and d else '—')
                p('| ' + ' | '.join(row) + ' |')
        p('')
    # Agreement of the engines' outputs (same weights, same inputs: same function).
    bad = []
    for (e, t, w, c), x in sorted(cells.items()):
        if x.check is None:
            continue
        ref = next((cells[(r, t, w, c)].check for r in ('torch', 'onnxruntime', 'dlgen')
                    if (r, t, w, c) in cells and cells[(r, t, w, c)].check is not None), None)
        if ref is not None and abs(x.check - ref) > 1e-4 * max(abs(ref), 1e-9):
            bad.append('%s %s %s t%d: %.9g vs %.9g' % (e, w, c, t, x.check, ref))
    p('Outputs: every engine\'s inference output checksum and first training loss %s.' % (
        'agree with torch\'s (or onnxruntime\'s) to 1e-4' if not bad else
        'were compared with torch\'s; DISAGREEING: ' + '; '.join(bad)))
    p('')
    # Noise: how far apart the rounds' medians were.
    spread = {}
    for (e, t, w, c), x in cells.items():
        meds = [statistics.median(v) for v in x.rounds.values() if v]
        if len(meds) > 1:
            spread.setdefault(e, []).append((max(meds) - min(meds)) / statistics.median(meds))
    if spread:
        p('Noise: per engine, the median over cases of (slowest − fastest round median) / median: ' +
          ', '.join('%s %.0f%%' % (LABEL.get(e, e), 100 * statistics.median(v))
                    for e, v in sorted(spread.items(), key=lambda kv: ENGINES.index(kv[0])
                                       if kv[0] in ENGINES else 99)) + '.')
        p('')
    pt = placement_text(raw)
    if pt:
        p(pt)
        p('')
    versions = env.get('versions', {})
    for (e, t, w, c), x in cells.items():
        if getattr(x, 'version', None):
            versions.setdefault(e, x.version)
    if versions:
        p('Versions: ' + '; '.join('%s %s' % (LABEL.get(e, e), v) for e, v in versions.items()) + '.')
        p('')
    if notes:
        p('Notes:')
        p('')
        for i, n in enumerate(notes):
            p('%d. %s' % (i + 1, ' '.join(n.split())))
        p('')
    print('\n'.join(out))


if __name__ == '__main__':
    main()
