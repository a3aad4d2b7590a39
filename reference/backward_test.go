package reference

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/convverify/convverify/conv"
)

// A 1D conv on paper: x = [1 2 3 4], w = [5 7], stride 2, no padding, so
// O = 2 and output o reads x[2o], x[2o+1]. Along dy = [1 10]:
//
//	dx = [1·5, 1·7, 10·5, 10·7]                 = [5 7 50 70]
//	dw = [1·x0 + 10·x2, 1·x1 + 10·x3]           = [31 42]
//	db = 1 + 10                                  = [11]
func TestConvBackwardByHand(t *testing.T) {
	p := problem(t, conv.OpConv, 1, func(p *conv.Problem) { p.I[conv.W], p.K[conv.W], p.S[conv.W] = 4, 2, 2 })
	x, w, dy := []float64{1, 2, 3, 4}, []float64{5, 7}, []float64{1, 10}
	if d := cmp.Diff([]float64{5, 7, 50, 70}, ConvBackwardData(p, dy, w)); d != "" {
		t.Errorf("dx (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]float64{31, 42}, ConvBackwardWeights(p, x, dy)); d != "" {
		t.Errorf("dw (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]float64{11}, BiasGrad(p, dy)); d != "" {
		t.Errorf("db (-want +got):\n%s", d)
	}
}

// The matching deconv on paper: x = [1 10], w = [5 7], stride 2 scatters
// x[i]·w[k] to 2i + k, O = 4. Along dy = [1 2 3 4]:
//
//	dx[i] = dy[2i]·5 + dy[2i+1]·7               = [19 43]
//	dw[k] = x0·dy[k] + x1·dy[2+k]               = [31 42]
func TestDeconvBackwardByHand(t *testing.T) {
	p := problem(t, conv.OpDeconv, 1, func(p *conv.Problem) { p.I[conv.W], p.K[conv.W], p.S[conv.W] = 2, 2, 2 })
	x, w, dy := []float64{1, 10}, []float64{5, 7}, []float64{1, 2, 3, 4}
	if d := cmp.Diff([]float64{19, 43}, DeconvBackwardData(p, dy, w)); d != "" {
		t.Errorf("dx (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]float64{31, 42}, DeconvBackwardWeights(p, x, dy)); d != "" {
		t.Errorf("dw (-want +got):\n%s", d)
	}
}

// A 1×1 DCNv2 on a 1×3 image x = [2 5 11] with w = 3, mask 0.5 and a column
// offset of 0.25 at output (0, 0): the sample at 0.25 reads 0.75·2 + 0.25·5 =
// 2.75. Along dy = 1 at that output (0 elsewhere):
//
//	dw       = 2.75·0.5                  = 1.375
//	dmask    = 2.75·3                    = 8.25
//	dx       = 1.5·[0.75 0.25 0]         = [1.125 0.375 0]
//	doffset  = 1.5·(5 − 2) (columns)     = 4.5, rows: 0 (the row above and
//	           below are outside: (1−lx)(0 − 2) + lx(0 − 5) = −2.75, times 1.5)
func TestDeformBackwardByHand(t *testing.T) {
	p := problem(t, conv.OpDeform, 2, func(p *conv.Problem) { p.I[conv.W] = 3 })
	x, w := []float64{2, 5, 11}, []float64{3}
	offset := make([]float64, conv.Elems(p.OffsetShape())) // [1, 2, 1, 3]
	offset[3] = 0.25                                       // column offset at output column 0
	mask := []float64{0.5, 0.5, 0.5}
	p.Mask = true
	dy := []float64{1, 0, 0}
	g := DeformBackward(p, x, w, offset, mask, dy)
	want := DeformGrads{DX: []float64{1.125, 0.375, 0}, DW: []float64{1.375}, DOffset: []float64{-4.125, 0, 0, 4.5, 0, 0}, DMask: []float64{8.25, 0, 0}}
	if d := cmp.Diff(want, g); d != "" {
		t.Errorf("deform gradients (-want +got):\n%s", d)
	}
}

// One expert with softmax routing has α = 1 whatever the logits, so the
// routing gradients are exactly 0 and dx, dw, db are the conv's.
func TestDynamicOneExpertBackwardIsConv(t *testing.T) {
	p := problem(t, conv.OpDynamic, 1, func(p *conv.Problem) {
		p.I[conv.W], p.K[conv.W], p.S[conv.W] = 4, 2, 2
		p.Routing, p.Temperature = conv.RoutingSoftmax, 0.7
	})
	x, w, b, dy := []float64{1, 2, 3, 4}, []float64{5, 7}, []float64{-3}, []float64{1, 10}
	g := DynamicBackward(p, x, w, b, []float64{0.3}, []float64{-0.2}, dy)
	want := DynamicGrads{DX: []float64{5, 7, 50, 70}, DW: []float64{31, 42}, DB: []float64{11}, DRouteW: []float64{0}, DRouteB: []float64{0}}
	if d := cmp.Diff(want, g); d != "" {
		t.Errorf("dynamic gradients (-want +got):\n%s", d)
	}
}

// Backward names the tensor and the direction of a bad input.
func TestBackwardErrors(t *testing.T) {
	p := problem(t, conv.OpConv, 1, func(p *conv.Problem) { p.I[conv.W], p.K[conv.W] = 4, 2 })
	in := conv.Inputs[float64]{X: make([]float64, 4), W: make([]float64, 2)}
	for _, c := range []struct {
		dir  conv.Dir
		in   conv.Inputs[float64]
		dy   []float64
		want string
	}{
		{conv.DirFwdB, in, make([]float64, 3), "dir: FWD_B is not a backward direction"},
		{conv.DirBwdD, in, make([]float64, 2), "dy: 2 elements, want 3 for shape [1 1 3] (direction BWD_D)"},
		{conv.DirBwdW, conv.Inputs[float64]{W: in.W}, make([]float64, 3), "x: 0 elements, want 4 for shape [1 1 4] (direction BWD_W)"},
		{conv.DirBwdD, conv.Inputs[float64]{X: in.X}, make([]float64, 3), "w: 0 elements, want 2"},
	} {
		q := *p
		q.Dir = c.dir
		_, err := Backward(&q, c.in, c.dy)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.dir, err, c.want)
		}
	}
	// BWD_D reads no x: a missing x is fine there.
	q := *p
	q.Dir = conv.DirBwdD
	if _, err := Backward(&q, conv.Inputs[float64]{W: in.W}, make([]float64, 3)); err != nil {
		t.Errorf("BWD_D without x: %v", err)
	}
}
