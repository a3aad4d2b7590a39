package reference

import "github.com/convverify/convverify/conv"

// Separable is the depthwise separable convolution: the depthwise half
// (G = IC, weights wdw [IC, 1, K…]) followed by the pointwise half (1×1,
// weights wpw [OC, IC, 1…]), each an ordinary Conv. bdw and bpw may be nil.
func Separable(s conv.Separable, x, wdw, bdw, wpw, bpw []float64, c *Counter) []float64 {
	mid := Conv(&s.Depthwise, x, wdw, bdw, c)
	return Conv(&s.Pointwise, mid, wpw, bpw, c)
}
