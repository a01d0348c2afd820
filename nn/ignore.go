package nn

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

type ignoreIndexOpt int

// IgnoreIndex(i) is PyTorch's ignore_index on SparseCategoricalCrossEntropy with
// FromLogits (CrossEntropyLoss) and on NLLLoss: a row whose label is i, such as a
// padded step of a sequence labelled -100 (PyTorch's default ignore_index), counts
// neither in the loss nor in the number of rows it is the mean over, and gets no
// gradient. With every row of a batch ignored the loss is NaN (0/0), as PyTorch
// 1.13's, and the gradient 0. Labels must then be classes or i; any other value is
// still an error. i may be a class (ignore_index=0 for a padding class 0). Keras'
// sparse_categorical_crossentropy has no ignore index. Without the option dlgen does
// not ignore -100, unlike PyTorch's default: a -100 label is an error.
func IgnoreIndex(i int) Option { return ignoreIndexOpt(i) }

func (i ignoreIndexOpt) String() string { return fmt.Sprintf("nn.IgnoreIndex(%d)", int(i)) }
func (i ignoreIndexOpt) apply(c *config) optKind {
	c.ignoreIdx = int(i)
	return optIgnoreIndex
}

// ignoreAttrs is a sparse loss's attributes: extra = [ignore_index] when the
// IgnoreIndex option was given.
func (c *config) ignoreAttrs() ir.Attrs {
	if c.seen&optIgnoreIndex == 0 {
		return ir.Attrs{}
	}
	return ir.Attrs{Extra: []int{c.ignoreIdx}}
}
