// Package generated holds the committed output of `dlgen generate` for the example
// models of package models, one package per model, each with a model_test.go that
// checks it against the interpreter and benchmarks it. `go generate ./...` rewrites
// them from the lines below; CI fails if that changes anything.
package generated

//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model MLP -out mlp -max-batch 64 -tests -cmd
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model LeNet -out lenet -max-batch 64 -tests -cmd
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model ConvDAE -out convdae -max-batch 32 -tests -cmd
// AllOps uses every op of the op table (its package checks each one against the interpreter).
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model AllOps -out allops -max-batch 8 -tests

// Recurrent models: W3 (LSTM), a bidirectional GRU, and MNIST read row by row.
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model LSTM -out lstm -max-batch 16 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model BiGRU -out bigru -max-batch 16 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model RowLSTM -out rowlstm -max-batch 32 -tests -cmd

// A text classifier on token ids (an Embedding into an LSTM), a regression MLP and a
// sequence tagger (labels per step): their commands train on NumPy data sets
// (-data file.npz).
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model TextLSTM -out textlstm -max-batch 16 -tests -cmd
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model Regressor -out regressor -max-batch 64 -tests -cmd
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model Tagger -out tagger -max-batch 32 -tests -cmd
// A tagger of padded sentences whose pad steps are labelled -100 (nn.IgnoreIndex):
// its command takes that label in the data files.
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model PadTagger -out padtagger -max-batch 16 -tests -cmd

// Autoencoders (docs/AUTOENCODERS.md; trained by examples/autoencoders, since they
// reconstruct their own input and so have no target for the generic train command).
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model UndercompleteAE -out undercompleteae -max-batch 64 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model SparseL1AE -out sparsel1ae -max-batch 64 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model SparseKLAE -out sparseklae -max-batch 64 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model ContractiveAE -out contractiveae -max-batch 64 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model DenoisingAE -out denoisingae -max-batch 64 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model MaskingDAE -out maskingdae -max-batch 64 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model ConvAE -out convae -max-batch 32 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model ConvTransposeAE -out convtransposeae -max-batch 32 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model VAE -out vae -max-batch 64 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model VAEDecoder -out vaedecoder -max-batch 64 -infer-only -tests
// The sequence-to-sequence (LSTM) autoencoder has a clean target, so the generated
// command trains it (docs/AUTOENCODERS.md).
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model SeqAE -out seqae -max-batch 32 -tests -cmd

// The classic CNN families scaled to MNIST (models/cnn.go), with training commands.
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model AlexNetSmall -out alexnetsmall -max-batch 32 -tests -cmd
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model ZFNetSmall -out zfnetsmall -max-batch 32 -tests -cmd
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model VGGSmall -out vggsmall -max-batch 8 -tests -cmd
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model InceptionSmall -out inceptionsmall -max-batch 32 -tests -cmd
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model ResNetSmall -out resnetsmall -max-batch 8 -tests -cmd
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model DenseNetSmall -out densenetsmall -max-batch 8 -tests -cmd
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model MobileNetSmall -out mobilenetsmall -max-batch 8 -tests -cmd

// PyTorch's own MNIST example network (examples/mnist's Net, models/torch_mnist.go):
// log_softmax under the negative log-likelihood, trained by its command as a classifier.
// Max batch 8, as VGGSmall: its test against the float64 interpreter at batch 32 takes
// over two minutes.
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model TorchMNIST -out torchmnist -max-batch 8 -tests -cmd
