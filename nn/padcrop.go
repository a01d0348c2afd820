package nn

import "github.com/dlgen/dlgen/ir"

// Zero padding and cropping of images (N, C, H, W) and sequences (N, C, L), Keras'
// ZeroPadding2D, Cropping2D, ZeroPadding1D and Cropping1D in dlgen's channels-first
// layout (PyTorch's nn.ZeroPad2d, F.pad and slicing). All four are the op Pad2D:
// cropping is padding by negative amounts, as in F.pad, and the 1-D layers pad the
// (N, C, 1, L) view of their input, as the other 1-D layers do. The amounts follow
// nn.Pads: one value for every side; two, (h, w), for the rows above and below and
// the columns left and right; four, (top, left, bottom, right); on the 1-D layers one
// value for both ends or two, (left, right). (Keras writes four amounts
// ((top, bottom), (left, right)), F.pad (left, right, top, bottom).)

// ZeroPadding2D adds rows and columns of zeros around each (H, W) plane of an (N, C,
// H, W) input: ZeroPadding2D(name) one on every side (Keras' default),
// ZeroPadding2D(name, p) p on every side, (name, h, w) h rows above and below and w
// columns left and right, (name, top, left, bottom, right) each side its own, the
// order of nn.Pads. The result is (N, C, H+top+bottom, W+left+right):
//
//	x = x.ZeroPadding2D("pad", 2) // MNIST 28×28 → 32×32
func (t *T) ZeroPadding2D(name string, pad ...int) *T {
	return t.padCrop2D(name, "ZeroPadding2D", pad, []int{1}, 1)
}

// Cropping2D removes rows and columns from the borders of each (H, W) plane of an
// (N, C, H, W) input, with amounts as ZeroPadding2D's: (name, c) c from every side,
// (name, h, w), or (name, top, left, bottom, right). Cropping2D(name) crops nothing
// (Keras' default). At least one row and one column must remain.
//
//	x = x.Cropping2D("crop", 2) // 32×32 → 28×28
func (t *T) Cropping2D(name string, crop ...int) *T {
	return t.padCrop2D(name, "Cropping2D", crop, []int{0}, -1)
}

// ZeroPadding1D adds zeros at both ends of each sequence of an (N, C, L) input:
// ZeroPadding1D(name) one at each end (Keras' default), (name, p) p at each end,
// (name, left, right) each end its own; the result is (N, C, L+left+right). (Keras'
// ZeroPadding1D pads the steps of (N, L, C); dlgen's sequences are (N, C, L), as
// Conv1D reads them.)
func (t *T) ZeroPadding1D(name string, pad ...int) *T {
	return t.padCrop1D(name, "ZeroPadding1D", pad, []int{1}, 1)
}

// Cropping1D removes steps from both ends of each sequence of an (N, C, L) input:
// Cropping1D(name) one from each end (Keras' default), (name, c) c from each end,
// (name, left, right) each end its own. At least one step must remain.
func (t *T) Cropping1D(name string, crop ...int) *T {
	return t.padCrop1D(name, "Cropping1D", crop, []int{1}, -1)
}

// padCrop2D builds ZeroPadding2D (sign 1) or Cropping2D (sign -1) with the amounts
// given (def if none) as one Pad2D node named after the layer.
func (t *T) padCrop2D(name, kind string, amounts, def []int, sign int) *T {
	l := t.begin(name, kind, nil, 0)
	if l == nil {
		return t.failed()
	}
	if len(amounts) == 0 {
		amounts = def
	}
	var p []int
	switch a := amounts; len(a) {
	case 1:
		p = []int{a[0], a[0], a[0], a[0]}
	case 2:
		p = []int{a[0], a[1], a[0], a[1]}
	case 4:
		p = []int{a[0], a[1], a[2], a[3]}
	default:
		return l.fail("takes 1, 2 (h, w) or 4 (top, left, bottom, right) amounts, got %d", len(a))
	}
	if !l.amounts(amounts) {
		return l.m.failed()
	}
	x, ok := l.image(1, "", false)
	if !ok {
		return l.m.failed()
	}
	if sign < 0 {
		if p[0]+p[2] >= x[2] || p[1]+p[3] >= x[3] {
			return l.fail("cropping %s (top, left, bottom, right) leaves nothing of the %d×%d planes", ints(p), x[2], x[3])
		}
		for i := range p {
			p[i] = -p[i]
		}
	}
	return l.result(l.op(ir.OpPad2D, "", ir.Attrs{Pads: p}, l.x(0)))
}

// padCrop1D builds ZeroPadding1D (sign 1) or Cropping1D (sign -1): Pad2D {0, left,
// 0, right} (negated to crop) on the view (N, C, 1, L), viewed back as (N, C, L').
func (t *T) padCrop1D(name, kind string, amounts, def []int, sign int) *T {
	l := t.begin(name, kind, nil, 0)
	if l == nil {
		return t.failed()
	}
	if len(amounts) == 0 {
		amounts = def
	}
	var left, right int
	switch a := amounts; len(a) {
	case 1:
		left, right = a[0], a[0]
	case 2:
		left, right = a[0], a[1]
	default:
		return l.fail("takes 1 or 2 (left, right) amounts, got %d", len(a))
	}
	if !l.amounts(amounts) {
		return l.m.failed()
	}
	x, ok := l.sequence(1, "", false)
	if !ok {
		return l.m.failed()
	}
	if sign < 0 {
		if left+right >= x[2] {
			return l.fail("cropping (%d, %d) (left, right) leaves nothing of length %d", left, right, x[2])
		}
		left, right = -left, -right
	}
	return l.result(l.out1D(l.op(ir.OpPad2D, "", ir.Attrs{Pads: []int{0, left, 0, right}}, l.in2D(view2D(x)))))
}

// amounts checks that padding or cropping amounts are not negative (a negative
// padding would be a crop: Cropping2D says so).
func (l *builder) amounts(a []int) bool {
	for _, v := range a {
		if v < 0 {
			l.fail("amounts %s must not be negative", ints(a))
			return false
		}
	}
	return true
}
