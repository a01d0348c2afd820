package rt

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Without AVX-512 the fused convolutions take their Go paths (and no direct
// path); the tests that compare them with the ops one by one run again that way.
func TestFusedConvolutionWithoutVectorKernels(t *testing.T) {
	saved, direct := cpu, directConv
	defer func() { cpu, directConv = saved, direct }()
	cpu.avx512, directConv = false, false
	require.Zero(t, maxPool2x2ReLUVec(make([]float32, 16), make([]float32, 32), make([]float32, 32), 0))
	t.Run("fused equals one by one", TestFusedConvolutionEqualsTheOpsOneByOne)
}
