package nn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

func TestLossBuildersChooseTheOp(t *testing.T) {
	for _, tc := range []struct {
		name  string
		loss  func(pred, target *nn.T) *nn.T
		op    string
		alpha float64
	}{
		{"MSE", func(p, t *nn.T) *nn.T { return nn.MSE("loss", p, t) }, ir.OpMSELoss, 0},
		{"MAE", func(p, t *nn.T) *nn.T { return nn.MAE("loss", p, t) }, ir.OpMAELoss, 0},
		{"Huber keeps its delta", func(p, t *nn.T) *nn.T { return nn.Huber("loss", p, t, 0.5) }, ir.OpHuberLoss, 0.5},
		{"binary cross-entropy on probabilities", func(p, t *nn.T) *nn.T { return nn.BinaryCrossEntropy("loss", p, t) }, ir.OpBCELoss, 0},
		{"binary cross-entropy from logits", func(p, t *nn.T) *nn.T { return nn.BinaryCrossEntropy("loss", p, t, nn.FromLogits) }, ir.OpBCEWithLogitsLoss, 0},
		{"categorical cross-entropy on probabilities is Keras'", func(p, t *nn.T) *nn.T { return nn.CategoricalCrossEntropy("loss", p, t) }, ir.OpCategoricalCELoss, 0},
		{"categorical cross-entropy from logits", func(p, t *nn.T) *nn.T { return nn.CategoricalCrossEntropy("loss", p, t, nn.FromLogits) }, ir.OpSoftmaxCELoss, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			x := m.Input("x", 4)
			target := m.Target("target", 3)
			p := x.Dense("d", 3)
			m.Output("p", p)
			l := tc.loss(p, target)
			m.Loss(l)
			g := build(t, m)
			n := node(t, g, "loss")
			assert.Equal(t, tc.op, n.Op)
			assert.Equal(t, tc.alpha, n.Attrs.Alpha)
			assert.Equal(t, []int{node(t, g, "d/bias").ID, node(t, g, "target").ID}, n.Inputs)
			assert.Equal(t, n.ID, g.Loss)
			assert.Equal(t, ir.Shape{}, l.Shape())
			assert.Equal(t, ir.RoleTarget, node(t, g, "target").Attrs.Role)
			assert.Equal(t, ir.Float, node(t, g, "target").Attrs.DType)
		})
	}
}

// SparseCategoricalCrossEntropy reads int labels with one class per row of the
// prediction's last axis: from logits it is one SparseSoftmaxCELoss node; on
// probabilities it one-hots the labels ("<layer>/onehot") and is Keras'
// CategoricalCELoss against them, so both forms take (N) labels with (N, C)
// predictions and (N, T) labels with a tagger's (N, T, C).
func TestSparseCategoricalCrossEntropyTakesLabelsOfAnyRank(t *testing.T) {
	for _, tc := range []struct {
		name   string
		steps  []int // the labels' dims after the batch
		logits bool
	}{
		{"logits, one label per example", nil, true},
		{"logits, one label per step", []int{5}, true},
		{"probabilities, one label per example", nil, false},
		{"probabilities, one label per step", []int{5}, false},
		{"probabilities, one label per position of (N, A, B)", []int{2, 3}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			x := m.Input("x", append(append([]int(nil), tc.steps...), 4)...)
			y := m.Labels("y", tc.steps...)
			var p *nn.T
			var opts []nn.Option
			if tc.logits {
				p = x.Dense("d", 3)
				opts = append(opts, nn.FromLogits)
			} else {
				p = x.Dense("d", 3, nn.Act("softmax")) // Keras' Dense(3, activation="softmax")
			}
			m.Output("p", p)
			m.Loss(nn.SparseCategoricalCrossEntropy("loss", p, y, opts...))
			g := build(t, m)
			labels := node(t, g, "y")
			assert.Equal(t, ir.Int, labels.Attrs.DType)
			assert.Equal(t, ir.RoleTarget, labels.Attrs.Role)
			assert.Equal(t, append(ir.Shape{ir.Batch}, tc.steps...), labels.Shape)
			loss := node(t, g, "loss")
			assert.Equal(t, loss.ID, g.Loss)
			pred := g.Nodes[loss.Inputs[0]]
			assert.Equal(t, p.Name(), pred.Name)
			if tc.logits {
				assert.Equal(t, ir.OpSparseSoftmaxCELoss, loss.Op)
				assert.Equal(t, []int{pred.ID, labels.ID}, loss.Inputs)
				assert.Nil(t, g.ByName("loss/onehot"))
				return
			}
			assert.Equal(t, ir.OpCategoricalCELoss, loss.Op)
			onehot := node(t, g, "loss/onehot")
			assert.Equal(t, ir.OpOneHot, onehot.Op)
			assert.Equal(t, "loss", onehot.Layer)
			assert.Equal(t, []int{labels.ID}, onehot.Inputs)
			assert.Equal(t, pred.Shape, onehot.Shape)
			assert.Equal(t, []int{pred.ID, onehot.ID}, loss.Inputs)
		})
	}
}

