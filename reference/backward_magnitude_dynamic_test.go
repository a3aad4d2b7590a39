package reference

import (
	"testing"

	"pgregory.net/rapid"
)

func TestDynamicGradMagnitudeCoversGradient(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genDynamic(t)
		drawBackwardDir(t, p)
		in, dy := realInputs(t, p)
		checkMagnitudeCovers(t, p, in, dy)
	})
}
