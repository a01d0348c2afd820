package rt

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Without AVX-512 the fused convolutions take their Go paths; the tests that
// compare them with the ops one by one run again that way.
func TestFusedConvolutionWithoutVectorKernels(t *testing.T) {
	saved := cpu
	defer func() { cpu = saved }()
	cpu.avx512 = false
	require.Zero(t, maxPool2x2ReLUVec(make([]float32, 16), make([]float32, 32), make([]float32, 32), 0))
	t.Run("fused equals one by one", TestFusedConvolutionEqualsTheOpsOneByOne)
}
