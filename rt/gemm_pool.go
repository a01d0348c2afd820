package rt

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A Pool runs GEMMs on a fixed set of threads and owns one packing workspace per
// thread, so that a model can do all its matrix products without allocating.
//
// Generated code creates one Pool when the model is built and keeps it in the model
// struct for the model's lifetime:
//
//	type Model struct {
//		pool *rt.Pool // rt.NewPool(threads) in New; Close in Close
//		...
//	}
//	m.pool.Gemm(false, true, n, 128, 784, 1, x, 784, w, 784, 0, y, 128)
//
// After the first call of each shape the workspaces have reached their final size
// (at most a few MiB per thread, bounded by the kernel's cache blocks), and later
// calls allocate nothing. A Pool of one thread starts no goroutines.
//
// A Pool serialises its callers: concurrent calls are safe but do not overlap. The
// result does not depend on the number of threads: work is split on micro-tile
// boundaries, and every element of C is computed by the same instructions in the
// same order as in Gemm, so Pool.Gemm and Gemm agree bit for bit.
type Pool struct {
	s *poolState
}

type poolState struct {
	mu      sync.Mutex
	ws      []workspace // ws[i] belongs to thread i; thread 0 is the caller
	helpers []helper    // helpers[i-1] is thread i
	spin    bool        // 1 < threads ≤ GOMAXPROCS: a spinning waiter cannot hold up the thread it waits for
	// The job is cut into more parts than threads, and every thread, the caller
	// included, takes the next part until none is left (next holds the range of
	// parts not yet taken, left counts those not yet finished). When another process
	// holds one of the cores, the threads that do run take over its share, instead
	// of waiting for it at the end.
	//
	// The caller takes parts from the front of the range and the helpers from the
	// back, so that on two threads each keeps the same half of every job from one
	// call to the next, and with it the same half of the data in its own caches.
	// When both took from the front, which thread got which part was a race: the
	// MLP's TrainStep at n=64 on two threads took 0.203 ms, and 0.187 ms with the
	// halves kept (the mean of 8 alternating runs each; the other workloads did not
	// change beyond noise). The update of a weight, split by elements, then finds
	// the rows of its gradient where the product that wrote them ran.
	next   atomic.Int64
	left   atomic.Int64
	caller waiter // where the caller waits for the last part to finish
	job    gemmJob
	closed bool
	// convRun says the current job is conv (a convolution split by items,
	// conv_items.go) rather than job's product; job.nparts counts its parts.
	conv    convJob
	convRun bool
	// dotRun says the current job is dot (a filter gradient split by filters or
	// channels, conv_dot.go).
	dot    dotJob
	dotRun bool
	// dirRun says the current job is dir, one item's direct-path convolution
	// split by strips of positions (conv_direct.go).
	dir    directJob
	dirRun bool
	// updRun says the current job is upd, an optimizer update split by elements
	// (update_pool.go).
	upd    updateJob
	updRun bool
	// itemsRun says the current job is items, a function run over ranges of
	// items (items_pool.go).
	items    itemsJob
	itemsRun bool
}

// A waiter is a goroutine that waits for a flag by spinning for a short while and
// then parking on a channel. Spinning is what keeps a GEMM split across threads
// fast: a parked goroutine takes several microseconds to wake (a futex on an idle
// OS thread), as long as a whole 64×784×128 product. Back-to-back GEMMs of a
// forward or backward pass arrive well within the spin, and a pool left idle
// parks its threads after it. The protocol: the waiter sets parked and then
// re-checks its flag; the signaller sets the flag and then checks parked. With
// sequentially consistent atomics one of them sees the other's write, and the CAS
// on parked decides which side owns the wake-up token.
type waiter struct {
	parked atomic.Bool
	wake   chan struct{}
}

// helper is a pool thread other than the caller. job is 0 while idle, jobRun when
// there are parts to take and jobQuit when the pool is closing.
type helper struct {
	waiter
	job atomic.Int32
}

const (
	jobRun  = 1
	jobQuit = 2
)

// spinTime is how long a waiter spins before parking. It must outlast the gap
// between two GEMMs of a layer sequence plus the imbalance at the end of a call
// (a thread that finished early waits for the others' last parts): if it parks
// there, the next call starts without it, its parts go to the other threads, and
// the imbalance grows. 200µs of spinning, once after the last GEMM of a burst,
// costs little.
//
// The spin does not yield (runtime.Gosched). A yielded goroutine goes to the
// global run queue, from which the caller's processor may take it while the other
// processor sleeps; then the caller and the spinning helper share one thread and
// every serial step between two products runs at half speed. The MLP's TrainStep
// at n=64 on two threads (GOMAXPROCS=2) took 380 µs in about half the runs with a
// yielding spin, against 318 µs on one thread; without yielding it takes 231–233
// µs in every run. A waiter therefore holds its processor for at most spinTime,
// and spins only when the pool has no more threads than processors (NewPool).
//
// Each poll is followed by a PAUSE (spinPause), as spin loops should: it leaves the
// core's resources to a sibling hyper-thread and shows a hypervisor's pause-loop
// detection that the CPU is only waiting. On this machine it changes nothing
// measurable: in an A/B run of 40 alternations (W3's and W1's TrainStep on two
// threads), both builds took 0.61 and 0.20 ms while the VM was in its usual state
// and 1.28 and 0.35 ms while it was in the state where two threads are slower than
// one (codegen/PERF.md), with or without PAUSE.
const spinTime = 200 * time.Microsecond

