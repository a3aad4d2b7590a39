package properties

import (
	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// PropUnitDepth3DIs2D: a 3D convolution whose kernel has depth 1 (kd = 1, no
// depth padding, depth stride 1) convolves every depth slice on its own with
// the 2D kernel; with id = 1 too it is the 2D convolution itself.
func PropUnitDepth3DIs2D(t *rapid.T) {
	p := ProblemGen(conv.OpConv).Filter(func(p conv.Problem) bool { return p.Rank == 2 }).Draw(t, "p")
	depth := rapid.IntRange(1, 3).Draw(t, "id")
	rng := RNG(t)
	q := p
	q.Rank = 3
	q.I[conv.D] = depth
	if err := q.Resolve(); err != nil {
		t.Fatalf("3D twin: %v", err)
	}
	q = rapid.Just(q).Draw(t, "p3d")
	in := fill(&q, rng, true)
	y3 := refConv(&q, in.X, in.W, in.B, nil)
	// The same weights, read as 2D: [OC, IC/G, 1, KH, KW] and [OC, IC/G, KH, KW] lie alike in memory.
	ni, no := conv.Spatial(p.I), conv.Spatial(p.O)
	for d := 0; d < depth; d++ {
		x := make([]float64, 0, conv.Elems(p.SrcShape()))
		for n := 0; n < p.MB; n++ {
			for c := 0; c < p.IC; c++ {
				base := ((n*p.IC+c)*depth + d) * ni
				x = append(x, in.X[base:base+ni]...)
			}
		}
		y2 := refConv(&p, x, in.W, in.B, nil)
		for n := 0; n < p.MB; n++ {
			for m := 0; m < p.OC; m++ {
				for i := 0; i < no; i++ {
					a, b := y3[((n*p.OC+m)*depth+d)*no+i], y2[(n*p.OC+m)*no+i]
					if a != b {
						t.Fatalf("depth %d of %d, sample %d channel %d pixel %d: 3D %v, 2D %v", d, depth, n, m, i, a, b)
					}
				}
			}
		}
	}
}

// QA3D is section 13's example: an input of (D, H, W, C) = (4, 4, 4, 1), a
// kernel (2, 2, 2, 1, 1), stride 1, no padding.
func QA3D() conv.Problem {
	p := conv.New(conv.OpConv, 3)
	for a := 0; a < 3; a++ {
		p.I[a], p.K[a] = 4, 2
	}
	_ = p.Resolve()
	return p
}

// PropQA3DExample: section 13's example gives an output of (3, 3, 3, 1), and
// every output is the formula Y(i,j,k) = Σ_{d,h,w} X(i+d, j+h, k+w)·W(d,h,w):
// Y(0,0,0) is the 8-term sum over the first 2×2×2 corner.
func PropQA3DExample(t *rapid.T) {
	p := QA3D()
	rng := RNG(t)
	x, w := ints(rng, 64, 5), ints(rng, 8, 5)
	y := refConv(&p, x, w, nil, nil)
	if s := p.DstShape(); conv.ShapeString(s) != "[1 1 3 3 3]" || len(y) != 27 {
		t.Fatalf("output shape %v (%d elements), the Q&A says (3,3,3,1)", s, len(y))
	}
	X := func(d, h, ww int) float64 { return x[(d*4+h)*4+ww] }
	W := func(d, h, ww int) float64 { return w[(d*2+h)*2+ww] }
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				var s float64
				terms := 0
				for d := 0; d < 2; d++ {
					for h := 0; h < 2; h++ {
						for ww := 0; ww < 2; ww++ {
							s += X(i+d, j+h, k+ww) * W(d, h, ww)
							terms++
						}
					}
				}
				if got := y[(i*3+j)*3+k]; got != s || terms != 8 {
					t.Fatalf("Y(%d,%d,%d) = %v, the Q&A's %d-term formula gives %v", i, j, k, got, terms, s)
				}
			}
		}
	}
}
