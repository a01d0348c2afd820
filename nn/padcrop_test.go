package nn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// The padding and cropping layers are one Pad2D node each (on the (N, C, 1, L) view
// for the 1-D ones); these tests read its pads {top, left, bottom, right}, negative
// for a crop, and the shapes.
func TestPaddingAndCroppingAmountsFollowNnPads(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dims  []int
		layer func(x *nn.T) *nn.T
		pads  []int
		want  ir.Shape
	}{
		{"ZeroPadding2D pads one on every side by default, as Keras", []int{1, 28, 28}, func(x *nn.T) *nn.T { return x.ZeroPadding2D("l") },
			[]int{1, 1, 1, 1}, ir.Shape{N, 1, 30, 30}},
		{"ZeroPadding2D(2) pads MNIST to 32×32", []int{1, 28, 28}, func(x *nn.T) *nn.T { return x.ZeroPadding2D("l", 2) },
			[]int{2, 2, 2, 2}, ir.Shape{N, 1, 32, 32}},
		{"ZeroPadding2D(h, w) pads rows and columns", []int{3, 4, 5}, func(x *nn.T) *nn.T { return x.ZeroPadding2D("l", 1, 3) },
			[]int{1, 3, 1, 3}, ir.Shape{N, 3, 6, 11}},
		{"ZeroPadding2D(top, left, bottom, right)", []int{3, 4, 5}, func(x *nn.T) *nn.T { return x.ZeroPadding2D("l", 1, 2, 3, 0) },
			[]int{1, 2, 3, 0}, ir.Shape{N, 3, 8, 7}},
		{"ZeroPadding2D(0) is allowed", []int{3, 4, 5}, func(x *nn.T) *nn.T { return x.ZeroPadding2D("l", 0) },
			[]int{0, 0, 0, 0}, ir.Shape{N, 3, 4, 5}},
		{"Cropping2D crops nothing by default, as Keras", []int{3, 4, 5}, func(x *nn.T) *nn.T { return x.Cropping2D("l") },
			[]int{0, 0, 0, 0}, ir.Shape{N, 3, 4, 5}},
		{"Cropping2D(2) crops 32×32 to 28×28", []int{1, 32, 32}, func(x *nn.T) *nn.T { return x.Cropping2D("l", 2) },
			[]int{-2, -2, -2, -2}, ir.Shape{N, 1, 28, 28}},
		{"Cropping2D(h, w)", []int{3, 6, 7}, func(x *nn.T) *nn.T { return x.Cropping2D("l", 2, 1) },
			[]int{-2, -1, -2, -1}, ir.Shape{N, 3, 2, 5}},
		{"Cropping2D(top, left, bottom, right) down to one row and column", []int{3, 6, 7}, func(x *nn.T) *nn.T { return x.Cropping2D("l", 2, 0, 3, 6) },
			[]int{-2, 0, -3, -6}, ir.Shape{N, 3, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			y := tc.layer(m.Input("x", tc.dims...))
			m.Output("y", y)
			g := build(t, m)
			n := node(t, g, "l")
			assert.Equal(t, ir.OpPad2D, n.Op)
			assert.Equal(t, tc.pads, n.Attrs.Pads)
			assert.Equal(t, tc.want, n.Shape)
			assert.Equal(t, tc.want, y.Shape())
		})
	}
}

func TestOneDPaddingAndCroppingPadTheView(t *testing.T) {
	for _, tc := range []struct {
		name        string
		layer       func(x *nn.T) *nn.T
		left, right int // of the Pad2D, negative for a crop
		out         int
	}{
		{"ZeroPadding1D pads one at each end by default", func(x *nn.T) *nn.T { return x.ZeroPadding1D("l") }, 1, 1, 9},
		{"ZeroPadding1D(p)", func(x *nn.T) *nn.T { return x.ZeroPadding1D("l", 3) }, 3, 3, 13},
		{"ZeroPadding1D(left, right)", func(x *nn.T) *nn.T { return x.ZeroPadding1D("l", 2, 0) }, 2, 0, 9},
		{"Cropping1D crops one from each end by default, as Keras", func(x *nn.T) *nn.T { return x.Cropping1D("l") }, -1, -1, 5},
		{"Cropping1D(c)", func(x *nn.T) *nn.T { return x.Cropping1D("l", 2) }, -2, -2, 3},
		{"Cropping1D(left, right) down to one step", func(x *nn.T) *nn.T { return x.Cropping1D("l", 0, 6) }, 0, -6, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			y := tc.layer(m.Input("x", 2, 7))
			m.Output("y", y)
			g := build(t, m)
			n := node(t, g, "l")
			assert.Equal(t, ir.OpPad2D, n.Op)
			assert.Equal(t, []int{0, tc.left, 0, tc.right}, n.Attrs.Pads)
			assert.Equal(t, ir.Shape{N, 2, 1, tc.out}, n.Shape)
			in := g.Nodes[n.Inputs[0]]
			assert.Equal(t, "l/in_2d", in.Name)
			assert.Equal(t, ir.Shape{N, 2, 1, 7}, in.Shape)
			assert.Equal(t, ir.Shape{N, 2, tc.out}, node(t, g, "l/out").Shape)
			assert.Equal(t, ir.Shape{N, 2, tc.out}, y.Shape())
		})
	}
}