func TestAddLossSumsWeightedTerms(t *testing.T) {
	m := nn.New("m")
	x := m.Input("x", 4)
	y := m.Labels("y")
	clean := m.Target("clean", 4)
	logits := x.Dense("d", 3)
	recon := x.Dense("r", 4)
	m.Output("logits", logits)
	m.AddLoss(nn.SparseCategoricalCrossEntropy("ce", logits, y, nn.FromLogits), 1)
	m.AddLoss(nn.MSE("mse", recon, clean), 0.5)
	m.AddLoss(nn.MAE("mae", recon, clean), 2)
	g := build(t, m)

	ce, mse, mae := node(t, g, "ce"), node(t, g, "mse"), node(t, g, "mae")
	assert.Nil(t, g.ByName("ce/weighted"), "a weight of 1 needs no Scale")
	w1, w2 := node(t, g, "mse/weighted"), node(t, g, "mae/weighted")
	assert.Equal(t, ir.OpScale, w1.Op)
	assert.Equal(t, 0.5, w1.Attrs.Alpha)
	assert.Equal(t, []int{mse.ID}, w1.Inputs)
	assert.Equal(t, 2.0, w2.Attrs.Alpha)
	assert.Equal(t, []int{mae.ID}, w2.Inputs)
	s1, s2 := node(t, g, "mse/total"), node(t, g, "mae/total")
	assert.Equal(t, ir.OpAdd, s1.Op)
	assert.Equal(t, []int{ce.ID, w1.ID}, s1.Inputs)
	assert.Equal(t, []int{s1.ID, w2.ID}, s2.Inputs)
	assert.Equal(t, s2.ID, g.Loss)
	assert.Equal(t, ir.Shape{}, s2.Shape)
	assert.Equal(t, "mae", s2.Layer)
}

func TestLossThenAddLoss(t *testing.T) {
	m := nn.New("m")
	x := m.Input("x", 4)
	target := m.Target("t", 4)
	m.Output("x", x)
	m.Loss(nn.MSE("a", x, target))
	m.AddLoss(nn.MAE("b", x, target), -0.25)
	g := build(t, m)
	assert.Equal(t, node(t, g, "b/total").ID, g.Loss)
	assert.Equal(t, -0.25, node(t, g, "b/weighted").Attrs.Alpha)
}

func TestAModelWithoutALossBuilds(t *testing.T) {
	m := nn.New("m")
	m.Output("y", m.Input("x", 4).Dense("d", 2))
	g := build(t, m)
	assert.Equal(t, -1, g.Loss)
}

func TestBuildReturnsAnIndependentCopyEachTime(t *testing.T) {
	m := lenet()
	g1 := build(t, m)
	g1.Nodes[0].Name = "changed"
	g1.Nodes[1].Shape[0] = 99
	g2 := build(t, m)
	assert.Equal(t, "image", g2.Nodes[0].Name)
	assert.Equal(t, ir.Batch, g2.Nodes[1].Shape[0])
}

