package models_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// zoo lists the model constructors of autoencoders.go, cnn.go and torch_mnist.go, by file. The
// tests below hold them to what models_test.go holds the workloads to.
var zoo = map[string][]struct {
	name  string
	model func() *nn.Model
}{
	"autoencoders.go": {
		{"undercomplete_ae", models.UndercompleteAE},
		{"sparse_l1_ae", models.SparseL1AE},
		{"sparse_kl_ae", models.SparseKLAE},
		{"contractive_ae", models.ContractiveAE},
		{"denoising_ae", models.DenoisingAE},
		{"masking_dae", models.MaskingDAE},
		{"conv_ae", models.ConvAE},
		{"conv_transpose_ae", models.ConvTransposeAE},
		{"vae", models.VAE},
		{"vae_decoder", models.VAEDecoder},
		{"seq_ae", models.SeqAE},
	},
	"cnn.go": {
		{"alexnet_small", models.AlexNetSmall},
		{"zfnet_small", models.ZFNetSmall},
		{"vgg_small", models.VGGSmall},
		{"inception_small", models.InceptionSmall},
		{"resnet_small", models.ResNetSmall},
		{"densenet_small", models.DenseNetSmall},
		{"mobilenet_small", models.MobileNetSmall},
	},
	"torch_mnist.go": {
		{"torch_mnist", models.TorchMNIST},
	},
}

// Every exported func() *nn.Model of the zoo's files carries the //dlgen:model line
// that dlgen generate looks for, and is listed in zoo; parameterised constructors
// (DenseAutoencoder) are not models by themselves and carry none.
func TestZooConstructorsAreMarked(t *testing.T) {
	for file, list := range zoo {
		t.Run(file, func(t *testing.T) {
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments)
			require.NoError(t, err)
			found := 0
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || !fn.Name.IsExported() || fn.Recv != nil {
					continue
				}
				marked := false
				if fn.Doc != nil {
					for _, c := range fn.Doc.List {
						marked = marked || c.Text == "//dlgen:model"
					}
				}
				if fn.Type.Params.NumFields() > 0 {
					assert.False(t, marked, "%s takes arguments and cannot be generated", fn.Name.Name)
					continue
				}
				found++
				assert.True(t, marked, "%s has no //dlgen:model line directly above it", fn.Name.Name)
			}
			assert.Equal(t, len(list), found)
		})
	}
}

func TestZooModelsRoundTripAndAreDeterministic(t *testing.T) {
	for _, list := range zoo {
		for _, tc := range list {
			t.Run(tc.name, func(t *testing.T) {
				g := build(t, tc.model)
				assert.Equal(t, tc.name, g.Name)
				data, err := ir.Encode(g)
				require.NoError(t, err)
				back, err := ir.Decode(data)
				require.NoError(t, err)
				require.True(t, reflect.DeepEqual(g, back), "the decoded graph differs from the built one")
				assert.True(t, reflect.DeepEqual(g, build(t, tc.model)), "a second build differs")
			})
		}
	}
}

// Each model lowers for inference and (with a loss) for training, differentiates,
// and runs forward and backward in the interpreter on batch 2 with finite values and
// a gradient for every weight.
func TestZooModelsRunInTheInterpreter(t *testing.T) {
	// The interpreter takes a second or more on these; -short skips them.
	slow := map[string]bool{"vgg_small": true, "resnet_small": true, "densenet_small": true}
	for _, list := range zoo {
		for _, tc := range list {
			t.Run(tc.name, func(t *testing.T) {
				if testing.Short() && slow[tc.name] {
					t.Skip("slow in the interpreter")
				}
				g := build(t, tc.model)
				infer, err := passes.Lower(g, ir.ModeInfer)
				require.NoError(t, err)
				graphs := []*ir.Graph{infer}
				if g.Loss >= 0 {
					train, err := passes.Lower(g, ir.ModeTrain)
					require.NoError(t, err)
					train, err = passes.Autodiff(train)
					require.NoError(t, err)
					require.Len(t, train.Grads, len(train.Weights()))
					graphs = append(graphs, train)
				}
				for _, lg := range graphs {
					m, err := interp.New(lg, 1)
					require.NoError(t, err)
					vals, err := m.Run(feeds(lg, 2))
					require.NoError(t, err, lg.Mode)
					for _, v := range vals {
						for _, x := range v.Data {
							require.False(t, math.IsNaN(x) || math.IsInf(x, 0), "%s: a non-finite value", lg.Mode)
						}
					}
					if lg.Loss >= 0 {
						assert.Greater(t, vals[lg.Loss].Data[0], 0.0, lg.Mode)
					}
					if lg.Mode == ir.ModeTrain {
						for _, gr := range lg.Grads {
							nonzero := false
							for _, x := range vals[gr.ID].Data {
								nonzero = nonzero || x != 0
							}
							assert.True(t, nonzero, "the gradient of %s is all zeros", lg.Nodes[gr.Of].Name)
						}
					}
				}
			})
		}
	}
}