func TestPaddingAndCroppingReportBadUse(t *testing.T) {
	img := func(f func(x *nn.T) *nn.T) func() *nn.Model {
		return func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, f(m.Input("x", 2, 4, 5)))
		}
	}
	seq := func(f func(x *nn.T) *nn.T) func() *nn.Model {
		return func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, f(m.Input("x", 2, 5)))
		}
	}
	for _, tc := range []struct {
		name  string
		model func() *nn.Model
		want  string
	}{
		{"a negative padding", img(func(x *nn.T) *nn.T { return x.ZeroPadding2D("p", 1, -1) }),
			"p (ZeroPadding2D) on input N×2×4×5: amounts (1, -1) must not be negative"},
		{"a negative crop", img(func(x *nn.T) *nn.T { return x.Cropping2D("p", 0, 0, -1, 0) }),
			"p (Cropping2D) on input N×2×4×5: amounts (0, 0, -1, 0) must not be negative"},
		{"three amounts", img(func(x *nn.T) *nn.T { return x.ZeroPadding2D("p", 1, 2, 3) }),
			"p (ZeroPadding2D) on input N×2×4×5: takes 1, 2 (h, w) or 4 (top, left, bottom, right) amounts, got 3"},
		{"five crops", img(func(x *nn.T) *nn.T { return x.Cropping2D("p", 1, 1, 1, 1, 1) }),
			"p (Cropping2D) on input N×2×4×5: takes 1, 2 (h, w) or 4 (top, left, bottom, right) amounts, got 5"},
		{"cropping every row", img(func(x *nn.T) *nn.T { return x.Cropping2D("p", 2, 0) }),
			"p (Cropping2D) on input N×2×4×5: cropping (2, 0, 2, 0) (top, left, bottom, right) leaves nothing of the 4×5 planes"},
		{"cropping every column", img(func(x *nn.T) *nn.T { return x.Cropping2D("p", 0, 1, 0, 4) }),
			"p (Cropping2D) on input N×2×4×5: cropping (0, 1, 0, 4) (top, left, bottom, right) leaves nothing of the 4×5 planes"},
		{"a sequence into ZeroPadding2D", seq(func(x *nn.T) *nn.T { return x.ZeroPadding2D("p") }),
			"p (ZeroPadding2D) on input N×2×5: needs an (N, C, H, W) input; for (N, C, L) sequences use ZeroPadding1D"},
		{"a sequence into Cropping2D", seq(func(x *nn.T) *nn.T { return x.Cropping2D("p", 1) }),
			"p (Cropping2D) on input N×2×5: needs an (N, C, H, W) input; for (N, C, L) sequences use Cropping1D"},
		{"an image into ZeroPadding1D", img(func(x *nn.T) *nn.T { return x.ZeroPadding1D("p") }),
			"p (ZeroPadding1D) on input N×2×4×5: needs an (N, C, L) input; for (N, C, H, W) images use ZeroPadding2D"},
		{"an image into Cropping1D", img(func(x *nn.T) *nn.T { return x.Cropping1D("p") }),
			"p (Cropping1D) on input N×2×4×5: needs an (N, C, L) input; for (N, C, H, W) images use Cropping2D"},
		{"a flat input", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 8).ZeroPadding1D("p"))
		}, "p (ZeroPadding1D) on input N×8: needs an (N, C, L) input"},
		{"four amounts on a 1-D layer", seq(func(x *nn.T) *nn.T { return x.ZeroPadding1D("p", 1, 1, 1, 1) }),
			"p (ZeroPadding1D) on input N×2×5: takes 1 or 2 (left, right) amounts, got 4"},
		{"a negative 1-D padding", seq(func(x *nn.T) *nn.T { return x.ZeroPadding1D("p", -2) }),
			"p (ZeroPadding1D) on input N×2×5: amounts (-2) must not be negative"},
		{"a negative 1-D crop", seq(func(x *nn.T) *nn.T { return x.Cropping1D("p", 1, -1) }),
			"p (Cropping1D) on input N×2×5: amounts (1, -1) must not be negative"},
		{"cropping the whole sequence", seq(func(x *nn.T) *nn.T { return x.Cropping1D("p", 3, 2) }),
			"p (Cropping1D) on input N×2×5: cropping (3, 2) (left, right) leaves nothing of length 5"},
		{"a name already used", img(func(x *nn.T) *nn.T { return x.ZeroPadding2D("p").Cropping2D("p") }),
			`p (Cropping2D) on input N×2×6×7: the name "p" is already used by another layer`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := tc.model().Build()
			require.Error(t, err)
			assert.Nil(t, g)
			assert.True(t, strings.Contains(err.Error(), tc.want), "error %q lacks %q", err, tc.want)
			var ie *ir.Error
			require.True(t, errors.As(err, &ie), "error %q is not an *ir.Error", err)
			assert.Equal(t, "p", ie.Layer)
		})
	}
}

func TestPaddingAndCroppingOnNilOrFailedTensorsDoNothing(t *testing.T) {
	var x *nn.T
	assert.Nil(t, x.ZeroPadding2D("a").Cropping2D("b").ZeroPadding1D("c").Cropping1D("d"))

	m := nn.New("m")
	h := m.Input("x", 2, 5, 5).Dense("bad", 0)
	first := m.Err()
	require.Error(t, first)
	h = h.ZeroPadding2D("a").Cropping2D("b").ZeroPadding1D("c").Cropping1D("d")
	assert.Nil(t, h.Shape())
	assert.Same(t, first, m.Err())
}
