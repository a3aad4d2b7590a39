package optimized_test

import (
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
)

// TestGradVariantsConform runs every registered gradient variant (issue 12)
// through convtest.RunGrad with the small block sizes, so that small
// problems cross every column-tile and channel-block remainder: the
// regression shapes in each direction, then rapid's problems
// (-convtest.gradchecks of them per variant), each against
// reference.Backward under the variant's bound, NaN-poisoned and guarded,
// with 1 and 3 workers and on the exact integer fill.
func TestGradVariantsConform(t *testing.T) {
	smallTiles(t)
	regs := gradRegressions(t)
	for _, v := range optimized.GradAll() {
		t.Run(v.Name, func(t *testing.T) { convtest.RunGrad(t, convtest.GradVariant(v), convtest.AddRegressions(regs...)) })
	}
}

// gradRegressions are shapes for the gradient variants' own branches, beside
// convtest.Regressions: pointwise geometries, where the GEMMs read x, dy
// or write dx in place (no im2col, no col2im), for conv and deconv with
// two images and two groups; a stride-2 deconv with output padding and a
// 1×1 kernel (gathers and scatters of one tap); a depthwise conv with a
// multiplier in 3D.
func gradRegressions(t *testing.T) []conv.Problem {
	pw := conv.New(conv.OpConv, 2)
	pw.MB, pw.G, pw.IC, pw.OC = 2, 2, 6, 4
	pw.I = [3]int{1, 5, 7}
	pd := conv.New(conv.OpDeconv, 1)
	pd.MB, pd.G, pd.IC, pd.OC = 2, 2, 4, 6
	pd.I = [3]int{1, 1, 9}
	sd := conv.New(conv.OpDeconv, 2)
	sd.IC, sd.OC = 3, 2
	sd.I, sd.S, sd.PEnd = [3]int{1, 4, 5}, [3]int{1, 2, 2}, [3]int{0, -1, 0}
	dw := conv.New(conv.OpConv, 3)
	dw.MB, dw.G, dw.IC, dw.OC = 2, 2, 2, 6
	dw.I, dw.K, dw.S, dw.Dil = [3]int{4, 5, 6}, [3]int{2, 3, 2}, [3]int{1, 2, 1}, [3]int{2, 1, 1}
	dw.PBegin, dw.PEnd = [3]int{1, 1, 0}, [3]int{0, 1, -1}
	var ps []conv.Problem
	for _, p := range []conv.Problem{pw, pd, sd, dw} {
		if err := convtest.ResolveTight(&p); err != nil {
			t.Fatalf("gradient regression %s: %v", p.Command(), err)
		}
		ps = append(ps, p)
	}
	return ps
}

// TestGradVariantsConformProductionTiles runs the regression shapes, which
// cross the production block sizes, with those sizes.
func TestGradVariantsConformProductionTiles(t *testing.T) {
	for _, v := range optimized.GradAll() {
		t.Run(v.Name, func(t *testing.T) { convtest.RunGrad(t, convtest.GradVariant(v), convtest.NoRandom()) })
	}
}

// TestGradEveryDirection: conv and deconv have a gradient variant for
// every backward direction, and each is found by name.
func TestGradEveryDirection(t *testing.T) {
	for _, op := range []conv.Op{conv.OpConv, conv.OpDeconv} {
		for _, d := range []conv.Dir{conv.DirBwdD, conv.DirBwdW, conv.DirBwdWB} {
			n := 0
			for _, v := range optimized.GradAll() {
				if v.HandlesDir(op, d) {
					n++
				}
			}
			if n == 0 {
				t.Errorf("op %v direction %v: no gradient variant", op, d)
			}
		}
	}
	for _, name := range []string{"bwd-data-col2im", "bwd-data-via-deconv", "bwd-data-via-conv", "bwd-weights-gemm", "bwd-depthwise-direct"} {
		if _, ok := optimized.GradLookup(name); !ok {
			t.Errorf("GradLookup(%s) failed", name)
		}
	}
}

// TestGradRunRejectsBadInput: wrong sizes and directions are errors naming
// the tensor, never panics.
func TestGradRunRejectsBadInput(t *testing.T) {
	p := conv.New(conv.OpConv, 2)
	p.IC, p.OC = 2, 3
	p.I, p.K = [3]int{1, 5, 5}, [3]int{1, 3, 3}
	p = mustResolve(t, p)
	for _, v := range optimized.GradAll() {
		for _, d := range v.Dirs {
			q := p
			q.Dir = d
			if v.Supports(&q) != nil {
				continue
			}
			g, err := conv.NewGrads[float32](&q)
			if err != nil {
				t.Fatal(err)
			}
			in := conv.Inputs[float32]{X: make([]float32, 3), W: make([]float32, 3)}
			if err := v.Run(&q, in, make([]float32, 2), g, 1); err == nil {
				t.Errorf("%s %v accepted short inputs", v.Name, d)
			}
		}
		q := p
		q.Dir = conv.DirFwdD
		if err := v.Supports(&q); err == nil {
			t.Errorf("%s supports the forward direction", v.Name)
		}
	}
}
