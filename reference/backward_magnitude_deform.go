package reference

import (
	"errors"

	"github.com/convverify/convverify/conv"
)

// deformGradMagnitude is GradMagnitude for deform (to be derived).
func deformGradMagnitude(p *conv.Problem, in conv.Inputs[float64], dy []float64) (Grads, error) {
	return Grads{}, errors.New("deform: gradient magnitude not derived yet")
}
