package reference

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

// GradMagnitude returns, for each gradient p.Dir writes, the scale that a
// float32 gradient's error bound multiplies, per element: Σ|term| over the
// products that element sums (conv.Bound: |err| ≤ C·N·u·GradMagnitude).
//
//   - conv, deconv: every gradient is linear in (dy, w) or (x, dy), so its
//     Σ|term| is the same gradient computed on |x|, |w|, |dy| (db: Σ|dy|).
//   - deform, dynamic: see deformGradMagnitude and dynamicGradMagnitude,
//     which also add the error of the nonlinear terms (bilinear weights,
//     routing) that a float32 implementation computes before summing.
func GradMagnitude(p *conv.Problem, in conv.Inputs[float64], dy []float64) (Grads, error) {
	if !p.Dir.Backward() {
		return Grads{}, fmt.Errorf("dir: %s is not a backward direction", p.Dir)
	}
	switch p.Op {
	case conv.OpConv, conv.OpDeconv:
		abs := conv.Inputs[float64]{X: conv.Abs(in.X), W: conv.Abs(in.W), B: conv.Abs(in.B)}
		return Backward(p, abs, conv.Abs(dy))
	case conv.OpDeform:
		return deformGradMagnitude(p, in, dy)
	case conv.OpDynamic:
		return dynamicGradMagnitude(p, in, dy)
	}
	return Grads{}, fmt.Errorf("op %v: no gradient magnitude", p.Op)
}