// wait spins (when spin is set) and then parks until ready reports true.
func (w *waiter) wait(spin bool, ready func() bool) {
	if spin {
		start := time.Now()
		for i := 0; ; i++ {
			if ready() {
				return
			}
			spinPause()
			if i%64 == 63 && time.Since(start) > spinTime {
				break
			}
		}
	}
	w.parked.Store(true)
	if ready() && w.parked.CompareAndSwap(true, false) {
		return
	}
	<-w.wake
}

// signal wakes the waiter if it parked; the flag must already be set.
func (w *waiter) signal() {
	if w.parked.Load() && w.parked.CompareAndSwap(true, false) {
		w.wake <- struct{}{}
	}
}

// gemmJob is the call being run; parts[i] is the block of C thread i computes.
type gemmJob struct {
	kern           *gemmKernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	parts          []gemmPart
	nparts         int      // parts[:nparts] is the current job
	pb             *PackedB // B pre-packed (GemmPacked; packed.go), or nil
}

// gemmPart is the block C[m0:m1, n0:n1].
type gemmPart struct{ m0, m1, n0, n1 int }

// NewPool returns a pool of the given number of threads (the calling goroutine is
// one of them); threads ≤ 0 means runtime.GOMAXPROCS(0). Close stops its
// goroutines; a Pool that becomes unreachable is also stopped by the runtime.
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	s := &poolState{
		ws:      make([]workspace, threads),
		helpers: make([]helper, threads-1),
		spin:    threads > 1 && threads <= runtime.GOMAXPROCS(0),
	}
	s.caller.wake = make(chan struct{}, 1)
	parts := 1
	if threads > 1 {
		parts = partsPerThread * threads
	}
	s.job.parts = make([]gemmPart, parts)
	for i := range s.helpers {
		s.helpers[i].wake = make(chan struct{}, 1)
		go s.helper(i + 1)
	}
	p := &Pool{s: s}
	// The helpers reference only s, so p can become unreachable while they run.
	runtime.AddCleanup(p, (*poolState).close, s)
	return p
}

// Threads reports how many threads the pool computes on.
func (p *Pool) Threads() int { return len(p.s.ws) }

// Close stops the pool's goroutines. The Pool must not be used afterwards.
func (p *Pool) Close() { p.s.close() }

func (s *poolState) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	for i := range s.helpers {
		h := &s.helpers[i]
		h.job.Store(jobQuit)
		h.signal()
	}
}

func (s *poolState) helper(i int) {
	h := &s.helpers[i-1]
	ready := func() bool { return h.job.Load() != 0 }
	for {
		h.wait(s.spin, ready)
		// Taking the flag before the parts means a job posted while this helper
		// is still busy with the last one is not missed.
		if h.job.Swap(0) == jobQuit {
			return
		}
		s.work(i)
	}
}

// work computes parts of the current job on thread t until none is left to take.
//
// A helper that wakes late may reach next after the job is over, or after the
// caller has posted the next job. next only grows when the caller stores the new
// job's range [0, parts), after writing the job, and a part is taken by a
// compare-and-swap of the range it was read from, so a part taken belongs to a
// fully written job; a late helper of a finished job finds an empty range and
// touches nothing.
func (s *poolState) work(t int) {
	for {
		i, ok := s.take(t == 0)
		if !ok {
			return
		}
		s.runPart(t, i)
		if s.left.Add(-1) == 0 {
			s.caller.signal()
		}
	}
}

// take claims the next part of the job: the lowest one left for the caller
// (front), the highest for a helper. next holds the parts not yet taken as the
// range [lo, hi), lo in its high and hi in its low 32 bits.
func (s *poolState) take(front bool) (int, bool) {
	for {
		v := s.next.Load()
		lo, hi := v>>32, v&(1<<32-1)
		if lo >= hi {
			return 0, false
		}
		if front {
			if s.next.CompareAndSwap(v, (lo+1)<<32|hi) {
				return int(lo), true
			}
		} else if s.next.CompareAndSwap(v, lo<<32|(hi-1)) {
			return int(hi - 1), true
		}
	}
}

