package models_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// lossTerms returns the ops of the loss terms summed into g's loss, each with its
// weight (1 when AddLoss added no Scale), by the name of the term's layer.
func lossTerms(g *ir.Graph) map[string]float64 {
	terms := map[string]float64{}
	var walk func(id int, w float64)
	walk = func(id int, w float64) {
		n := g.Nodes[id]
		switch {
		case n.Op == ir.OpAdd && n.Shape.Rank() == 0:
			walk(n.Inputs[0], w)
			walk(n.Inputs[1], w)
		case n.Op == ir.OpScale && n.Name == n.Layer+"/weighted":
			walk(n.Inputs[0], w*n.Attrs.Alpha)
		default:
			terms[n.Layer] = w
		}
	}
	walk(g.Loss, 1)
	return terms
}

func TestAutoencoders(t *testing.T) {
	const px = models.MNISTPixels
	dense := func(in, out int) int { return in*out + out }
	conv := func(in, out int) int { return in*out*9 + out }
	undercomplete := dense(px, 128) + dense(128, 32) + dense(32, 128) + dense(128, px)
	for _, tc := range []struct {
		name   string
		model  func() *nn.Model
		params int
		shapes map[string]ir.Shape
		terms  map[string]float64 // loss layer → weight
		ops    []string           // ops the model must contain
	}{
		{"undercomplete 784-128-32-128-784", models.UndercompleteAE, undercomplete,
			map[string]ir.Shape{"enc1/relu": {N, 128}, "code/relu": {N, 32}, "dec1/relu": {N, 128}, "out/sigmoid": {N, px}},
			map[string]float64{"loss": 1}, []string{ir.OpBCELoss}},
		{"sparse with an L1 code penalty", models.SparseL1AE, undercomplete,
			map[string]ir.Shape{"code/relu": {N, 32}, "sparsity": {}},
			map[string]float64{"loss": 1, "sparsity": 1}, []string{ir.OpAbs}},
		// 153 860 + 154 448, the UFLDL exercise's 784-196-784.
		{"sparse with Ng's KL penalty", models.SparseKLAE, dense(px, 196) + dense(196, px),
			map[string]ir.Shape{"code/sigmoid": {N, 196}, "out/sigmoid": {N, px}},
			map[string]float64{"loss": px / 2, "sparsity": 1}, []string{ir.OpKLSparsity, ir.OpMSELoss}},
		{"contractive 784-64-784", models.ContractiveAE, dense(px, 64) + dense(64, px),
			map[string]ir.Shape{"code/sigmoid": {N, 64}},
			map[string]float64{"loss": 1, "contractive": 1}, []string{ir.OpContractivePenalty, ir.OpMSELoss}},
		{"denoising with Gaussian noise", models.DenoisingAE, undercomplete,
			map[string]ir.Shape{"noise": {N, px}, "code/relu": {N, 32}},
			map[string]float64{"loss": 1}, []string{ir.OpGaussianNoise}},
		{"denoising with masking noise", models.MaskingDAE, undercomplete,
			map[string]ir.Shape{"noise": {N, px}, "code/relu": {N, 32}},
			map[string]float64{"loss": 1}, []string{ir.OpMaskingNoise}},
		// 4 385 parameters, as the Keras blog's summary of this model says.
		{"convolutional with upsampling", models.ConvAE, conv(1, 16) + conv(16, 8) + 3*conv(8, 8) + conv(8, 16) + conv(16, 1),
			map[string]ir.Shape{"pool1": {N, 16, 14, 14}, "pool2": {N, 8, 7, 7}, "pool3": {N, 8, 4, 4}, "up1": {N, 8, 8, 8},
				"up2": {N, 8, 16, 16}, "dec3/relu": {N, 16, 14, 14}, "up3": {N, 16, 28, 28}, "out/sigmoid": {N, 1, 28, 28}},
			map[string]float64{"loss": 1}, []string{ir.OpUpSample2D}},
		// 28 353 parameters, as Keras' denoising example's summary says.
		{"convolutional with transposed convolutions", models.ConvTransposeAE, conv(1, 32) + 3*conv(32, 32) + conv(32, 1),
			map[string]ir.Shape{"pool2": {N, 32, 7, 7}, "dec1/relu": {N, 32, 14, 14}, "dec2/relu": {N, 32, 28, 28}, "out/sigmoid": {N, 1, 28, 28}},
			map[string]float64{"loss": 1}, []string{ir.OpConv2DTranspose}},
		// 807 700 parameters, the sum of Keras' VAE example's encoder and decoder.
		{"variational with a 2-d code", models.VAE, dense(px, 512) + 2*dense(512, 2) + dense(2, 512) + dense(512, px),
			map[string]ir.Shape{"z_mean": {N, 2}, "z_log_var": {N, 2}, "z": {N, 2}, "out/sigmoid": {N, px}},
			map[string]float64{"recon_loss": px, "kl": 1}, []string{ir.OpSampleNormal}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := build(t, tc.model)
			assert.Equal(t, tc.params, paramCount(g))
			shapes(t, g, tc.shapes)
			assert.Equal(t, tc.terms, lossTerms(g))
			ops := map[string]bool{}
			for _, n := range g.Nodes {
				ops[n.Op] = true
			}
			for _, op := range tc.ops {
				assert.True(t, ops[op], "no %s node", op)
			}
			assert.Equal(t, "image", g.Inputs()[0].Name)
			assert.Len(t, g.Inputs(), 1, "the input is its own target")
			assert.Equal(t, "recon", g.Outputs[0].Name)
		})
	}
}

