package models

import (
	"fmt"

	"github.com/dlgen/dlgen/nn"
)

// Autoencoders of every classic kind, on MNIST digits scaled to [0, 1]: the dense
// ones read 784-pixel vectors, the convolutional ones 1×28×28 images. Each is trained
// to reproduce its input "image" (there is no separate target: the denoising ones
// corrupt the input inside the model, and only while training) and returns the
// reconstruction as output "recon". The dense ones also return their code as "code",
// the VAE its mean code as "z_mean", for plots of the latent space. SeqAE, the
// sequence-to-sequence autoencoder, reads the image as 28 rows and has a target
// "clean" (the image again), so that the generic training command can drive it.

// MNISTPixels is the size of a flattened 28×28 MNIST image.
const MNISTPixels = 28 * 28

// VAECodeSize is the size of the VAE's latent code: 2, so that codes can be drawn as
// a scatter plot and digits generated from a grid of the plane.
const VAECodeSize = 2

var (
	actReLU    = nn.Act("relu")
	actSigmoid = nn.Act("sigmoid")
)

// DenseAutoencoder builds a dense autoencoder for 784-pixel images: hidden layers
// "enc1", "enc2", ... of the given sizes (ReLU), a code layer "code" of code units
// (ReLU), the hidden layers mirrored as "dec1", "dec2", ... and an output layer "out"
// of 784 sigmoid units, trained with binary cross-entropy against the input (mean
// over pixels, as Keras' binary_crossentropy). UndercompleteAE is
// DenseAutoencoder("undercomplete_ae", []int{128}, 32). Bad sizes are reported by
// Build.
func DenseAutoencoder(name string, hidden []int, code int) *nn.Model {
	m := nn.New(name)
	x := m.Input("image", MNISTPixels)
	c, recon := denseAE(x, hidden, code, actReLU)
	m.Output("recon", recon)
	m.Output("code", c)
	m.Loss(nn.BinaryCrossEntropy("loss", recon, x))
	return m
}

// denseAE is the layer stack of DenseAutoencoder on input x (clean or corrupted),
// with codeAct on the code layer. It returns the code and the reconstruction.
func denseAE(x *nn.T, hidden []int, code int, codeAct nn.Option) (c, recon *nn.T) {
	h := x
	for i, units := range hidden {
		h = h.Dense(fmt.Sprintf("enc%d", i+1), units, actReLU)
	}
	c = h.Dense("code", code, codeAct)
	h = c
	for i := range hidden {
		h = h.Dense(fmt.Sprintf("dec%d", i+1), hidden[len(hidden)-1-i], actReLU)
	}
	return c, h.Dense("out", MNISTPixels, actSigmoid)
}

// UndercompleteAE is the plain autoencoder: 784 → 128 → 32 → 128 → 784, ReLU inside,
// a sigmoid output and binary cross-entropy. The 32-unit bottleneck is what makes it
// learn a compressed code.
//
//dlgen:model
func UndercompleteAE() *nn.Model {
	return DenseAutoencoder("undercomplete_ae", []int{128}, 32)
}

// SparseL1AE is UndercompleteAE with an L1 activity penalty on its code, λ = 1e-4 as
// in the Keras blog's sparse autoencoder (activity_regularizer=l1(10e-5)): the loss is
// BCE + 1e-4·Σ|code| / batch size (tf.keras 2's normalisation, see nn.L1Activity).
//
//dlgen:model
func SparseL1AE() *nn.Model {
	m := nn.New("sparse_l1_ae")
	x := m.Input("image", MNISTPixels)
	c, recon := denseAE(x, []int{128}, 32, actReLU)
	m.Output("recon", recon)
	m.Output("code", c)
	m.AddLoss(nn.BinaryCrossEntropy("loss", recon, x), 1)
	m.AddLoss(nn.L1Activity("sparsity", c, 1e-4), 1)
	return m
}

// SparseKLAE is the sparse autoencoder of Ng's CS294A notes as set up in the UFLDL
// MNIST exercise: 784 → 196 sigmoid → 784 sigmoid, with the cost
// (1/m)·Σ ½‖x̂ - x‖² + β·Σ_j KL(ρ‖ρ̂_j), ρ = 0.1 and β = 3. The squared error summed
// over pixels is 392·MSE (MSE averages over 784 pixels); the notes' weight decay is
// left to the optimizer.
//
//dlgen:model
func SparseKLAE() *nn.Model {
	m := nn.New("sparse_kl_ae")
	x := m.Input("image", MNISTPixels)
	c := x.Dense("code", 196, actSigmoid)
	recon := c.Dense("out", MNISTPixels, actSigmoid)
	m.Output("recon", recon)
	m.Output("code", c)
	m.AddLoss(nn.MSE("loss", recon, x), MNISTPixels/2)
	m.AddLoss(nn.KLSparsity("sparsity", c, 0.1, 3), 1)
	return m
}

