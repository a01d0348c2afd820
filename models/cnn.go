package models

import (
	"fmt"

	"github.com/dlgen/dlgen/nn"
)

// Small versions of the classic convolutional network families, for 1×28×28 MNIST
// digits and 10 classes, each small enough to train on two cores. They keep what
// defines each family (AlexNet's large strided first kernel, overlapping pooling and
// dropout-regularised dense head; ZFNet's 7×7 stride-2 first layer; VGG's stacks of
// 3×3 convolutions; Inception's parallel 1×1, 3×3, 5×5 and pooling branches;
// ResNet's identity and projection shortcuts around batch-normalised convolutions;
// DenseNet's layers that read every earlier layer's maps) and scale the widths and
// depths down. LeNet-5 is LeNet in models.go. Local response normalisation
// (AlexNet, ZFNet) is left out, as most modern reimplementations do.
//
// Every classifier takes "image" (N, 1, 28, 28) and int "label", returns class
// probabilities "probs", and is trained with softmax cross-entropy on the logits.
// Layers inside a block are named "<block>.<layer>", as PyTorch names submodules.

// classifier starts a 1×28×28 → 10-class model, and finish ends one from its logits.
func classifier(name string) (*nn.Model, *nn.T) {
	m := nn.New(name)
	return m, m.Input("image", 1, 28, 28)
}

func finish(m *nn.Model, logits *nn.T) *nn.Model {
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, m.Labels("label"), nn.FromLogits))
	return m
}

// alexNetStyle is the AlexNet/ZFNet layout on 28×28: a first convolution of kernel k
// and stride 2 (→ 14×14), overlapping 3×3 stride-2 max pooling (→ 7×7), a 5×5
// convolution, pooling again (→ 3×3), three 3×3 convolutions, and two dense layers of
// 256 with dropout 0.5 before the classifier.
func alexNetStyle(name string, k int) *nn.Model {
	m, x := classifier(name)
	h := x.Conv2D("conv1", 32, nn.K(k), nn.Strides(2), nn.Same, actReLU)   // 32×14×14
	h = h.MaxPool2D("pool1", nn.K(3), nn.Strides(2), nn.Same)              // 32×7×7
	h = h.Conv2D("conv2", 64, nn.K(5), nn.Same, actReLU)                   // 64×7×7
	h = h.MaxPool2D("pool2", nn.K(3), nn.Strides(2))                       // 64×3×3
	h = h.Conv2D("conv3", 96, nn.K(3), nn.Same, actReLU)                   // 96×3×3
	h = h.Conv2D("conv4", 96, nn.K(3), nn.Same, actReLU)                   // 96×3×3
	h = h.Conv2D("conv5", 64, nn.K(3), nn.Same, actReLU)                   // 64×3×3
	h = h.Flatten("flat").Dense("fc1", 256, actReLU).Dropout("drop1", 0.5) // 256
	h = h.Dense("fc2", 256, actReLU).Dropout("drop2", 0.5)                 // 256
	return finish(m, h.Dense("fc3", 10))
}

// AlexNetSmall is AlexNet (Krizhevsky et al., 2012) scaled to 28×28: a large 5×5
// stride-2 first convolution, overlapping max pooling, five convolutions (32, 64, 96,
// 96, 64 filters) and a 256-256-10 dense head with dropout 0.5.
//
//dlgen:model
func AlexNetSmall() *nn.Model { return alexNetStyle("alexnet_small", 5) }

// ZFNetSmall is ZFNet (Zeiler and Fergus, 2014) scaled like AlexNetSmall: ZFNet's
// change to AlexNet was a smaller first kernel with a smaller stride, here 7×7 with
// stride 2. (Its second layer's stride 2 is dropped: the maps are only 7×7 there.)
//
//dlgen:model
func ZFNetSmall() *nn.Model { return alexNetStyle("zfnet_small", 7) }

// vggBlock is a VGG stage (Simonyan and Zisserman, 2015): convs 3×3 convolutions
// with padding 1 and ReLU, then 2×2 max pooling, named "<name>.conv1", ...,
// "<name>.pool".
func vggBlock(x *nn.T, name string, filters, convs int) *nn.T {
	for i := range convs {
		x = x.Conv2D(fmt.Sprintf("%s.conv%d", name, i+1), filters, nn.K(3), nn.Pads(1), actReLU)
	}
	return x.MaxPool2D(name+".pool", nn.K(2))
}

// VGGSmall is two VGG blocks of two 3×3 convolutions each (32 then 64 filters; 28 →
// 14 → 7), then a dense layer of 128 with dropout 0.5 and the classifier.
//
//dlgen:model
func VGGSmall() *nn.Model {
	m, x := classifier("vgg_small")
	h := vggBlock(x, "block1", 32, 2)                                     // 32×14×14
	h = vggBlock(h, "block2", 64, 2)                                      // 64×7×7
	h = h.Flatten("flat").Dense("fc1", 128, actReLU).Dropout("drop", 0.5) // 128
	return finish(m, h.Dense("fc2", 10))
}

