package convtest

import "github.com/convverify/convverify/conv"

// RunGradGuarded runs impl on p with workers goroutines into NaN-poisoned,
// guarded gradients (the harness's own guarded run, for callers outside
// tests such as `convverify check`): it returns the gradients p.Dir writes,
// or impl's error, a panic on the calling goroutine, or a changed guard,
// naming the gradient.
func RunGradGuarded(impl GradImpl, p *conv.Problem, in conv.Inputs[float32], dy []float32, workers int) (conv.Grads[float32], error) {
	return runGradGuarded(impl, p, in, dy, workers)
}
