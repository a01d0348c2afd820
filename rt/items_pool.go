package rt

// Whole calls split by items across a Pool's threads.

// itemsJob is a function run over ranges of items (Pool.Items).
type itemsJob struct {
	f      func(part, b0, b1 int)
	n, per int
}

// Items runs f over the items 0 … n-1 cut into contiguous ranges [b0, b1), one per
// thread, on the pool's threads (the caller's included), and returns when every
// range is done; part numbers the ranges from 0 (fewer than Threads()), so that f
// can give each its own working memory. With one thread, or one item, it is
// f(0, 0, n). It is for a whole
// computation whose items are independent, as a recurrent layer's Predict is: each
// thread runs every step for its own items, with no synchronisation per step.
//
// f runs while the pool is busy: it must not use the pool (its products must be
// single-threaded, as GemmP and GemmPackedP are with a nil pool), and ranges must
// write disjoint memory. f should be a value kept by the caller (a method value
// made once), since making it for each call allocates.
func (pl *Pool) Items(n int, f func(part, b0, b1 int)) {
	if pl == nil || len(pl.s.ws) == 1 || n < 2 {
		f(0, 0, n)
		return
	}
	s := pl.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		panic("rt: Items on a closed Pool")
	}
	parts := min(n, len(s.ws))
	per := (n + parts - 1) / parts
	parts = (n + per - 1) / per
	s.items = itemsJob{f: f, n: n, per: per}
	s.itemsRun = true
	s.run(parts)
	s.items, s.itemsRun = itemsJob{}, false // drop the reference to the caller's function
}

// runItemsPart runs part i of the items job.
func (s *poolState) runItemsPart(i int) {
	j := &s.items
	b0 := i * j.per
	if b1 := min(j.n, b0+j.per); b0 < b1 {
		j.f(i, b0, b1)
	}
}
