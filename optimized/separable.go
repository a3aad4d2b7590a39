package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

// Separable runs a depthwise separable convolution: the depthwise half
// (s.Depthwise, inputs depth) with depthwise-direct into an intermediate
// [MB, IC, O…], then the pointwise half (s.Pointwise, weights and bias in
// point; point.X must be nil: the intermediate is its input) with
// pointwise-gemm into out.
func Separable(s conv.Separable, depth, point conv.Inputs[float32], out []float32, workers int) error {
	if point.X != nil {
		return fmt.Errorf("separable: point.X must be nil (the pointwise half reads the depthwise output)")
	}
	dw, _ := Lookup("depthwise-direct")
	pw, _ := Lookup("pointwise-gemm")
	mid := make([]float32, conv.Elems(s.Depthwise.DstShape()))
	if err := dw.Run(&s.Depthwise, depth, mid, workers); err != nil {
		return fmt.Errorf("separable: depthwise half: %w", err)
	}
	point.X = mid
	if err := pw.Run(&s.Pointwise, point, out, workers); err != nil {
		return fmt.Errorf("separable: pointwise half: %w", err)
	}
	return nil
}