// runPart computes part i of the job with the workspace of thread t.
func (s *poolState) runPart(t, i int) {
	if s.convRun {
		s.runConvPart(t, i)
		return
	}
	if s.dotRun {
		s.runDotPart(t, i)
		return
	}
	if s.dirRun {
		s.runDirectPart(i)
		return
	}
	if s.updRun {
		s.runUpdatePart(i)
		return
	}
	if s.itemsRun {
		s.runItemsPart(i)
		return
	}
	j := &s.job
	pt := j.parts[i]
	if pt.m0 >= pt.m1 || pt.n0 >= pt.n1 {
		return
	}
	a := j.a
	if j.transA {
		a = a[pt.m0:]
	} else {
		a = a[pt.m0*j.lda:]
	}
	if j.pb != nil {
		s.ws[t].gemmPacked(j.transA, pt.m1-pt.m0, pt.n0, pt.n1-pt.n0, j.alpha, a, j.lda, j.pb, j.beta, j.c[pt.m0*j.ldc+pt.n0:], j.ldc)
		return
	}
	b := j.b
	if j.transB {
		b = b[pt.n0*j.ldb:]
	} else {
		b = b[pt.n0:]
	}
	s.ws[t].gemm(j.kern, j.transA, j.transB, pt.m1-pt.m0, pt.n1-pt.n0, j.k, j.alpha,
		a, j.lda, b, j.ldb, j.beta, j.c[pt.m0*j.ldc+pt.n0:], j.ldc)
}

// GemmP is Gemm computed on the threads of p; a nil p means Gemm itself.
func GemmP(p *Pool, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if p == nil {
		Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	p.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C exactly as the package-level Gemm
// does, split across the pool's threads.
func (p *Pool) Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	kern := activeKernel
	s.job = gemmJob{
		kern: kern, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc,
		parts: s.job.parts,
	}
	if s.closed {
		panic("rt: Gemm on a closed Pool")
	}
	used := splitGemm(s.job.parts, kern, m, n, k)
	s.fitParts(used)
	s.run(used)
	// Drop the references to the caller's matrices.
	s.job.a, s.job.b, s.job.c = nil, nil, nil
}

// fitParts sizes every thread's packing buffers for the largest of the first used
// parts of s.job, so that no thread grows a buffer while running them, whichever
// parts it takes (see workspace).
func (s *poolState) fitParts(used int) {
	j := &s.job
	na, nb := 0, 0
	for _, pt := range j.parts[:used] {
		var a, b int
		if j.pb != nil {
			a = packedPacking(j.pb, pt.m1-pt.m0, pt.n1-pt.n0)
		} else {
			a, b = gemmPacking(j.kern, j.transB, pt.m1-pt.m0, pt.n1-pt.n0, j.k)
		}
		na, nb = max(na, a), max(nb, b)
	}
	for t := range s.ws {
		s.ws[t].fit(na, nb)
	}
}

func (s *poolState) allDone() bool { return s.left.Load() == 0 }

// run runs the job just written (s.job or s.conv) in parts parts on the pool's
// threads, the caller's included, and returns when every part is done. The caller
// holds s.mu.
func (s *poolState) run(parts int) {
	s.job.nparts = parts
	s.left.Store(int64(parts))
	s.next.Store(int64(parts)) // [0, parts): publishes the job
	for i := range min(parts-1, len(s.helpers)) {
		h := &s.helpers[i]
		h.job.Store(jobRun)
		h.signal()
	}
	s.work(0)
	if s.left.Load() != 0 {
		s.caller.wait(s.spin, s.allDone)
	}
}

// partsPerThread is how many parts a job is cut into per thread: enough that the
// threads that run can take over from one that another process keeps off its
// core, few enough that packing A once per part stays cheap.
const partsPerThread = 2

// minFlopsPerPart is the least work, in multiply-adds, worth a part of its own: a
// wake-up, the wait at the end and each part's own packing cost a few
// microseconds. At 2¹⁷ (about 1.3 µs of kernel time) W3's step products (16×256×64)
// were split in two and its Predict ran 1.6 times slower on two threads than on one
// (0.57 against 0.35 ms), and ConvDAE's batch-1 Predict 1.9 times; at 2¹⁹ both
// match one thread, and every larger product still splits.
const minFlopsPerPart = 1 << 19

// splitGemm cuts the m×n output into at most len(parts) blocks on micro-tile
// boundaries and returns how many it filled. It picks the grid of tm×tn blocks
// with the smallest largest block (in micro-tiles), preferring to split n, since
// each part then packs a disjoint part of B, usually the larger operand to pack.
func splitGemm(parts []gemmPart, kern *gemmKernel, m, n, k int) int {
	mt := (m + kern.mr - 1) / kern.mr
	nt := (n + kern.nr - 1) / kern.nr
	threads := len(parts)
	if w := m * n * k / minFlopsPerPart; w < threads {
		threads = max(w, 1)
	}
	threads = min(threads, mt*nt)
	bestM, bestN, bestCost := 1, 1, mt*nt+1
	for tn := threads; tn >= 1; tn-- {
		tm := threads / tn
		if tm > mt || tn > nt {
			continue
		}
		cost := ((mt + tm - 1) / tm) * ((nt + tn - 1) / tn)
		if cost < bestCost {
			bestM, bestN, bestCost = tm, tn, cost
		}
	}
	i := 0
	for bm := 0; bm < bestM; bm++ {
		m0 := min(bm*mt/bestM*kern.mr, m)
		m1 := min((bm+1)*mt/bestM*kern.mr, m)
		for bn := 0; bn < bestN; bn++ {
			n0 := min(bn*nt/bestN*kern.nr, n)
			n1 := min((bn+1)*nt/bestN*kern.nr, n)
			parts[i] = gemmPart{m0, m1, n0, n1}
			i++
		}
	}
	return i
}
