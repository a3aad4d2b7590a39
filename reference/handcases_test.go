package reference

import (
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/google/go-cmp/cmp"
)

// problem builds a resolved problem or fails the test.
func problem(t testing.TB, op conv.Op, rank int, set func(p *conv.Problem)) *conv.Problem {
	t.Helper()
	p := conv.New(op, rank)
	set(&p)
	if err := p.Resolve(); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	return &p
}

func iota64(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = float64(i)
	}
	return s
}

func fill(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// A 1D convolution small enough to do on paper:
// x = [1 2 3 4], w = [1 −1 2], pad 1 both sides, stride 2, bias 10.
//
//	o=0: taps at −1,0,1 → 0·1 + 1·(−1) + 2·2 = 3
//	o=1: taps at 1,2,3  → 2·1 + 3·(−1) + 4·2 = 7
//
// plus bias gives [13 17].
func TestConv1DByHand(t *testing.T) {
	p := problem(t, conv.OpConv, 1, func(p *conv.Problem) {
		p.I[conv.W], p.K[conv.W], p.S[conv.W] = 4, 3, 2
		p.PBegin[conv.W], p.PEnd[conv.W] = 1, 1
	})
	var c Counter
	y, err := Forward(p, conv.Inputs[float64]{X: []float64{1, 2, 3, 4}, W: []float64{1, -1, 2}, B: []float64{10}}, &c)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]float64{13, 17}, y); d != "" {
		t.Errorf("y (-want +got):\n%s", d)
	}
	// Two outputs × three taps, one of which (o=0, k=0) lands in padding.
	if c.Taps != 6 || c.MACs != 5 {
		t.Errorf("counter = %+v, want Taps 6 MACs 5", c)
	}
}

