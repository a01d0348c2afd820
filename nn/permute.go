package nn

import "github.com/dlgen/dlgen/ir"

// Permute reorders the axes of each example, Keras' Permute(dims): dims counts the
// axes after the batch from 1, and axis i of the result is the input's axis dims[i-1],
// so Permute("p", 2, 1) on (N, T, E) gives (N, E, T). In PyTorch it is
// x.permute(0, *dims). It is the layout change between channels-last data and
// dlgen's channels-first layers, as in a text CNN reading an Embedding's (N, T, E)
// output with Conv1D over the T steps:
//
//	h := ids.Embedding("embed", 5000, 64)   // (N, T, 64)
//	h = h.Permute("to_channels", 2, 1)      // (N, 64, T), PyTorch's .permute(0, 2, 1)
//	h = h.Conv1D("conv", 128, nn.K(5), nn.Act("relu")).GlobalMaxPool1D("pool")
//
// and Keras' GlobalAveragePooling1D over the steps of (N, T, F) is
// Permute(2, 1) then GlobalAvgPool1D. Its gradient is the inverse permutation.
func (t *T) Permute(name string, dims ...int) *T {
	l := t.begin(name, "Permute", nil, 0)
	if l == nil {
		return t.failed()
	}
	x := l.shapes()[0]
	// The batch is axis 0 of the permutation, so a 0 in dims repeats it.
	perm := append([]int{0}, dims...)
	if ir.CheckPerm(perm, x.Rank()) != nil {
		return l.fail("dims %s must be a permutation of the axes after the batch, 1 to %d, as in Keras' Permute", ints(dims), x.Rank()-1)
	}
	return l.result(l.op(ir.OpTranspose, "", ir.Attrs{Perm: perm}, l.x(0)))
}
