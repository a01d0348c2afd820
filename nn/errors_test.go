package nn_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// withOutput finishes a model whose last tensor is y, so that the only error left is
// the one under test.
func withOutput(m *nn.Model, y *nn.T) *nn.Model {
	m.Output("out", y)
	return m
}

func TestBuildReportsBadModelsWithoutPanicking(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model func() *nn.Model
		want  []string // substrings of the error, in order
		layer string   // the ir.Error's layer, when the error is one
	}{
		// ---- shapes ----
		{"Dense on a scalar has no feature axis", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, nn.Sum("s", m.Input("x", 4)).Dense("fc1", 10))
		}, []string{"fc1 (Dense) on input scalar: \"s\" is a scalar (a loss); layers take batched tensors"}, "fc1"},
		{"Dense on (N) labels, the one tensor with nothing after the batch", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Labels("y").Dense("fc1", 10))
		}, []string{"fc1 (Dense) on input N: \"y\" holds int class labels"}, "fc1"},
		{"a per-step Dense whose units miss the target", func() *nn.Model {
			m := nn.New("m")
			y := m.Input("seq", 5, 3).Dense("out", 4)
			m.Loss(nn.MSE("loss", y, m.Target("t", 5, 3)))
			return withOutput(m, y)
		}, []string{"loss (MSELoss) on input N×5×4, N×5×3: prediction N×5×4 and target N×5×3 differ"}, "loss"},
		{"Dense on a sequence after a sequence layer of other features", func() *nn.Model {
			m := nn.New("m")
			h := m.Input("seq", 5, 3).Dense("proj", 6)
			return withOutput(m, nn.Add("res", h, m.Input("skip", 5, 4)))
		}, []string{"res (Add) on input N×5×6, N×5×4: shapes N×5×6 and N×5×4 differ"}, "res"},
		{"softmax over a 4-D input is refused, but a Dense's softmax is over its units", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 2, 3, 4)
			x.Dense("ok", 5, nn.Act("softmax"))
			return withOutput(m, x.Conv2D("conv", 2, nn.K(1), nn.Act("softmax")))
		}, []string{"conv (Conv2D)", "softmax is over the last axis"}, "conv"},
		{"the contractive penalty of a per-step code", func() *nn.Model {
			m := nn.New("m")
			h := m.Input("seq", 5, 3).Dense("code", 4, nn.Act("sigmoid"))
			m.Loss(nn.ContractivePenalty("cae", h, 0.1))
			return withOutput(m, h)
		}, []string{"cae (ContractivePenalty) on input N×5×4: needs the (N, units) code of a Dense layer on (N, features), not N×5×4"}, "cae"},
		{"sparse cross-entropy on per-step logits with one label per example suggests labels per step", func() *nn.Model {
			m := nn.New("m")
			p := m.Input("seq", 5, 3).Dense("out", 4)
			m.Loss(nn.SparseCategoricalCrossEntropy("loss", p, m.Labels("y"), nn.FromLogits))
			return withOutput(m, p)
		}, []string{"loss (SparseCategoricalCrossEntropy) on input N×5×4, N: labels N must have the shape of the logits N×5×4 without the class axis, N×5", "Model.Labels(name, 5)"}, "loss"},
		{"LeNet without its Flatten: Dense works on the last axis, the loss says so", func() *nn.Model {
			m := nn.New("m")
			p := m.Input("x", 16, 5, 5).Dense("fc1", 120, nn.Act("relu")).Dense("fc3", 10)
			m.Loss(nn.SparseCategoricalCrossEntropy("loss", p, m.Labels("y"), nn.FromLogits))
			return withOutput(m, p)
		}, []string{"loss (SparseCategoricalCrossEntropy) on input N×16×5×10, N", "logits N×16×5×10 without the class axis, N×16×5", "flatten before the Dense layers"}, "loss"},
		{"sparse cross-entropy on per-step probabilities with labels of other steps", func() *nn.Model {
			m := nn.New("m")
			p := m.Input("seq", 5, 3).Dense("out", 4, nn.Act("softmax"))
			m.Loss(nn.SparseCategoricalCrossEntropy("tag_loss", p, m.Labels("tags", 6)))
			return withOutput(m, p)
		}, []string{"tag_loss (SparseCategoricalCrossEntropy) on input N×5×4, N×6: labels N×6 must have the shape of the probabilities N×5×4 without the class axis, N×5"}, "tag_loss"},
		{"sparse cross-entropy with labels per step on one prediction per example", func() *nn.Model {
			m := nn.New("m")
			p := m.Input("x", 3).Dense("out", 4)
			m.Loss(nn.SparseCategoricalCrossEntropy("loss", p, m.Labels("tags", 5), nn.FromLogits))
			return withOutput(m, p)
		}, []string{"loss (SparseCategoricalCrossEntropy) on input N×4, N×5: labels N×5 must have the shape of the logits N×4 without the class axis, N", "Model.Labels(name) and the predictions (N, classes)"}, "loss"},
		{"sparse cross-entropy on a scalar", func() *nn.Model {
			m := nn.New("m")
			p := m.Input("x", 3).Dense("out", 1).Reshape("flat", -1)
			m.Loss(nn.SparseCategoricalCrossEntropy("loss", nn.Sum("s", p), m.Labels("y")))
			return withOutput(m, p)
		}, []string{"loss (SparseCategoricalCrossEntropy)", "is a scalar (a loss)"}, "loss"},
		{"labels with a size that is not positive", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 3)
			m.Labels("tags", 5, 0)
			return withOutput(m, x)
		}, []string{"tags (Labels): sizes (5, 0) must be positive"}, "tags"},
		{"Add of different shapes", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 4)
			return withOutput(m, nn.Add("res", x, x.Dense("d", 3)))
		}, []string{"res (Add) on input N×4, N×3: shapes N×4 and N×3 differ"}, "res"},
		{"Concat of mismatched sizes", func() *nn.Model {
			m := nn.New("m")
			a, b := m.Input("a", 2, 4, 4), m.Input("b", 2, 5, 4)
			return withOutput(m, nn.Concat("cat", 1, a, b))
		}, []string{"cat (Concat) on input N×2×4×4, N×2×5×4: dimension 2 differs"}, "cat"},
		{"Concat of different ranks", func() *nn.Model {
			m := nn.New("m")
			a, b := m.Input("a", 2, 4, 4), m.Input("b", 32)
			return withOutput(m, nn.Concat("cat", 1, a, b))
		}, []string{"cat (Concat)", "ranks differ"}, "cat"},
		{"Concat on the batch axis", func() *nn.Model {
			m := nn.New("m")
			a := m.Input("a", 2, 4, 4)
			return withOutput(m, nn.Concat("cat", 0, a, a))
		}, []string{"cat (Concat)", "axis 0 is not a non-batch axis"}, "cat"},
		{"a kernel larger than its padded input", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 16, 3, 3).Conv2D("conv2", 16, nn.K(5)))
		}, []string{"conv2 (Conv2D) on input N×16×3×3, 16×16×5×5: kernel 5x5 is larger than the padded input 3x3"}, "conv2"},
		{"a pool window larger than the input", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 3, 3).MaxPool2D("pool", nn.K(4)))
		}, []string{"pool (MaxPool2D) on input N×1×3×3: kernel 4x4 is larger than the padded input 3x3"}, "pool"},
		{"Conv2D on a flat input", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 784).Conv2D("conv", 4, nn.K(3)))
		}, []string{"conv (Conv2D) on input N×784: needs an (N, C, H, W) input"}, "conv"},
		{"Conv2D without a kernel size", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).Conv2D("conv", 4))
		}, []string{"conv (Conv2D)", "needs a window size: nn.K"}, "conv"},
		{"pooling without a window size", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).AvgPool2D("pool"))
		}, []string{"pool (AvgPool2D)", "needs a window size"}, "pool"},
		{"Reshape to the wrong element count", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 12).Reshape("r", 5, 2))
		}, []string{"r (Reshape) on input N×12: cannot reshape 12 elements to (5, 2)"}, "r"},
		{"Reshape with a -1 that does not divide", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 12).Reshape("r", -1, 5))
		}, []string{"r (Reshape)", "cannot reshape 12 elements to (-1, 5)"}, "r"},
		{"Reshape with two -1", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 12).Reshape("r", -1, -1))
		}, []string{"r (Reshape)", "at most one -1"}, "r"},
		{"softmax over the width of an image", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).Conv2D("seg", 3, nn.K(1), nn.Act("softmax")))
		}, []string{"seg (Conv2D)", "softmax is over the last axis"}, "seg"},
		{"GlobalAvgPool2D of a flat input", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 8).GlobalAvgPool2D("gap"))
		}, []string{"gap (GlobalAvgPool2D) on input N×8: needs an (N, C, H, W) input"}, "gap"},
		{"Conv2DTranspose with Full padding", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 4, 4).Conv2DTranspose("up", 2, nn.K(3), nn.Full))
		}, []string{"up (Conv2DTranspose)", "nn.Full does not apply"}, "up"},
		{"Conv2DTranspose with Same and an output padding", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 4, 4).Conv2DTranspose("up", 2, nn.K(3), nn.Strides(2), nn.Same, nn.OutPad(1)))
		}, []string{"up (Conv2DTranspose)", "use nn.OutPad with nn.Pads"}, "up"},
		{"an output padding not below the stride", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 4, 4).Conv2DTranspose("up", 2, nn.K(3), nn.Strides(2), nn.Pads(1), nn.OutPad(2)))
		}, []string{"up (Conv2DTranspose)", "out_pad [2 2] must be two values below the strides [2 2]"}, "up"},
		{"Full padding on pooling", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 4, 4).MaxPool2D("pool", nn.K(2), nn.Full))
		}, []string{"pool (MaxPool2D)", "nn.Full does not apply to pooling"}, "pool"},

		// ---- sizes ----
		{"a zero input size", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 0, 28))
		}, []string{"x (Input): sizes (1, 0, 28) must be positive"}, "x"},
		{"a negative target size", func() *nn.Model {
			m := nn.New("m")
			m.Target("t", -3)
			return withOutput(m, m.Input("x", 2))
		}, []string{"t (Target): sizes (-3) must be positive"}, "t"},
		{"an input without sizes", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x"))
		}, []string{"x (Input): needs the size of each example"}, "x"},
		{"zero Dense units", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("fc", 0))
		}, []string{"fc (Dense) on input N×4: units 0 must be positive"}, "fc"},
		{"zero Dense units on a sequence", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("seq", 7, 4).Dense("fc", 0))
		}, []string{"fc (Dense) on input N×7×4: units 0 must be positive"}, "fc"},
		{"a sequence with zero steps", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("seq", 0, 4).Dense("fc", 3))
		}, []string{"seq (Input): sizes (0, 4) must be positive"}, "seq"},
		{"negative filters", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).Conv2D("conv", -2, nn.K(3)))
		}, []string{"conv (Conv2D) on input N×1×8×8: filters -2 must be positive"}, "conv"},
		{"a zero kernel", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).Conv2D("conv", 2, nn.K(0, 3)))
		}, []string{"conv (Conv2D)", "nn.K(0, 3) must be positive"}, "conv"},
		{"a zero stride", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).MaxPool2D("pool", nn.K(2), nn.Strides(0)))
		}, []string{"pool (MaxPool2D)", "nn.Strides(0, 0) must be positive"}, "pool"},
		{"negative pads", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).Conv2D("conv", 2, nn.K(3), nn.Pads(1, -1)))
		}, []string{"conv (Conv2D)", "must not be negative"}, "conv"},
		{"three pads", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).Conv2D("conv", 2, nn.K(3), nn.Pads(1, 1, 1)))
		}, []string{"conv (Conv2D)", "nn.Pads takes 1, 2 or 4 values, got 3"}, "conv"},
		{"a zero upsampling factor", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).UpSampling2D("up", 0, 2))
		}, []string{"up (UpSampling2D)", "must be positive"}, "up"},
		{"an unknown interpolation", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).UpSampling2D("up", 2, nn.Interpolation(7)))
		}, []string{"up (UpSampling2D) on input N×1×8×8", "unknown interpolation nn.Interpolation(7): UpSampling2D takes nn.Nearest or nn.Bilinear"}, "up"},
		{"two interpolations", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).UpSampling2D("up", nn.Bilinear, nn.Nearest))
		}, []string{"up (UpSampling2D)", "option nn.Nearest is given twice"}, "up"},
		{"a factor that is not an int", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).UpSampling2D("up", 2.5, nn.Bilinear))
		}, []string{"up (UpSampling2D)", "takes factors (ints) and options; argument 1 (2.5, of type float64) is neither"}, "up"},
		{"three factors", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).UpSampling2D("up", 2, 2, 2, nn.Bilinear))
		}, []string{"up (UpSampling2D)", "UpSampling2D size takes 1 or 2 values, got 3"}, "up"},
		{"an option upsampling does not take", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).UpSampling2D("up", nn.Same))
		}, []string{"up (UpSampling2D)", "option nn.Same does not apply to this layer"}, "up"},
		{"bilinear upsampling of a flat input", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 8).UpSampling2D("up", nn.Bilinear))
		}, []string{"up (UpSampling2D) on input N×8", "needs an (N, C, H, W) input"}, "up"},
		{"interpolation on a convolution", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).Conv2D("conv", 2, nn.K(3), nn.Bilinear))
		}, []string{"conv (Conv2D)", "option nn.Bilinear does not apply to this layer"}, "conv"},
		{"a dropout rate of 1", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dropout("drop", 1))
		}, []string{"drop (Dropout) on input N×4: rate 1 must be in [0, 1)"}, "drop"},
		{"a NaN dropout rate", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dropout("drop", math.NaN()))
		}, []string{"drop (Dropout)", "must be in [0, 1)"}, "drop"},
		{"a negative batch-norm epsilon", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).BatchNorm("bn", nn.Eps(-1)))
		}, []string{"bn (BatchNorm)", "nn.Eps(-1) must be positive"}, "bn"},
		{"a batch-norm momentum above 1", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).BatchNorm("bn", nn.Momentum(1.5)))
		}, []string{"bn (BatchNorm)", "nn.Momentum(1.5) must be in [0, 1]"}, "bn"},

		// ---- activations, options, initializers ----
		{"an unknown activation names the layer and lists the known ones", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("fc1", 3, nn.Act("mish")))
		}, []string{"fc1 (Dense) on input N×4: unknown activation \"mish\" (known: linear, relu, sigmoid, tanh, softmax, leaky_relu, elu, selu, softplus, gelu, gelu_tanh, swish, silu, log_softmax, relu6, hard_sigmoid, hard_swish)"}, "fc1"},
		{"an unknown activation layer", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Activation("act", "hardtanh"))
		}, []string{"act (Activation)", "unknown activation \"hardtanh\""}, "act"},
		{"elu with two arguments", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 6, 6).Conv2D("conv", 2, nn.K(3), nn.Act("elu", 1, 2)))
		}, []string{"conv (Conv2D) on input N×1×6×6: activation \"elu\" takes at most 1 argument (its alpha), got 2"}, "conv"},
		{"leaky relu with two slopes", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).LeakyReLU("leaky", 0.1, 0.2))
		}, []string{"leaky (Activation)", "activation \"leaky_relu\" takes at most 1 argument (its slope), got 2"}, "leaky"},
		{"an infinite elu alpha", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).ELU("elu", math.Inf(1)))
		}, []string{"elu (Activation)", "activation \"elu\": alpha +Inf must be finite"}, "elu"},
		{"an argument for gelu", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("fc", 3, nn.Act("gelu", 1)))
		}, []string{"fc (Dense)", "activation \"gelu\" takes 0 arguments, got 1"}, "fc"},
		{"an argument for softplus (no beta)", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 4, 4).Conv2DTranspose("up", 2, nn.K(2), nn.Act("softplus", 2)))
		}, []string{"up (Conv2DTranspose)", "activation \"softplus\" takes 0 arguments, got 1"}, "up"},
		{"a slope for relu", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("fc", 3, nn.Act("relu", 0.1)))
		}, []string{"fc (Dense)", "activation \"relu\" takes 0 arguments, got 1"}, "fc"},
		{"an option the layer does not take", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("fc", 3, nn.Strides(2)))
		}, []string{"fc (Dense)", "option nn.Strides(2) does not apply to this layer"}, "fc"},
		{"FromLogits on a Dense layer", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("fc", 3, nn.FromLogits))
		}, []string{"fc (Dense)", "option nn.FromLogits does not apply"}, "fc"},
		{"an option given twice", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).Conv2D("conv", 2, nn.K(3), nn.K(5)))
		}, []string{"conv (Conv2D)", "option nn.K(5) is given twice"}, "conv"},
		{"two paddings", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 1, 8, 8).Conv2D("conv", 2, nn.K(3), nn.Same, nn.Pads(1)))
		}, []string{"conv (Conv2D)", "nn.Pads(1) is given twice (or with another padding)"}, "conv"},
		{"a nil option", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("fc", 3, nil))
		}, []string{"fc (Dense)", "option is nil"}, "fc"},
		{"an unknown initializer", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("fc", 3, nn.KernelInit("orthogonal")))
		}, []string{"fc (Dense)", "unknown initializer \"orthogonal\""}, "fc"},
		{"a constant initializer without a value", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("fc", 3, nn.BiasInit("const")))
		}, []string{"fc (Dense)", "initializer \"const\" takes one finite value"}, "fc"},
		{"a model option a model does not take", func() *nn.Model {
			m := nn.New("m", nn.Same)
			return withOutput(m, m.Input("x", 4))
		}, []string{"nn: model \"m\": option nn.Same does not apply"}, ""},

		// ---- losses ----
		{"a loss on different shapes", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 4)
			m.Loss(nn.MSE("loss", x.Dense("d", 10), m.Target("clean", 1, 28, 28)))
			return withOutput(m, x)
		}, []string{"loss (MSELoss) on input N×10, N×1×28×28: prediction N×10 and target N×1×28×28 differ"}, "loss"},
		{"sparse cross-entropy on float targets", func() *nn.Model {
			m := nn.New("m")
			p := m.Input("x", 4).Dense("d", 3)
			m.Loss(nn.SparseCategoricalCrossEntropy("loss", p, m.Target("y", 3), nn.FromLogits))
			return withOutput(m, p)
		}, []string{"loss (SparseCategoricalCrossEntropy)", "labels must be int class indices from Model.Labels, not the float tensor \"y\""}, "loss"},
		{"sparse cross-entropy on 4-D logits", func() *nn.Model {
			m := nn.New("m")
			p := m.Input("x", 3, 4, 4)
			m.Loss(nn.SparseCategoricalCrossEntropy("loss", p, m.Labels("y"), nn.FromLogits))
			return withOutput(m, p)
		}, []string{"loss (SparseCategoricalCrossEntropy) on input N×3×4×4, N: labels N must have the shape of the logits N×3×4×4 without the class axis, N×3×4"}, "loss"},
		{"int labels fed to MSE", func() *nn.Model {
			m := nn.New("m")
			p := m.Input("x", 1)
			m.Loss(nn.MSE("loss", p, m.Labels("y")))
			return withOutput(m, p)
		}, []string{"loss (MSE)", "\"y\" holds int class labels, which only SparseCategoricalCrossEntropy and NLLLoss read"}, "loss"},
		{"int labels fed to a layer", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Labels("y").Dense("d", 3))
		}, []string{"d (Dense)", "int class labels"}, "d"},
		{"a loss that is not a scalar", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 4)
			m.Loss(x)
			return withOutput(m, x)
		}, []string{"x (Input): a loss must be a scalar, not N×4"}, "x"},
		{"a loss fed to a layer", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 4)
			l := nn.MSE("mse", x, m.Target("t", 4))
			return withOutput(m, nn.Add("sum", l, l))
		}, []string{"sum (Add)", "\"mse\" is a scalar (a loss)"}, "sum"},
		{"the loss set twice", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 4)
			tg := m.Target("t", 4)
			m.Loss(nn.MSE("a", x, tg))
			m.Loss(nn.MAE("b", x, tg))
			return withOutput(m, x)
		}, []string{"the loss is already set; use AddLoss"}, ""},
		{"a zero loss weight", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 4)
			m.AddLoss(nn.MSE("a", x, m.Target("t", 4)), 0)
			return withOutput(m, x)
		}, []string{"a (AddLoss): weight 0 must be finite and not zero"}, "a"},
		{"an infinite loss weight", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 4)
			m.AddLoss(nn.MSE("a", x, m.Target("t", 4)), math.Inf(1))
			return withOutput(m, x)
		}, []string{"a (AddLoss): weight +Inf must be finite"}, "a"},
		{"a loss term added twice", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 4)
			l := nn.MSE("a", x, m.Target("t", 4))
			m.AddLoss(l, 0.5)
			m.AddLoss(l, 0.5)
			return withOutput(m, x)
		}, []string{"a (AddLoss)", "node name \"a/weighted\" is already used"}, "a"},
		{"a non-positive Huber delta", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 4)
			m.Loss(nn.Huber("h", x, m.Target("t", 4), 0))
			return withOutput(m, x)
		}, []string{"h (Huber) on input N×4, N×4: delta 0 must be positive"}, "h"},

		// ---- names and model structure ----
		{"a duplicate layer name", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("fc", 3).Dense("fc", 2))
		}, []string{"fc (Dense)", "the name \"fc\" is already used by another layer"}, "fc"},
		{"an input and a layer with the same name", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("x", 3))
		}, []string{"x (Dense)", "already used"}, "x"},
		{"a layer name that clashes with a parameter name", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("fc", 3).Relu("fc.weight"))
		}, []string{"fc.weight (Activation)", "node name \"fc.weight\" is already used by layer \"fc\""}, "fc.weight"},
		{"an empty layer name", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("", 3))
		}, []string{"(Dense)", "a layer needs a name"}, ""},
		{"a layer name with a slash", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 4).Dense("a/b", 3))
		}, []string{"a/b (Dense)", "may not contain '/'"}, "a/b"},
		{"a model without a name", func() *nn.Model {
			m := nn.New("")
			return withOutput(m, m.Input("x", 4))
		}, []string{"a model needs a name"}, ""},
		{"a tensor from another model", func() *nn.Model {
			other := nn.New("other")
			foreign := other.Input("x", 4)
			m := nn.New("m")
			x := m.Input("x", 4)
			return withOutput(m, nn.Add("sum", x, foreign))
		}, []string{"input 2 of sum (Add) is a tensor of model \"other\", not of \"m\""}, ""},
		{"an output from another model", func() *nn.Model {
			other := nn.New("other")
			m := nn.New("m")
			m.Input("x", 4)
			return withOutput(m, other.Input("x", 4))
		}, []string{"output out is a tensor of model \"other\", not of \"m\""}, ""},
		{"a nil tensor", func() *nn.Model {
			m := nn.New("m")
			var x *nn.T
			return withOutput(m, nn.Add("sum", m.Input("x", 4), x))
		}, []string{"input 2 of sum (Add) is a nil tensor"}, ""},
		{"a tensor made without a model", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, nn.Add("sum", m.Input("x", 4), &nn.T{}))
		}, []string{"input 2 of sum (Add) is a tensor not made by a model"}, ""},
		{"an output given twice", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 4)
			m.Output("out", x)
			return withOutput(m, x)
		}, []string{"output \"out\" is given twice"}, ""},
		{"no output", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 4)
			m.Loss(nn.MSE("l", x, m.Target("t", 4)))
			return m
		}, []string{"model \"m\" has no output"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.model()
			g, err := m.Build()
			require.Error(t, err)
			assert.Nil(t, g)
			msg := err.Error()
			rest := msg
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				require.GreaterOrEqual(t, i, 0, "error %q lacks %q", msg, w)
				rest = rest[i+len(w):]
			}
			if tc.name != "no output" { // found by Build, which leaves the model usable
				assert.Equal(t, err, m.Err())
			}
			var ie *ir.Error
			if tc.layer != "" {
				require.True(t, errors.As(err, &ie), "error %q is not an *ir.Error", msg)
				assert.Equal(t, tc.layer, ie.Layer)
			}
		})
	}
}

