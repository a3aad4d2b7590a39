package reference

import (
	"errors"

	"github.com/convverify/convverify/conv"
)

// dynamicGradMagnitude is GradMagnitude for dynamic (to be derived).
func dynamicGradMagnitude(p *conv.Problem, in conv.Inputs[float64], dy []float64) (Grads, error) {
	return Grads{}, errors.New("dynamic: gradient magnitude not derived yet")
}