func TestShapeLayers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dims  []int
		layer func(x *nn.T) *nn.T
		op    string
		want  ir.Shape
		check func(t *testing.T, n *ir.Node)
	}{
		{"Flatten is row-major over C, H, W", []int{3, 4, 5}, func(x *nn.T) *nn.T { return x.Flatten("l") }, ir.OpReshape, ir.Shape{N, 60},
			func(t *testing.T, n *ir.Node) { assert.Equal(t, ir.Shape{60}, n.Attrs.Shape) }},
		{"Reshape keeps the batch", []int{12}, func(x *nn.T) *nn.T { return x.Reshape("l", 3, 2, 2) }, ir.OpReshape, ir.Shape{N, 3, 2, 2}, nil},
		{"Reshape infers one -1", []int{3, 4, 5}, func(x *nn.T) *nn.T { return x.Reshape("l", -1, 10) }, ir.OpReshape, ir.Shape{N, 6, 10},
			func(t *testing.T, n *ir.Node) { assert.Equal(t, ir.Shape{6, 10}, n.Attrs.Shape) }},
		{"UpSampling2D doubles by default", []int{2, 3, 4}, func(x *nn.T) *nn.T { return x.UpSampling2D("l") }, ir.OpUpSample2D, ir.Shape{N, 2, 6, 8},
			func(t *testing.T, n *ir.Node) { assert.Equal(t, []int{2, 2}, n.Attrs.Scale) }},
		{"UpSampling2D with one factor", []int{2, 3, 4}, func(x *nn.T) *nn.T { return x.UpSampling2D("l", 3) }, ir.OpUpSample2D, ir.Shape{N, 2, 9, 12}, nil},
		{"UpSampling2D with a factor per axis", []int{2, 3, 4}, func(x *nn.T) *nn.T { return x.UpSampling2D("l", 2, 1) }, ir.OpUpSample2D, ir.Shape{N, 2, 6, 4},
			func(t *testing.T, n *ir.Node) { assert.Equal(t, []int{2, 1}, n.Attrs.Scale) }},
		{"UpSampling2D with Nearest is the default", []int{2, 3, 4}, func(x *nn.T) *nn.T { return x.UpSampling2D("l", 3, nn.Nearest) }, ir.OpUpSample2D, ir.Shape{N, 2, 9, 12}, nil},
		{"UpSampling2D with Bilinear interpolates", []int{2, 3, 4}, func(x *nn.T) *nn.T { return x.UpSampling2D("l", nn.Bilinear) }, ir.OpUpSampleBilinear2D, ir.Shape{N, 2, 6, 8},
			func(t *testing.T, n *ir.Node) { assert.Equal(t, []int{2, 2}, n.Attrs.Scale) }},
		{"UpSampling2D with Bilinear and a factor per axis", []int{2, 3, 4}, func(x *nn.T) *nn.T { return x.UpSampling2D("l", 3, 2, nn.Bilinear) }, ir.OpUpSampleBilinear2D, ir.Shape{N, 2, 9, 8},
			func(t *testing.T, n *ir.Node) { assert.Equal(t, []int{3, 2}, n.Attrs.Scale) }},
		{"GlobalAvgPool2D averages each channel", []int{5, 3, 4}, func(x *nn.T) *nn.T { return x.GlobalAvgPool2D("l") }, ir.OpGlobalAvgPool2D, ir.Shape{N, 5}, nil},
		{"Add of equal shapes", []int{3, 4}, func(x *nn.T) *nn.T { return nn.Add("l", x, x.Relu("r")) }, ir.OpAdd, ir.Shape{N, 3, 4}, nil},
		{"Sub of equal shapes", []int{3, 4}, func(x *nn.T) *nn.T { return nn.Sub("l", x, x.Relu("r")) }, ir.OpSub, ir.Shape{N, 3, 4}, nil},
		{"Mul of equal shapes", []int{3, 4}, func(x *nn.T) *nn.T { return nn.Mul("l", x, x.Sigmoid("r")) }, ir.OpMul, ir.Shape{N, 3, 4}, nil},
		{"Concat of channels", []int{2, 4, 4}, func(x *nn.T) *nn.T { return nn.Concat("l", 1, x, x.Conv2D("c", 3, nn.K(1))) }, ir.OpConcat, ir.Shape{N, 5, 4, 4},
			func(t *testing.T, n *ir.Node) { assert.Equal(t, 1, n.Attrs.Axis) }},
		{"Concat with a negative axis counts from the end", []int{2, 4, 4}, func(x *nn.T) *nn.T { return nn.Concat("l", -1, x, x, x) }, ir.OpConcat, ir.Shape{N, 2, 4, 12},
			func(t *testing.T, n *ir.Node) { assert.Equal(t, 3, n.Attrs.Axis); assert.Len(t, n.Inputs, 3) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			y := tc.layer(m.Input("x", tc.dims...))
			m.Output("y", y)
			g := build(t, m)
			n := node(t, g, "l")
			assert.Equal(t, tc.op, n.Op)
			assert.Equal(t, tc.want, n.Shape)
			assert.Equal(t, tc.want, y.Shape())
			if tc.check != nil {
				tc.check(t, n)
			}
		})
	}
}