// inceptionSizes are the filters of an Inception module's branches: 1×1; 1×1
// reduction then 3×3; 1×1 reduction then 5×5; 3×3 max pooling then a 1×1 projection.
type inceptionSizes struct{ b1, r3, b3, r5, b5, pool int }

func (s inceptionSizes) out() int { return s.b1 + s.b3 + s.b5 + s.pool }

// inceptionBlock is an Inception module of GoogLeNet (Szegedy et al., 2015): four
// branches over the same input, each convolution with ReLU and "same" padding so the
// maps keep their size, concatenated along the channels.
func inceptionBlock(x *nn.T, name string, s inceptionSizes) *nn.T {
	conv := func(in *nn.T, layer string, filters, k int) *nn.T {
		return in.Conv2D(name+"."+layer, filters, nn.K(k), nn.Same, actReLU)
	}
	b1 := conv(x, "b1", s.b1, 1)
	b3 := conv(conv(x, "b3_reduce", s.r3, 1), "b3", s.b3, 3)
	b5 := conv(conv(x, "b5_reduce", s.r5, 1), "b5", s.b5, 5)
	bp := conv(x.MaxPool2D(name+".pool", nn.K(3), nn.Strides(1), nn.Same), "pool_proj", s.pool, 1)
	return nn.Concat(name+".concat", 1, b1, b3, b5, bp)
}

// InceptionSmall is a stem convolution (32, 3×3) and max pooling (→ 14×14), an
// Inception module (GoogLeNet's 3a at a quarter of its width, 64 channels), max
// pooling (→ 7×7), a second module (3b at a quarter, 120 channels), global average
// pooling, dropout 0.4 and the classifier, as GoogLeNet ends.
//
//dlgen:model
func InceptionSmall() *nn.Model {
	m, x := classifier("inception_small")
	h := x.Conv2D("stem", 32, nn.K(3), nn.Same, actReLU).MaxPool2D("stem_pool", nn.K(2)) // 32×14×14
	h = inceptionBlock(h, "inception1", inceptionSizes{16, 24, 32, 4, 8, 8})             // 64×14×14
	h = h.MaxPool2D("pool", nn.K(2))                                                     // 64×7×7
	h = inceptionBlock(h, "inception2", inceptionSizes{32, 32, 48, 8, 24, 16})           // 120×7×7
	h = h.GlobalAvgPool2D("gap").Dropout("drop", 0.4)                                    // 120
	return finish(m, h.Dense("fc", 10))
}

// resBlock is the basic residual block of He et al. (2016): two 3×3 convolutions
// (the first with the given stride), each followed by batch norm, the first by ReLU;
// their sum with the shortcut; ReLU. The shortcut is the identity when the shape is
// kept, and a strided 1×1 convolution with batch norm (a projection, option B of the
// paper) when the stride or the channel count changes. Convolutions followed by batch
// norm have no bias, which the norm's shift would cancel.
func resBlock(x *nn.T, name string, filters, stride int) *nn.T {
	n := func(layer string) string { return name + "." + layer }
	h := x.Conv2D(n("conv1"), filters, nn.K(3), nn.Strides(stride), nn.Pads(1), nn.NoBias)
	h = h.BatchNorm(n("bn1")).Relu(n("relu1"))
	h = h.Conv2D(n("conv2"), filters, nn.K(3), nn.Pads(1), nn.NoBias).BatchNorm(n("bn2"))
	shortcut := x
	if s := x.Shape(); stride != 1 || (len(s) > 1 && s[1] != filters) {
		shortcut = x.Conv2D(n("proj"), filters, nn.K(1), nn.Strides(stride), nn.NoBias).BatchNorm(n("proj_bn"))
	}
	return nn.Add(n("add"), h, shortcut).Relu(n("relu"))
}

// ResNetSmall is a stem (16, 3×3, batch norm, ReLU) and four basic residual blocks
// (16; 32 stride 2 with a projection shortcut; 32; 64 stride 2 with a projection:
// 28 → 14 → 7), then global average pooling straight into the classifier, with no
// large dense layer, as ResNets end.
//
//dlgen:model
func ResNetSmall() *nn.Model {
	m, x := classifier("resnet_small")
	h := x.Conv2D("stem", 16, nn.K(3), nn.Pads(1), nn.NoBias).BatchNorm("stem_bn").Relu("stem_relu") // 16×28×28
	h = resBlock(h, "res1", 16, 1)                                                                   // 16×28×28, identity
	h = resBlock(h, "res2", 32, 2)                                                                   // 32×14×14, projection
	h = resBlock(h, "res3", 32, 1)                                                                   // 32×14×14, identity
	h = resBlock(h, "res4", 64, 2)                                                                   // 64×7×7, projection
	return finish(m, h.GlobalAvgPool2D("gap").Dense("fc", 10))
}

