package rt

import (
	"fmt"
	"runtime/debug"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// guarded returns n float32s that end exactly where an inaccessible page begins, so
// reading one value past them faults; they are unmapped when the test ends.
func guarded(t *testing.T, n int) []float32 {
	page := syscall.Getpagesize()
	size := (4*n+page-1)/page*page + page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	require.NoError(t, err)
	require.NoError(t, syscall.Mprotect(mem[size-page:], syscall.PROT_NONE))
	end := size - page
	t.Cleanup(func() { require.NoError(t, syscall.Munmap(mem)) })
	return unsafe.Slice((*float32)(unsafe.Pointer(&mem[end-4*n])), n)
}

// The vector steps read nothing past their slices: each slice (parameters,
// gradient, every state slot) ends at a page that faults when touched, for every
// variant and every length to 100 and two longer ones. (The sentinel test in
// optim_vec_test.go covers writes.)
func TestOptimizerKernelsReadNothingPastTheSlices(t *testing.T) {
	lengths := []int{257, 1000}
	for n := 1; n <= 100; n++ {
		lengths = append(lengths, n)
	}
	for _, c := range optimVecCases() {
		t.Run(c.name+" stays inside its slices", func(t *testing.T) {
			// A fault becomes a panic, recovered below; the setting is per goroutine.
			defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
			for _, n := range lengths {
				slice := func(k int, kind slotKind) []float32 {
					x := guarded(t, n)
					copy(x, optimVecData(n, k, kind))
					return x
				}
				p, g := slice(0, signedSlot), slice(1, signedSlot)
				state := make([][]float32, len(c.slots))
				for i, kind := range c.slots {
					if kind != absentSlot {
						state[i] = slice(2+i, kind)
					}
				}
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Fatalf("n=%d: %v", n, r)
						}
					}()
					c.run(true, p, g, state)
				}()
			}
		})
	}
	t.Run("the guard page faults", func(t *testing.T) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		x := guarded(t, 3)
		past := unsafe.Slice(&x[0], 4)
		require.Panics(t, func() { _ = fmt.Sprint(past[3]) })
	})
}