func TestDenseAutoencoderSizes(t *testing.T) {
	g := build(t, func() *nn.Model { return models.DenseAutoencoder("deep_ae", []int{256, 64}, 8) })
	shapes(t, g, map[string]ir.Shape{
		"enc1/relu": {N, 256}, "enc2/relu": {N, 64}, "code/relu": {N, 8},
		"dec1/relu": {N, 64}, "dec2/relu": {N, 256}, "out/sigmoid": {N, models.MNISTPixels},
	})
	assert.Equal(t, []string{"recon", "code"}, []string{g.Outputs[0].Name, g.Outputs[1].Name})
	t.Run("a bad code size is a build error, not a panic", func(t *testing.T) {
		_, err := models.DenseAutoencoder("bad", []int{16}, 0).Build()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "code (Dense)")
	})
}

// The noise layers are gone at inference: the denoising autoencoders then compute
// exactly what the plain one does with the same weights.
func TestDenoisingAutoencodersAreCleanAtInference(t *testing.T) {
	for _, model := range []func() *nn.Model{models.DenoisingAE, models.MaskingDAE} {
		g := build(t, model)
		train, err := passes.Lower(g, ir.ModeTrain)
		require.NoError(t, err)
		infer, err := passes.Lower(g, ir.ModeInfer)
		require.NoError(t, err)
		plain, err := passes.Lower(build(t, models.UndercompleteAE), ir.ModeInfer)
		require.NoError(t, err)
		t.Run(g.Name+" draws noise only while training", func(t *testing.T) {
			count := func(g *ir.Graph) (n int) {
				for _, node := range g.Nodes {
					if node.Op == ir.OpRandomNormal || node.Op == ir.OpKeepMask {
						n++
					}
				}
				return n
			}
			assert.Equal(t, 1, count(train))
			assert.Zero(t, count(infer))
		})
		t.Run(g.Name+" predicts what the undercomplete autoencoder does", func(t *testing.T) {
			f := feeds(infer, 2)
			a := runWith(t, infer, 5, f)
			b := runWith(t, plain, 5, f)
			assert.Equal(t, b["recon"], a["recon"])
			assert.Equal(t, b["code"], a["code"])
		})
	}
}

// runWith runs g with parameters initialised from seed and returns its outputs.
func runWith(t *testing.T, g *ir.Graph, seed uint64, f map[string]*interp.Tensor) map[string][]float64 {
	t.Helper()
	m, err := interp.New(g, seed)
	require.NoError(t, err)
	vals, err := m.Run(f)
	require.NoError(t, err)
	out := map[string][]float64{}
	for _, o := range g.Outputs {
		out[o.Name] = vals[o.ID].Data
	}
	return out
}

