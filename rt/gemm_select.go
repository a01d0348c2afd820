package rt

import "sync/atomic"

// allKernels lists every micro-kernel built for this architecture, fastest first,
// each marked with whether this CPU can run it; the portable Go kernel is last and
// always supported. activeKernel is the one Gemm and Pool use: the first supported
// one. Tests switch it to cover every path.
var (
	allKernels   = kernelList()
	activeKernel = firstSupported(allKernels)
)

func firstSupported(ks []*gemmKernel) *gemmKernel {
	for _, k := range ks {
		if k.supported {
			return k
		}
	}
	return &kernelGo
}

// wsFree is the free list of workspaces behind the package-level Gemm: a few slots
// taken and returned with one atomic swap each, cheaper than a channel or a mutex
// for the many tiny products of small models. Not a sync.Pool, because that drops
// its contents at every garbage collection and the next call would allocate
// megabytes again. The slot count bounds how many idle workspaces stay alive; a
// caller finding all slots empty (more concurrent Gemm calls than slots) allocates
// a fresh workspace, and one returned to full slots is dropped.
var wsFree [4]atomic.Pointer[workspace]

func getWorkspace() *workspace {
	for i := range wsFree {
		if ws := wsFree[i].Swap(nil); ws != nil {
			return ws
		}
	}
	return new(workspace)
}

func putWorkspace(ws *workspace) {
	for i := range wsFree {
		if wsFree[i].CompareAndSwap(nil, ws) {
			return
		}
	}
}
