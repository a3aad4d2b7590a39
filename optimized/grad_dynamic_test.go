package optimized_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/reference"
)

// TestDynamicBwdMix: dynamic-bwd-mix against the reference, in every
// backward direction (sigmoid and softmax routing, with and without expert
// biases), with small and production tiles.
func TestDynamicBwdMix(t *testing.T) {
	v, ok := optimized.GradLookup("dynamic-bwd-mix")
	if !ok {
		t.Fatal("dynamic-bwd-mix not registered")
	}
	for _, tiles := range []optimized.Tiles{optimized.SmallTiles, optimized.DefaultTiles} {
		old := optimized.SetTiles(tiles)
		rapid.Check(t, func(t *rapid.T) {
			p := convtest.Gen(conv.OpDynamic).Draw(t, "p")
			drawGradDir(t, &p)
			checkGradVariant(t, v, &p, reference.DynamicGradLength)
		})
		optimized.SetTiles(old)
	}
}