// ContractiveAE is a contractive autoencoder (Rifai et al., 2011): 784 → 64 sigmoid
// → 784 sigmoid, trained with MSE + λ·‖J_f(x)‖²_F, λ = 1e-4. The penalty is computed
// in closed form, which requires the encoder to be this single dense sigmoid layer.
//
//dlgen:model
func ContractiveAE() *nn.Model {
	m := nn.New("contractive_ae")
	x := m.Input("image", MNISTPixels)
	c := x.Dense("code", 64, actSigmoid)
	recon := c.Dense("out", MNISTPixels, actSigmoid)
	m.Output("recon", recon)
	m.Output("code", c)
	m.AddLoss(nn.MSE("loss", recon, x), 1)
	m.AddLoss(nn.ContractivePenalty("contractive", c, 1e-4), 1)
	return m
}

// DenoisingAE is UndercompleteAE behind a GaussianNoise layer of standard deviation
// 0.5 (the Keras blog's noise factor): it learns to map x + N(0, 0.25) back to x. The
// noisy input is not clipped to [0, 1]. At inference the noise layer is the identity,
// so Predict denoises whatever it is given.
//
//dlgen:model
func DenoisingAE() *nn.Model {
	m := nn.New("denoising_ae")
	x := m.Input("image", MNISTPixels)
	c, recon := denseAE(x.GaussianNoise("noise", 0.5), []int{128}, 32, actReLU)
	m.Output("recon", recon)
	m.Output("code", c)
	m.Loss(nn.BinaryCrossEntropy("loss", recon, x))
	return m
}

// MaskingDAE is UndercompleteAE behind masking noise (Vincent et al., 2008): while
// training each pixel is set to 0 with probability 0.3, and the rest are kept
// unscaled, and the network learns to restore the erased pixels.
//
//dlgen:model
func MaskingDAE() *nn.Model {
	m := nn.New("masking_dae")
	x := m.Input("image", MNISTPixels)
	c, recon := denseAE(x.MaskingNoise("noise", 0.3), []int{128}, 32, actReLU)
	m.Output("recon", recon)
	m.Output("code", c)
	m.Loss(nn.BinaryCrossEntropy("loss", recon, x))
	return m
}

// ConvAE is the convolutional autoencoder of the Keras blog: Conv 16, 8, 8 (3×3
// same, ReLU) each followed by a same-padded MaxPool 2 (28 → 14 → 7 → 4, a code of
// 8×4×4), then Conv 8, 8 same and Conv 16 valid (ReLU) each followed by UpSampling 2
// (4 → 8 → 16 → 14 → 28), and Conv 1 3×3 same with a sigmoid; binary cross-entropy.
//
//dlgen:model
func ConvAE() *nn.Model {
	m := nn.New("conv_ae")
	x := m.Input("image", 1, 28, 28)
	k := nn.K(3)
	h := x.Conv2D("enc1", 16, k, nn.Same, actReLU).MaxPool2D("pool1", nn.K(2), nn.Same) // 16×14×14
	h = h.Conv2D("enc2", 8, k, nn.Same, actReLU).MaxPool2D("pool2", nn.K(2), nn.Same)   // 8×7×7
	h = h.Conv2D("enc3", 8, k, nn.Same, actReLU).MaxPool2D("pool3", nn.K(2), nn.Same)   // 8×4×4
	h = h.Conv2D("dec1", 8, k, nn.Same, actReLU).UpSampling2D("up1")                    // 8×8×8
	h = h.Conv2D("dec2", 8, k, nn.Same, actReLU).UpSampling2D("up2")                    // 8×16×16
	h = h.Conv2D("dec3", 16, k, actReLU).UpSampling2D("up3")                            // 16×28×28
	recon := h.Conv2D("out", 1, k, nn.Same, actSigmoid)                                 // 1×28×28
	m.Output("recon", recon)
	m.Loss(nn.BinaryCrossEntropy("loss", recon, x))
	return m
}