// The Q&A's 3D example: a 4×4×4 single-channel volume and a 2×2×2 kernel at
// stride 1 give 3×3×3. With all-ones data each output is the 8 taps it sums,
// with iota data each output is 8·x[o] + the fixed offsets Σ(kd·16 + kh·4 + kw) = 8·x + 84 (4·16 + 4·4 + 4·1).
func TestConv3DQandA(t *testing.T) {
	p := problem(t, conv.OpConv, 3, func(p *conv.Problem) {
		p.I = [3]int{4, 4, 4}
		p.K = [3]int{2, 2, 2}
	})
	if got := p.DstShape(); !cmp.Equal(got, []int{1, 1, 3, 3, 3}) {
		t.Fatalf("dst shape %v, want [1 1 3 3 3]", got)
	}
	y, err := Forward(p, conv.Inputs[float64]{X: iota64(64), W: fill(8, 1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for d := 0; d < 3; d++ {
		for h := 0; h < 3; h++ {
			for w := 0; w < 3; w++ {
				want := 8*float64(d*16+h*4+w) + 84
				if got := y[(d*3+h)*3+w]; got != want {
					t.Errorf("y[%d,%d,%d] = %v, want %v", d, h, w, got, want)
				}
			}
		}
	}
}

// ONNX test_basic_conv_with_padding: x = 0..24 in 5×5, 3×3 ones, pads 1.
func TestONNXBasicConvWithPadding(t *testing.T) {
	p := problem(t, conv.OpConv, 2, func(p *conv.Problem) {
		p.I[conv.H], p.I[conv.W] = 5, 5
		p.K[conv.H], p.K[conv.W] = 3, 3
		p.PBegin = [3]int{0, 1, 1}
		p.PEnd = [3]int{0, 1, 1}
	})
	y, err := Forward(p, conv.Inputs[float64]{X: iota64(25), W: fill(9, 1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{
		12, 21, 27, 33, 24,
		33, 54, 63, 72, 51,
		63, 99, 108, 117, 81,
		93, 144, 153, 162, 111,
		72, 111, 117, 123, 84,
	}
	if d := cmp.Diff(want, y); d != "" {
		t.Errorf("y (-want +got):\n%s", d)
	}
}

func TestForwardErrors(t *testing.T) {
	good := problem(t, conv.OpConv, 2, func(p *conv.Problem) {
		p.IC, p.OC = 2, 3
		p.I[conv.H], p.I[conv.W] = 4, 4
		p.K[conv.H], p.K[conv.W] = 3, 3
	})
	okIn := conv.Inputs[float64]{X: iota64(32), W: iota64(3 * 2 * 9), B: iota64(3)}
	if _, err := Forward(good, okIn, nil); err != nil {
		t.Fatalf("valid problem: %v", err)
	}
	bad := *good
	bad.G = 2 // IC divides, OC = 3 does not
	badO := *good
	badO.O[conv.W]++
	deform := problem(t, conv.OpDeform, 2, func(p *conv.Problem) {
		p.IC, p.OC = 2, 3
		p.I[conv.H], p.I[conv.W] = 4, 4
		p.K[conv.H], p.K[conv.W] = 3, 3
	})
	deformMask := *deform
	deformMask.Mask = true
	dynamic := problem(t, conv.OpDynamic, 2, func(p *conv.Problem) {
		p.IC, p.OC, p.E = 2, 3, 2
		p.I[conv.H], p.I[conv.W] = 4, 4
		p.K[conv.H], p.K[conv.W] = 3, 3
	})
	huge := problem(t, conv.OpConv, 3, func(p *conv.Problem) {
		p.IC, p.OC = 64, 64
		p.I = [3]int{512, 512, 512}
	})
	cases := []struct {
		name string
		p    *conv.Problem
		in   conv.Inputs[float64]
		want string
	}{
		{"nil problem", nil, okIn, "problem"},
		{"groups", &bad, okIn, "oc"},
		{"output size", &badO, okIn, "ow"},
		{"short x", good, conv.Inputs[float64]{X: iota64(31), W: okIn.W}, "x"},
		{"missing w", good, conv.Inputs[float64]{X: okIn.X}, "w"},
		{"long bias", good, conv.Inputs[float64]{X: okIn.X, W: okIn.W, B: iota64(4)}, "b"},
		{"deform without offset", deform, conv.Inputs[float64]{X: okIn.X, W: okIn.W}, "offset"},
		{"deform mask missing", &deformMask, conv.Inputs[float64]{X: okIn.X, W: okIn.W, Offset: iota64(2 * 9 * 4)}, "mask"},
		{"deform mask short", deform, conv.Inputs[float64]{X: okIn.X, W: okIn.W, Offset: iota64(2 * 9 * 4), Mask: iota64(3)}, "mask"},
		{"dynamic without route_w", dynamic, conv.Inputs[float64]{X: okIn.X, W: iota64(2 * 54), RouteB: iota64(2)}, "route_w"},
		{"dynamic short route_b", dynamic, conv.Inputs[float64]{X: okIn.X, W: iota64(2 * 54), RouteW: iota64(4), RouteB: iota64(1)}, "route_b"},
		{"dynamic single-expert w", dynamic, conv.Inputs[float64]{X: okIn.X, W: okIn.W, RouteW: iota64(4), RouteB: iota64(2)}, "w"},
		{"too big", huge, conv.Inputs[float64]{}, "memory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			y, err := Forward(tc.p, tc.in, nil)
			if err == nil {
				t.Fatalf("no error, output of %d elements", len(y))
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
			if m := Magnitude(tc.p, tc.in); m != nil {
				t.Errorf("Magnitude returned %d elements for bad input", len(m))
			}
		})
	}
}

// A 1D deconvolution whose stride exceeds the kernel leaves gaps that receive
// nothing but the bias: x = [2 3], w = [5], s = 3 gives o = 3·1 + 1 = 4 and
// y = [b + 10, b, b, b + 15]. A second output channel (w = [−1]) checks the
// [IC, OC/G, K] layout.
func TestDeconvGapsAreBias(t *testing.T) {
	p := problem(t, conv.OpDeconv, 1, func(p *conv.Problem) {
		p.OC = 2
		p.I[conv.W], p.S[conv.W] = 2, 3
	})
	var c Counter
	y, err := Forward(p, conv.Inputs[float64]{X: []float64{2, 3}, W: []float64{5, -1}, B: []float64{7, 100}}, &c)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{17, 7, 7, 22, 98, 100, 100, 97}
	if d := cmp.Diff(want, y); d != "" {
		t.Errorf("y (-want +got):\n%s", d)
	}
	if c.Taps != 4 || c.MACs != 4 {
		t.Errorf("counter %+v, want 4 taps and 4 MACs", c)
	}
}

// Negative end padding on a deconvolution extends the output (output padding):
// x = [1 1], w = [1 1], s = 2, pe = −1 gives o = 2·1 + 2 + 1 = 5 and the last
// element receives nothing: y = [1 1 1 1 0]. A begin padding of 1 crops the
// first element instead: o = 3, y = [1 1 1].
func TestDeconvOutputPaddingAndCrop(t *testing.T) {
	p := problem(t, conv.OpDeconv, 1, func(p *conv.Problem) {
		p.I[conv.W], p.K[conv.W], p.S[conv.W], p.PEnd[conv.W] = 2, 2, 2, -1
	})
	y, err := Forward(p, conv.Inputs[float64]{X: []float64{1, 1}, W: []float64{1, 1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]float64{1, 1, 1, 1, 0}, y); d != "" {
		t.Errorf("output padding: y (-want +got):\n%s", d)
	}
	p = problem(t, conv.OpDeconv, 1, func(p *conv.Problem) {
		p.I[conv.W], p.K[conv.W], p.S[conv.W], p.PBegin[conv.W] = 2, 2, 2, 1
	})
	var c Counter
	y, err = Forward(p, conv.Inputs[float64]{X: []float64{1, 1}, W: []float64{1, 1}}, &c)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]float64{1, 1, 1}, y); d != "" {
		t.Errorf("crop: y (-want +got):\n%s", d)
	}
	if c.Taps != 4 || c.MACs != 3 {
		t.Errorf("crop: counter %+v, want 4 taps and 3 MACs", c)
	}
}
