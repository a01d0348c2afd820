package nn

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// AdaptiveAvgPool2D is PyTorch's AdaptiveAvgPool2d((oh, ow)): (N, C, H, W) → (N, C,
// oh, ow), output cell (i, j) the mean of input rows floor(i·H/oh) to
// ceil((i+1)·H/oh) - 1 and the columns likewise, as torchvision's VGG
// (AdaptiveAvgPool2d((7, 7))) and AlexNet use it. When oh divides H and ow divides W
// it is one AvgPool2D with window and stride (H/oh, W/ow); otherwise the windows
// differ in size (and overlap), and it is built per axis: the mean over each row
// window, then over each column window of those, which is the mean over the
// rectangle. oh and ow may exceed H and W (windows then repeat rows).
// AdaptiveAvgPool2D(name, 1, 1) is GlobalAvgPool2D without the flattening.
func (t *T) AdaptiveAvgPool2D(name string, oh, ow int) *T {
	return t.adaptivePool(name, "AdaptiveAvgPool2D", ir.OpAvgPool2D, oh, ow)
}

// AdaptiveMaxPool2D is PyTorch's AdaptiveMaxPool2d((oh, ow)): the windows of
// AdaptiveAvgPool2D, each giving its maximum (the maximum of the row windows'
// maxima). Equal maxima send the gradient to the first, as MaxPool2D's do.
func (t *T) AdaptiveMaxPool2D(name string, oh, ow int) *T {
	return t.adaptivePool(name, "AdaptiveMaxPool2D", ir.OpMaxPool2D, oh, ow)
}

func (t *T) adaptivePool(name, kind, op string, oh, ow int) *T {
	l := t.begin(name, kind, nil, 0)
	if l == nil {
		return t.failed()
	}
	x, ok := l.image(1, "", false)
	if !ok {
		return l.m.failed()
	}
	if oh < 1 || ow < 1 {
		return l.fail("output size %d×%d must be positive", oh, ow)
	}
	h, w := x[2], x[3]
	if h%oh == 0 && w%ow == 0 {
		k := []int{h / oh, w / ow}
		return l.result(l.op(op, "", ir.Attrs{Kernel: k, Strides: k, Pads: []int{0, 0, 0, 0}}, l.x(0)))
	}
	rows := l.adaptiveAxis(op, "rows", l.x(0), 2, h, oh)
	return l.result(l.adaptiveAxis(op, "", rows, 3, w, ow))
}

// adaptiveAxis pools node y along axis (2: rows, 3: columns) of size n into o
// adaptive windows, the other axis untouched, as node <layer>/suffix (the layer's
// own node when suffix is empty).
func (l *builder) adaptiveAxis(op, suffix string, y, axis, n, o int) int {
	window := func(k, s int) ir.Attrs {
		a := ir.Attrs{Kernel: []int{k, 1}, Strides: []int{s, 1}, Pads: []int{0, 0, 0, 0}}
		if axis == 3 {
			a.Kernel, a.Strides = []int{1, k}, []int{1, s}
		}
		return a
	}
	if n%o == 0 {
		return l.op(op, suffix, window(n/o, n/o), y)
	}
	parts := make([]int, o)
	for i := range o {
		lo, hi := i*n/o, ((i+1)*n+o-1)/o // floor(i·n/o), ceil((i+1)·n/o)
		part := fmt.Sprintf("%s%d", map[int]string{2: "row", 3: "col"}[axis], i)
		if suffix != "" {
			part = suffix + "/" + part
		}
		win := y
		if lo > 0 || hi < n {
			win = l.op(ir.OpSlice, part+"/in", ir.Attrs{Axis: axis, Start: lo, End: hi}, y)
		}
		parts[i] = l.op(op, part, window(hi-lo, 1), win)
	}
	return l.op(ir.OpConcat, suffix, ir.Attrs{Axis: axis}, parts...)
}
