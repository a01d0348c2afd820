package rt

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPickChoosesByTheCondition(t *testing.T) {
	for _, c := range []struct{ a, b int }{{0, 0}, {1, 0}, {-7, 3}, {1 << 40, -1}, {5, 5}} {
		assert.Equal(t, c.a, Pick(true, c.a, c.b), "Pick(true, %d, %d)", c.a, c.b)
		assert.Equal(t, c.b, Pick(false, c.a, c.b), "Pick(false, %d, %d)", c.a, c.b)
	}
}