func TestVAEDecoderSharesTheVAEDecoderWeights(t *testing.T) {
	vae := build(t, models.VAE)
	dec := build(t, models.VAEDecoder)
	assert.Equal(t, dec.Name, "vae_decoder")
	assert.Equal(t, 2*512+512+512*models.MNISTPixels+models.MNISTPixels, paramCount(dec))
	require.Len(t, dec.Params(), 4)
	for _, p := range dec.Params() {
		q := vae.ByName(p.Name)
		require.NotNil(t, q, "the VAE has no parameter %s", p.Name)
		assert.Equal(t, q.Shape, p.Shape, p.Name)
		assert.Equal(t, q.Attrs.Init, p.Attrs.Init, p.Name)
	}
	assert.Equal(t, -1, dec.Loss)

	t.Run("with the VAE's weights it decodes z_mean to the VAE's reconstruction", func(t *testing.T) {
		vi, err := passes.Lower(vae, ir.ModeInfer)
		require.NoError(t, err)
		di, err := passes.Lower(dec, ir.ModeInfer)
		require.NoError(t, err)
		// Both machines draw their initial weights from the same seed and parameter
		// names, so the decoder's equal the VAE's, as after loading its weight file.
		f := feeds(vi, 2)
		v := runWith(t, vi, 3, f)
		d := runWith(t, di, 3, map[string]*interp.Tensor{"z": interp.FromData(v["z_mean"], 2, models.VAECodeSize)})
		assert.Equal(t, v["recon"], d["image"])
	})
}

// One step of the VAE's training graph computes the documented loss: the BCE summed
// over pixels plus the KL term, averaged over the batch.
func TestVAELossIsKerasExampleLoss(t *testing.T) {
	g := build(t, models.VAE)
	train, err := passes.Lower(g, ir.ModeTrain)
	require.NoError(t, err)
	m, err := interp.New(train, 2)
	require.NoError(t, err)
	m.Step = 4
	f := feeds(train, 3)
	vals, err := m.Run(f)
	require.NoError(t, err)
	x := f["image"].Data
	recon := vals[train.ByName("out/sigmoid").ID].Data
	mu := vals[train.ByName("z_mean/bias").ID].Data
	lv := vals[train.ByName("z_log_var/bias").ID].Data
	want := 0.0
	for n := range 3 {
		for i := range models.MNISTPixels {
			p, t := recon[n*models.MNISTPixels+i], x[n*models.MNISTPixels+i]
			want -= t*math.Log(p) + (1-t)*math.Log(1-p)
		}
		for j := range models.VAECodeSize {
			k := n*models.VAECodeSize + j
			want -= 0.5 * (1 + lv[k] - mu[k]*mu[k] - math.Exp(lv[k]))
		}
	}
	assert.InDelta(t, want/3, vals[train.Loss].Data[0], 1e-10)
}

// SeqAE is the Keras blog's sequence-to-sequence autoencoder on MNIST rows, with
// PyTorch's parameter names and shapes: nn.LSTM(28, 64) and nn.LSTM(64, 64) have
// 4·64·(28+64) + 2·4·64 = 24 064 and 4·64·(64+64) + 2·4·64 = 33 280 values, and
// nn.Linear(64, 28) 1 820 (59 164 in all). It reads (N, 28, 28) rows, repeats the
// encoder's last state over the 28 steps, and its BCE compares the reconstruction
// with the target "clean" of the input's shape, which is what package train needs
// to drive it as a reconstruction model.
func TestSeqAEIsTheKerasBlogsSequenceAutoencoder(t *testing.T) {
	g := build(t, models.SeqAE)
	shapes(t, g, map[string]ir.Shape{
		"image": {N, 28, 28}, "clean": {N, 28, 28},
		"enc.weight_ih_l0": {256, 28}, "enc.weight_hh_l0": {256, 64}, "enc.bias_ih_l0": {256}, "enc.bias_hh_l0": {256},
		"enc": {N, 64}, "repeat": {N, 28, 64},
		"dec.weight_ih_l0": {256, 64}, "dec.weight_hh_l0": {256, 64}, "dec.bias_ih_l0": {256}, "dec.bias_hh_l0": {256},
		"dec": {N, 28, 64}, "out.weight": {28, 64}, "out.bias": {28}, "out/sigmoid": {N, 28, 28},
	})
	assert.Equal(t, 59164, paramCount(g))
	assert.Equal(t, ir.OpRepeat, g.ByName("repeat").Op)
	assert.Equal(t, ir.RoleTarget, g.ByName("clean").Attrs.Role)
	assert.Equal(t, map[string]float64{"loss": 1}, lossTerms(g))
	loss := g.Nodes[g.Loss]
	assert.Equal(t, ir.OpBCELoss, loss.Op)
	assert.Equal(t, []int{g.ByName("out/sigmoid").ID, g.ByName("clean").ID}, loss.Inputs)
	assert.Equal(t, "recon", g.Outputs[0].Name)
}