func TestInitializers(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []nn.Option
		w, b *ir.Init
	}{
		{"defaults are Keras': Glorot uniform and zeros", nil,
			&ir.Init{Kind: ir.InitGlorotUniform, FanIn: 6, FanOut: 4}, &ir.Init{Kind: ir.InitZeros}},
		{"he normal kernel and constant bias", []nn.Option{nn.KernelInit("he_normal"), nn.BiasInit("const", 0.1)},
			&ir.Init{Kind: ir.InitHeNormal, FanIn: 6, FanOut: 4}, &ir.Init{Kind: ir.InitConst, Value: 0.1}},
		{"PyTorch names are accepted", []nn.Option{nn.KernelInit("kaiming_uniform"), nn.BiasInit("xavier_normal")},
			&ir.Init{Kind: ir.InitHeUniform, FanIn: 6, FanOut: 4}, &ir.Init{Kind: ir.InitGlorotNormal, FanIn: 4, FanOut: 4}},
		{"uniform with a bound and ones", []nn.Option{nn.KernelInit("uniform", 0.05), nn.BiasInit("ones")},
			&ir.Init{Kind: ir.InitUniform, Value: 0.05}, &ir.Init{Kind: ir.InitOnes}},
		{"lecun", []nn.Option{nn.KernelInit("lecun_normal"), nn.BiasInit("lecun_uniform")},
			&ir.Init{Kind: ir.InitLeCunNormal, FanIn: 6, FanOut: 4}, &ir.Init{Kind: ir.InitLeCunUniform, FanIn: 4, FanOut: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			m.Output("y", m.Input("x", 6).Dense("d", 4, tc.opts...))
			g := build(t, m)
			assert.Equal(t, tc.w, node(t, g, "d.weight").Attrs.Init)
			assert.Equal(t, tc.b, node(t, g, "d.bias").Attrs.Init)
		})
	}
}

func TestOptionsPrintAsWritten(t *testing.T) {
	for want, o := range map[string]nn.Option{
		`nn.K(3, 2)`:                nn.K(3, 2),
		`nn.Strides(2)`:             nn.Strides(2),
		`nn.Pads(1, 0, 1, 0)`:       nn.Pads(1, 0, 1, 0),
		`nn.OutPad(1)`:              nn.OutPad(1),
		`nn.Groups(4)`:              nn.Groups(4),
		`nn.Same`:                   nn.Same,
		`nn.Valid`:                  nn.Valid,
		`nn.Full`:                   nn.Full,
		`nn.Causal`:                 nn.Causal,
		`nn.NoBias`:                 nn.NoBias,
		`nn.FromLogits`:             nn.FromLogits,
		`nn.Act("leaky_relu", 0.2)`: nn.Act("leaky_relu", 0.2),
		`nn.Act("relu")`:            nn.Act("relu"),
		`nn.KernelInit("const", 2)`: nn.KernelInit("const", 2),
		`nn.BiasInit("zeros")`:      nn.BiasInit("zeros"),
		`nn.Eps(0.001)`:             nn.Eps(1e-3),
		`nn.Momentum(0.1)`:          nn.Momentum(0.1),
		`nn.Seed(3)`:                nn.Seed(3),
	} {
		assert.Equal(t, want, o.String())
	}
}

func TestTensorAccessors(t *testing.T) {
	m := nn.New("m")
	x := m.Input("x", 2)
	require.Equal(t, "m", m.Name())
	assert.Equal(t, "x", x.Name())
	assert.Equal(t, m, x.Model())
	s := x.Shape()
	s[1] = 99 // a copy: the model is unchanged
	assert.Equal(t, ir.Shape{N, 2}, x.Shape())
	var nilT *nn.T
	assert.Nil(t, nilT.Shape())
	assert.Equal(t, "", nilT.Name())
	assert.Nil(t, nilT.Model())
}
