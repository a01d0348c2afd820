package models_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/nn"
)

func TestCNNFamilies(t *testing.T) {
	dense := func(in, out int) int { return in*out + out }
	conv := func(in, out, k int) int { return in*out*k*k + out } // with bias
	convNB := func(in, out, k int) int { return in * out * k * k }
	bn := func(c int) int { return 2 * c } // γ and β; the running statistics are state
	alexHead := conv(32, 64, 5) + conv(64, 96, 3) + conv(96, 96, 3) + conv(96, 64, 3) +
		dense(64*3*3, 256) + dense(256, 256) + dense(256, 10)
	inception := func(in, b1, r3, b3, r5, b5, pool int) int {
		return conv(in, b1, 1) + conv(in, r3, 1) + conv(r3, b3, 3) + conv(in, r5, 1) + conv(r5, b5, 5) + conv(in, pool, 1)
	}
	res := func(in, out int) int {
		p := convNB(in, out, 3) + bn(out) + convNB(out, out, 3) + bn(out)
		if in != out {
			p += convNB(in, out, 1) + bn(out)
		}
		return p
	}
	denseLayer := func(in, growth int) int { return bn(in) + convNB(in, growth, 3) }
	for _, tc := range []struct {
		name   string
		model  func() *nn.Model
		params int
		shapes map[string]ir.Shape
	}{
		{"AlexNet has a 5x5 stride-2 first layer and overlapping pooling", models.AlexNetSmall, conv(1, 32, 5) + alexHead,
			map[string]ir.Shape{"conv1/relu": {N, 32, 14, 14}, "pool1": {N, 32, 7, 7}, "conv2/relu": {N, 64, 7, 7},
				"pool2": {N, 64, 3, 3}, "conv5/relu": {N, 64, 3, 3}, "flat": {N, 576}, "drop2": {N, 256}, "probs": {N, 10}}},
		{"ZFNet has a 7x7 stride-2 first layer", models.ZFNetSmall, conv(1, 32, 7) + alexHead,
			map[string]ir.Shape{"conv1/relu": {N, 32, 14, 14}, "pool1": {N, 32, 7, 7}, "flat": {N, 576}}},
		{"VGG stacks 3x3 convolutions in two blocks", models.VGGSmall,
			conv(1, 32, 3) + conv(32, 32, 3) + conv(32, 64, 3) + conv(64, 64, 3) + dense(64*7*7, 128) + dense(128, 10),
			map[string]ir.Shape{"block1.conv2/relu": {N, 32, 28, 28}, "block1.pool": {N, 32, 14, 14},
				"block2.conv2/relu": {N, 64, 14, 14}, "block2.pool": {N, 64, 7, 7}, "flat": {N, 3136}}},
		{"Inception concatenates four branches", models.InceptionSmall,
			conv(1, 32, 3) + inception(32, 16, 24, 32, 4, 8, 8) + inception(64, 32, 32, 48, 8, 24, 16) + dense(120, 10),
			map[string]ir.Shape{"stem_pool": {N, 32, 14, 14}, "inception1.b5/relu": {N, 8, 14, 14},
				"inception1.pool": {N, 32, 14, 14}, "inception1.concat": {N, 64, 14, 14},
				"inception2.concat": {N, 120, 7, 7}, "gap": {N, 120}}},
		{"ResNet mixes identity and projection shortcuts", models.ResNetSmall,
			convNB(1, 16, 3) + bn(16) + res(16, 16) + res(16, 32) + res(32, 32) + res(32, 64) + dense(64, 10),
			map[string]ir.Shape{"res1.add": {N, 16, 28, 28}, "res2.proj_bn": {N, 32, 14, 14}, "res2.relu": {N, 32, 14, 14},
				"res3.relu": {N, 32, 14, 14}, "res4.relu": {N, 64, 7, 7}, "gap": {N, 64}}},
		{"DenseNet concatenates every earlier layer", models.DenseNetSmall,
			convNB(1, 16, 3) + denseLayer(16, 12) + denseLayer(28, 12) + denseLayer(40, 12) +
				bn(52) + convNB(52, 26, 1) + denseLayer(26, 12) + denseLayer(38, 12) + denseLayer(50, 12) + bn(62) + dense(62, 10),
			map[string]ir.Shape{"block1.layer1.concat": {N, 28, 28, 28}, "block1.layer3.concat": {N, 52, 28, 28},
				"trans1.pool": {N, 26, 14, 14}, "block2.layer3.concat": {N, 62, 14, 14}, "gap": {N, 62}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := build(t, tc.model)
			assert.Equal(t, tc.params, paramCount(g))
			shapes(t, g, tc.shapes)
			assert.Equal(t, ir.OpSparseSoftmaxCELoss, g.Nodes[g.Loss].Op)
			assert.Equal(t, []string{"image", "label"}, []string{g.Inputs()[0].Name, g.Inputs()[1].Name})
		})
	}
}

func TestResNetShortcuts(t *testing.T) {
	g := build(t, models.ResNetSmall)
	for block, proj := range map[string]bool{"res1": false, "res2": true, "res3": false, "res4": true} {
		add := g.ByName(block + ".add")
		shortcut := g.Nodes[add.Inputs[1]]
		if proj {
			assert.Equal(t, block+".proj_bn", shortcut.Name, "%s has a projection shortcut", block)
			assert.Equal(t, []int{2, 2}, g.ByName(block+".proj").Attrs.Strides)
		} else {
			assert.Nil(t, g.ByName(block+".proj"), "%s has an identity shortcut", block)
			assert.Equal(t, ir.OpRelu, shortcut.Op, "%s adds the previous block's output", block)
		}
	}
}
