package worker

import (
	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
)

// GradBound is the bound under which a worker's float32 gradient named
// name ("dx", "dw", …) of backward problem p is judged against
// reference.Backward, element by element against reference.GradMagnitude:
// the one gradient judge every check of a float32 gradient uses
// (convtest.DefaultGradBound: C = 1, N = convtest.GradAccumLength, the
// terms one element sums, Abs = 1e-30; derived in docs/bounds.md,
// "Gradients"). It holds for every correct float32 implementation
// whatever its summation order, with or without FMA:
//
//	|got − exp| ≤ γ_N · GradMagnitude + 1e-30
//
// (conv and deconv dx: (OC/G)·taps; conv dw and every db: MB·Π(out);
// deconv dw: MB·Π(in); deform and dynamic: see GradAccumLength, which
// counts at least the length their GradMagnitude is sized for).
func GradBound(p *conv.Problem, name string) conv.Bound {
	return convtest.DefaultGradBound(p, name, nil)
}