func TestTheFirstErrorWinsAndLaterCallsDoNothing(t *testing.T) {
	m := nn.New("m")
	x := m.Input("x", 1, 8, 8)
	h := x.Dense("fc1", 0) // the first error
	require.Error(t, m.Err())
	first := m.Err()
	assert.Nil(t, h.Shape())
	assert.Equal(t, "", h.Name())

	// Everything after it, errors included, is ignored without a panic.
	h = h.Conv2D("conv", 0).MaxPool2D("pool").Flatten("flat").Dense("fc2", -1, nn.Act("nope"))
	h = nn.Concat("cat", 5, h, x)
	h = nn.Add("add", h, x).BatchNorm("bn").Dropout("drop", 2).Softmax("sm").UpSampling2D("up", 0)
	h = h.Conv2DTranspose("ct", 1).GlobalAvgPool2D("gap").Reshape("r", 0).AvgPool2D("avg")
	m.Output("out", h)
	m.Loss(nn.MSE("mse", h, x))
	m.AddLoss(nn.SparseCategoricalCrossEntropy("ce", h, x), 0)
	m.Output("x", x)

	assert.Same(t, first, m.Err())
	_, err := m.Build()
	assert.Same(t, first, err)
	assert.Contains(t, err.Error(), "fc1 (Dense) on input N×1×8×8")
}

func TestNilTensorsNeverPanic(t *testing.T) {
	var x *nn.T
	assert.Nil(t, x.Dense("d", 3))
	assert.Nil(t, x.Conv2D("c", 3, nn.K(3)).MaxPool2D("p", nn.K(2)).Flatten("f"))
	assert.Nil(t, nn.Add("a", nil, nil))
	assert.Nil(t, nn.Concat("c", 1))
	assert.Nil(t, nn.MSE("l", nil, nil))
	assert.Nil(t, nn.Huber("l", nil, nil, -1))
	assert.Nil(t, nn.SparseCategoricalCrossEntropy("l", nil, nil))
}

func TestAModelWithoutOutputCanStillGetOne(t *testing.T) {
	m := nn.New("m")
	x := m.Input("x", 4)
	_, err := m.Build()
	require.Error(t, err)
	m.Output("x", x)
	g, err := m.Build()
	require.NoError(t, err)
	assert.Len(t, g.Outputs, 1)
}