// ConvTransposeAE is the autoencoder of Keras' image-denoising example, trained here
// on clean images: Conv 32 (3×3 same, ReLU) + MaxPool 2 twice (28 → 7), then two
// Conv2DTranspose 32 (3×3, stride 2, same, ReLU) that learn the upsampling (7 → 28)
// and Conv 1 3×3 same with a sigmoid; binary cross-entropy.
//
//dlgen:model
func ConvTransposeAE() *nn.Model {
	m := nn.New("conv_transpose_ae")
	x := m.Input("image", 1, 28, 28)
	k := nn.K(3)
	h := x.Conv2D("enc1", 32, k, nn.Same, actReLU).MaxPool2D("pool1", nn.K(2)) // 32×14×14
	h = h.Conv2D("enc2", 32, k, nn.Same, actReLU).MaxPool2D("pool2", nn.K(2))  // 32×7×7
	h = h.Conv2DTranspose("dec1", 32, k, nn.Strides(2), nn.Same, actReLU)      // 32×14×14
	h = h.Conv2DTranspose("dec2", 32, k, nn.Strides(2), nn.Same, actReLU)      // 32×28×28
	recon := h.Conv2D("out", 1, k, nn.Same, actSigmoid)                        // 1×28×28
	m.Output("recon", recon)
	m.Loss(nn.BinaryCrossEntropy("loss", recon, x))
	return m
}

// VAE is the variational autoencoder (Kingma and Welling, 2014) of Keras' MNIST
// example: 784 → 512 ReLU ("enc") → a 2-unit mean "z_mean" and log-variance
// "z_log_var" → the sample z = z_mean + exp(½·z_log_var)·ε ("z") → 512 ReLU ("dec") →
// 784 sigmoid ("out"). The loss is Keras' example's: per example, the binary
// cross-entropy summed over the 784 pixels (784 × the mean BCE) plus the KL divergence
// -½·Σ(1 + log σ² - μ² - σ²), both averaged over the batch. Training samples a fresh ε
// every step; Predict returns the reconstruction of the mean code, and "z_mean" for a
// latent-space plot. VAEDecoder generates digits from codes with the same weights.
//
//dlgen:model
func VAE() *nn.Model {
	m := nn.New("vae")
	x := m.Input("image", MNISTPixels)
	h := x.Dense("enc", 512, actReLU)
	mu := h.Dense("z_mean", VAECodeSize)
	logvar := h.Dense("z_log_var", VAECodeSize)
	recon := vaeDecoder(nn.Sample("z", mu, logvar))
	m.Output("recon", recon)
	m.Output("z_mean", mu)
	m.AddLoss(nn.BinaryCrossEntropy("recon_loss", recon, x), MNISTPixels)
	m.AddLoss(nn.KLNormal("kl", mu, logvar), 1)
	return m
}

// VAEDecoder is the generative half of VAE on its own: a code "z" of VAECodeSize
// values → 512 ReLU → 784 sigmoid, output "image". Its layers have VAE's decoder
// names ("dec", "out"), so its parameters are exactly VAE's "dec.weight", "dec.bias",
// "out.weight" and "out.bias": load a trained VAE's weight file into it, ignoring the
// encoder's tensors (rt/safetensors LoadOptions.AllowUnexpected), and Predict turns
// codes drawn from N(0, I), or a grid of the plane, into digits. It has no loss and is
// not trained on its own.
//
//dlgen:model
func VAEDecoder() *nn.Model {
	m := nn.New("vae_decoder")
	z := m.Input("z", VAECodeSize)
	m.Output("image", vaeDecoder(z))
	return m
}

// vaeDecoder is the decoder VAE and VAEDecoder share, so that their parameters agree
// in names and shapes.
func vaeDecoder(z *nn.T) *nn.T {
	return z.Dense("dec", 512, actReLU).Dense("out", MNISTPixels, actSigmoid)
}

// SeqAE is the sequence-to-sequence autoencoder of the Keras blog ("Building
// Autoencoders in Keras"), on MNIST read as a sequence of its 28 rows of 28 pixels:
// an LSTM encoder ("enc", 64 units) reads the rows to its last state, the code;
// RepeatVector ("repeat") copies the code to each of the 28 steps; an LSTM decoder
// ("dec", 64 units, every step) and a per-step Dense ("out", 28 sigmoid units)
// rebuild the rows. Binary cross-entropy against the target "clean" (the same image,
// (N, 28, 28)), so that the generated command trains it as a reconstruction model
// (and as a denoising one with -noise). PyTorch: nn.LSTM(28, 64, batch_first=True),
// h[-1].unsqueeze(1).repeat(1, 28, 1), nn.LSTM(64, 64, batch_first=True),
// nn.Linear(64, 28), sigmoid.
//
//dlgen:model
func SeqAE() *nn.Model {
	m := nn.New("seq_ae")
	x := m.Input("image", 28, 28)
	clean := m.Target("clean", 28, 28)
	code := x.LSTM("enc", 64)                 // (N, 64)
	h := code.RepeatVector("repeat", 28)      // (N, 28, 64)
	h = h.LSTM("dec", 64, nn.ReturnSequences) // (N, 28, 64)
	recon := h.Dense("out", 28, actSigmoid)   // (N, 28, 28)
	m.Output("recon", recon)
	m.Loss(nn.BinaryCrossEntropy("loss", recon, clean))
	return m
}
