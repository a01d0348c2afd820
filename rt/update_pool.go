package rt

// Optimizer updates split across a Pool's threads.

// rangeUpdater is implemented by the optimizers whose update is element by
// element, so that parts of one parameter can be updated on different threads
// and give exactly the bits of one Update: SGD, Adam and AdamW. (The others would
// too; they just have not been given the method.)
type rangeUpdater interface {
	// updateRange applies one step to the elements lo … hi-1 of p, its
	// gradient g and its state (laid out as Update takes them), exactly as
	// Update computes those elements.
	updateRange(step uint64, p, g, state []float32, lo, hi int)
}

// updatePartMin is the fewest elements worth a part of their own: a part of a
// memory-bound update runs at about 10 elements per nanosecond, so 16,384 of them
// outlast the hand-over to a helper thread several times.
const updatePartMin = 1 << 14

// UpdateSplitMin is the least number of elements of a parameter UpdateP splits.
const UpdateSplitMin = 2 * updatePartMin

// updateJob is an update split by elements across a pool (UpdateP).
type updateJob struct {
	o           rangeUpdater
	step        uint64
	p, g, state []float32
	per, n      int
}

// UpdateP is o.Update(step, p, g, state) on the threads of pool (nil: one thread):
// a large parameter is cut into contiguous runs of elements, one per part, when o
// updates element by element; otherwise, and for small parameters, it is o.Update.
// The result is the same bit for bit for any number of threads.
func UpdateP(pool *Pool, o Optimizer, step uint64, p, g, state []float32) {
	r, ok := o.(rangeUpdater)
	if !ok || pool == nil || pool.Threads() == 1 || len(p) < UpdateSplitMin {
		o.Update(step, p, g, state)
		return
	}
	_ = g[len(p)-1]
	s := pool.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		panic("rt: optimizer update on a closed Pool")
	}
	parts := min(partsPerThread*len(s.ws), len(p)/updatePartMin)
	per := (len(p) + parts - 1) / parts
	per = (per + 63) &^ 63 // whole cache lines
	parts = (len(p) + per - 1) / per
	s.upd = updateJob{o: r, step: step, p: p, g: g, state: state, per: per, n: len(p)}
	s.updRun = true
	s.run(parts)
	s.upd, s.updRun = updateJob{}, false // drop the references to the caller's slices
}

// runUpdatePart updates part i of the update job.
func (s *poolState) runUpdatePart(i int) {
	j := &s.upd
	lo := i * j.per
	hi := min(j.n, lo+j.per)
	if lo < hi {
		j.o.updateRange(j.step, j.p, j.g, j.state, lo, hi)
	}
}
