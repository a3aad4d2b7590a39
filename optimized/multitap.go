package optimized

import "fmt"

// multiTapKernel names the row kernel in use: "avx512", or "go" without
// AVX-512 or under -tags noasm.
func multiTapKernel() string {
	if hasMultiTapAsm {
		return "avx512"
	}
	return "go"
}

// tapPlan is the list of taps of a unit-stride row computation: tap t reads
// base[offs[t] + i] for output i. span = max(offs) + 1.
type tapPlan struct {
	offs []int
	span int
}

func newTapPlan(offs []int) tapPlan {
	span := 0
	for _, o := range offs {
		if o < 0 {
			panic(fmt.Sprintf("optimized: negative tap offset %d", o))
		}
		span = max(span, o+1)
	}
	return tapPlan{offs: offs, span: span}
}

// run sets out[i] = bias + Σ_t w[t]·base[offs[t] + i] for i < len(out),
// adding the taps in order: the inner loop of the direct and depthwise
// convolutions at unit width stride (one output row, each tap a shifted
// input row of a padded volume). It checks once that every read is inside base.
func (tp tapPlan) run(out, base []float32, w []float32, bias float32) {
	n := len(out)
	if n == 0 {
		return
	}
	if len(tp.offs) == 0 {
		fill(out, bias)
		return
	}
	_ = base[tp.span-1+n-1]
	_ = w[len(tp.offs)-1]
	if hasMultiTapAsm {
		multiTapAsm(out, base, tp.offs, w, bias)
		return
	}
	multiTapGo(out, base, tp.offs, w, bias)
}

func multiTapGo(out, base []float32, offs []int, w []float32, bias float32) {
	fill(out, bias)
	for t, o := range offs {
		axpy(out, base[o:o+len(out)], w[t])
	}
}
