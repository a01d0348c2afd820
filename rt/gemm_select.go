package rt

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

// wsFree is the free list of workspaces behind the package-level Gemm. A channel
// rather than a sync.Pool, because a sync.Pool drops its contents at every garbage
// collection and the next call would allocate megabytes again. Its capacity bounds
// how many idle workspaces stay alive; a caller finding it empty (more concurrent
// Gemm calls than that) allocates a fresh one.
var wsFree = make(chan *workspace, 4)

func getWorkspace() *workspace {
	select {
	case ws := <-wsFree:
		return ws
	default:
		return new(workspace)
	}
}

func putWorkspace(ws *workspace) {
	select {
	case wsFree <- ws:
	default:
	}
}
