package properties

import (
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

// flipKernels returns w with every spatial kernel rotated by 180°.
func flipKernels(p *conv.Problem, w []float64) []float64 {
	taps := p.Taps()
	out := make([]float64, len(w))
	for i := 0; i < len(w); i += taps {
		for k := 0; k < taps; k++ {
			out[i+k] = w[i+taps-1-k]
		}
	}
	return out
}

// TestPropertiesCatchMutants swaps a broken op in for the reference and
// checks that the properties meant to guard against that bug fail: the
// properties can fail, and fail for the right reason.
func TestPropertiesCatchMutants(t *testing.T) {
	mutants := []struct {
		name   string
		conv   func(p *conv.Problem, x, w, b []float64, c *reference.Counter) []float64
		deconv func(p *conv.Problem, x, w, b []float64, c *reference.Counter) []float64
		caught []string
	}{
		{
			name: "deconv without the kernel's index reversal",
			deconv: func(p *conv.Problem, x, w, b []float64, c *reference.Counter) []float64 {
				return reference.Deconv(p, x, flipKernels(p, w), b, c)
			},
			caught: []string{"Adjoint", "DeconvIsZeroInsertConv"},
		},
		{
			name: "deconv that drops its last output element",
			deconv: func(p *conv.Problem, x, w, b []float64, c *reference.Counter) []float64 {
				y := reference.Deconv(p, x, w, b, c)
				y[len(y)-1] = 0
				return y
			},
			caught: []string{"DeconvOutSize", "Adjoint", "Checkerboard"},
		},
		{
			name: "conv that ignores dilation",
			conv: func(p *conv.Problem, x, w, b []float64, c *reference.Counter) []float64 {
				q := *p
				q.Dil = [3]int{1, 1, 1}
				return reference.Conv(&q, x, w, b, c)
			},
			caught: []string{"DilationIsInflatedKernel", "Adjoint"},
		},
		{
			name: "conv that reads its groups' input channels in reverse order",
			conv: func(p *conv.Problem, x, w, b []float64, c *reference.Counter) []float64 {
				xs := make([]float64, len(x))
				icg, n := p.ICG(), conv.Spatial(p.I)
				for s := 0; s < p.MB; s++ {
					for g := 0; g < p.G; g++ {
						src := p.G - 1 - g
						copy(xs[(s*p.IC+g*icg)*n:(s*p.IC+(g+1)*icg)*n], x[(s*p.IC+src*icg)*n:(s*p.IC+(src+1)*icg)*n])
					}
				}
				return reference.Conv(p, xs, w, b, c)
			},
			caught: []string{"GroupedIsBlockDiagonal", "Depthwise"},
		},
		{
			name: "conv that skips its last input channel",
			conv: func(p *conv.Problem, x, w, b []float64, c *reference.Counter) []float64 {
				xs := append([]float64(nil), x...)
				n := conv.Spatial(p.I)
				if p.IC > 1 {
					for s := 0; s < p.MB; s++ {
						clear(xs[(s*p.IC+p.IC-1)*n : (s*p.IC+p.IC)*n])
					}
				}
				return reference.Conv(p, xs, w, b, c)
			},
			caught: []string{"PointwiseIsMatmul", "SeparableIsFactoredConv"},
		},
		{
			// Consistent with itself (taps, output length and bytes all
			// grow together), so only a check against the problem's own
			// output size catches it.
			name: "conv that pads one extra stride on the right and writes an extra output column",
			conv: func(p *conv.Problem, x, w, b []float64, c *reference.Counter) []float64 {
				q := *p
				q.PEnd[conv.W] += q.S[conv.W]
				if err := q.Resolve(); err != nil {
					panic(err)
				}
				return reference.Conv(&q, x, w, b, c)
			},
			caught: []string{"CostsCounted"},
		},
	}
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			if m.conv != nil {
				refConv = m.conv
			}
			if m.deconv != nil {
				refDeconv = m.deconv
			}
			defer func() { refConv, refDeconv = reference.Conv, reference.Deconv }()
			for _, name := range m.caught {
				p, ok := Lookup(name)
				if !ok {
					t.Fatalf("no property %s", name)
				}
				if o := Run(p, 200, 1); !o.Failed {
					t.Errorf("property %s did not catch the mutant", name)
				} else {
					t.Logf("%s caught it: %v", name, o.Draws)
				}
			}
		})
	}
}
