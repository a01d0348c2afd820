package models

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
	"github.com/dlgen/dlgen/rt"
)

// The building blocks of cnn.go, each on a tiny input between an input and a small
// classifier head, differentiated by autodiff and checked against finite differences
// with respect to every weight and the input (batch norm in training mode, on the
// batch's statistics). The whole models run forward and backward in zoo_test.go.
func TestCNNBlockGradients(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []int
		block func(x *nn.T) *nn.T
	}{
		{"a VGG block", []int{2, 6, 6}, func(x *nn.T) *nn.T { return vggBlock(x, "vgg", 3, 2) }},
		{"an Inception module", []int{2, 5, 5}, func(x *nn.T) *nn.T {
			return inceptionBlock(x, "inception", inceptionSizes{2, 2, 3, 1, 2, 2})
		}},
		{"a residual block with an identity shortcut", []int{3, 5, 5}, func(x *nn.T) *nn.T { return resBlock(x, "res", 3, 1) }},
		{"a residual block with a projection shortcut", []int{2, 5, 5}, func(x *nn.T) *nn.T { return resBlock(x, "res", 3, 2) }},
		{"a dense block and a transition", []int{2, 4, 4}, func(x *nn.T) *nn.T {
			return transition(denseBlock(x, "dense", 2, 2), "trans", 3)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("block")
			x := m.Input("image", tc.in...)
			logits := tc.block(x).GlobalAvgPool2D("gap").Dense("fc", 3)
			m.Output("logits", logits)
			m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, m.Labels("label"), nn.FromLogits))
			g, err := m.Build()
			require.NoError(t, err)
			g, err = passes.Lower(g, ir.ModeTrain)
			require.NoError(t, err)
			mach, err := interp.New(g, 4)
			require.NoError(t, err)
			const n = 3
			img := interp.NewTensor(append([]int{n}, tc.in...)...)
			for i := range img.Data {
				img.Data[i] = 2*rt.Uniform(9, 1, uint64(i)) - 1
			}
			feeds := map[string]*interp.Tensor{"image": img, "label": interp.FromData([]float64{0, 2, 1}, n)}
			res, err := gradcheck.Check(g, mach, feeds, "image")
			require.NoError(t, err)
			require.Len(t, res, len(g.Weights())+1)
			for _, r := range res {
				assert.Less(t, r.MaxRel, 1e-6, r.String())
			}
		})
	}
}

// A failed input reaches every block without a panic; Build reports the first error.
func TestCNNBlocksOnAFailedTensor(t *testing.T) {
	m := nn.New("m")
	bad := m.Input("image", 1, 4, 4).Conv2D("conv", 0, nn.K(3)) // 0 filters: an error
	for _, f := range []func(x *nn.T) *nn.T{
		func(x *nn.T) *nn.T { return vggBlock(x, "vgg", 2, 2) },
		func(x *nn.T) *nn.T { return inceptionBlock(x, "inc", inceptionSizes{1, 1, 1, 1, 1, 1}) },
		func(x *nn.T) *nn.T { return resBlock(x, "res", 2, 1) },
		func(x *nn.T) *nn.T { return transition(denseBlock(x, "dense", 2, 2), "trans", 2) },
	} {
		assert.NotPanics(t, func() { f(bad) })
	}
	_, err := m.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "conv (Conv2D)")
}