// denseBlock is a dense block of Huang et al. (2017): each of its layers (batch norm,
// ReLU, 3×3 convolution of growth filters, "<name>.layer<i>.*") reads the
// concatenation of the block's input and every earlier layer's output, and the block
// returns the concatenation of all of them: in + layers·growth channels.
func denseBlock(x *nn.T, name string, layers, growth int) *nn.T {
	features := x
	for i := range layers {
		n := fmt.Sprintf("%s.layer%d.", name, i+1)
		h := features.BatchNorm(n+"bn").Relu(n+"relu").Conv2D(n+"conv", growth, nn.K(3), nn.Pads(1), nn.NoBias)
		features = nn.Concat(n+"concat", 1, features, h)
	}
	return features
}

// transition is DenseNet's layer between blocks: batch norm, ReLU, a 1×1 convolution
// to filters channels (the compression), and 2×2 average pooling.
func transition(x *nn.T, name string, filters int) *nn.T {
	h := x.BatchNorm(name+".bn").Relu(name+".relu").Conv2D(name+".conv", filters, nn.K(1), nn.NoBias)
	return h.AvgPool2D(name+".pool", nn.K(2))
}

// DenseNetSmall is a stem convolution (16, 3×3), a dense block of three layers with
// growth rate 12 (16 → 52 channels, 28×28), a transition compressing by half (26
// channels, 14×14), a second dense block (26 → 62), batch norm, ReLU, global average
// pooling and the classifier.
//
//dlgen:model
func DenseNetSmall() *nn.Model {
	m, x := classifier("densenet_small")
	h := x.Conv2D("stem", 16, nn.K(3), nn.Pads(1), nn.NoBias) // 16×28×28
	h = denseBlock(h, "block1", 3, 12)                        // 52×28×28
	h = transition(h, "trans1", 26)                           // 26×14×14
	h = denseBlock(h, "block2", 3, 12)                        // 62×14×14
	h = h.BatchNorm("final_bn").Relu("final_relu").GlobalAvgPool2D("gap")
	return finish(m, h.Dense("fc", 10))
}

// invertedResidual is MobileNetV2's block (Sandler et al., 2018) at stride 1: a 1×1
// convolution expanding to expand channels, a 3×3 depthwise convolution, a linear 1×1
// projection back to the input's channels, each batch-normalised, ReLU6 after the
// first two, and the block's input added to its output.
func invertedResidual(x *nn.T, name string, channels, expand int) *nn.T {
	n := func(s string) string { return name + "." + s }
	h := x.Conv2D(n("expand"), expand, nn.K(1), nn.NoBias).BatchNorm(n("expand_bn")).Activation(n("expand_relu6"), "relu6")
	h = h.DepthwiseConv2D(n("dw"), 1, nn.K(3), nn.Pads(1), nn.NoBias).BatchNorm(n("dw_bn")).Activation(n("dw_relu6"), "relu6")
	h = h.Conv2D(n("project"), channels, nn.K(1), nn.NoBias).BatchNorm(n("project_bn"))
	return nn.Add(n("add"), x, h)
}

// MobileNetSmall is MobileNet's depthwise-separable design scaled to 28×28: a
// strided stem (8, 3×3, stride 2 → 14×14), one inverted residual block (expanding 8 →
// 16 channels for its depthwise convolution), a strided depthwise-separable layer
// (3×3 depthwise at stride 2 → 7×7, then 1×1 to 24 channels), ReLU6 throughout,
// global average pooling and the classifier.
//
//dlgen:model
func MobileNetSmall() *nn.Model {
	m, x := classifier("mobilenet_small")
	h := x.Conv2D("stem", 8, nn.K(3), nn.Strides(2), nn.Pads(1), nn.NoBias).BatchNorm("stem_bn").Activation("stem_relu6", "relu6")                  // 8×14×14
	h = invertedResidual(h, "block1", 8, 16)                                                                                                        // 8×14×14
	h = h.DepthwiseConv2D("down_dw", 1, nn.K(3), nn.Strides(2), nn.Pads(1), nn.NoBias).BatchNorm("down_dw_bn").Activation("down_dw_relu6", "relu6") // 8×7×7
	h = h.Conv2D("down_pw", 24, nn.K(1), nn.NoBias).BatchNorm("down_pw_bn").Activation("down_pw_relu6", "relu6")                                    // 24×7×7
	return finish(m, h.GlobalAvgPool2D("gap").Dense("fc", 10))
}
