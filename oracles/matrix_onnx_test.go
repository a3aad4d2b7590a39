package oracles

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles/golden"
)

// TestONNXAnchors: the matrix oracle reproduces all 50 ONNX and PyTorch
// golden outputs in testdata/onnx (Conv, ConvTranspose with output_shape,
// output_padding and negative end padding, DeformConv with mask, bias and
// offset groups), within float32 rounding of the goldens: |Δ| ≤ 2⁻²³·(N·Σ|x·w| + |y|).
// The loader imports conv only, so the oracle is still checked against data,
// not against the reference.
func TestONNXAnchors(t *testing.T) {
	cases, err := golden.LoadONNX(filepath.Join("..", "testdata", "onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 50 {
		t.Fatalf("%d anchor cases, want 50", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			p, in, want := c.Problem, c.In, c.Want.Data
			got, err := ByMatrix(&p, in)
			if err != nil {
				t.Fatalf("%#v: %v", p, err)
			}
			abs := conv.Inputs[float64]{X: conv.Abs(in.X), W: conv.Abs(in.W), B: conv.Abs(in.B), Offset: in.Offset, Mask: conv.Abs(in.Mask)}
			mag, err := ByMatrix(&p, abs)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				lim := 2 * conv.U32 * (float64(p.AccumLength())*mag[i] + math.Abs(want[i]))
				if d := math.Abs(got[i] - want[i]); d > lim {
					t.Fatalf("%#v: y%s = %.9g, golden %.9g (|Δ| %.3g > %.3g)", p, conv.MultiIndex(p.DstShape(), i), got[i], want[i], d, lim)
				}
			}
			if s := FFTSupports(&p); s == nil {
				fft, err := ByFFT(&p, in)
				if err != nil {
					t.Fatal(err)
				}
				fb, _ := FFTBound(&p, in)
				b := matrixBound(&p, fb.Abs)
				for i := range want {
					if d := math.Abs(fft[i] - got[i]); d > b.At(mag[i]) {
						t.Fatalf("%#v: ByFFT y%s = %.17g, ByMatrix %.17g", p, conv.MultiIndex(p.DstShape(), i), fft[i], got[i])
					}
				}
			}
		})
	}
}
