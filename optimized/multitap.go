package optimized

import "fmt"

// multiTapISAKind is a row kernel of tapPlan.run: assembly for an
// instruction set, or Go.
type multiTapISAKind int

const (
	multiTapGoISA multiTapISAKind = iota
	multiTapAVX2ISA
	multiTapAVX512ISA
)

func (k multiTapISAKind) String() string {
	return [...]string{"go", "avx2", "avx512"}[k]
}

// multiTapISA is the row kernel tapPlan.run uses: the best this machine
// runs (AVX-512, else AVX2+FMA, else Go, and Go under -tags noasm); a
// variable so that a test can run each kernel the machine has.
var multiTapISA = bestMultiTapISA()

// multiTapKernel names the row kernel in use: "avx512", "avx2", or "go".
func multiTapKernel() string { return multiTapISA.String() }

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

// run computes rows output rows of n elements, row r at out[r·ldo:], its
// taps reading base[r·ldb + offs[t] + i]:
//
//	out[r·ldo + i] = bias + Σ_t w[t]·base[r·ldb + offs[t] + i],  i < n,
//
// adding the taps in order: the inner loop of the direct and depthwise
// convolutions at unit width stride (each tap a shifted row of a padded
// volume). It checks once that every access is inside out and base.
func (tp tapPlan) run(out []float32, n, rows, ldo int, base []float32, ldb int, w []float32, bias float32) {
	if n <= 0 || rows <= 0 {
		return
	}
	_ = out[(rows-1)*ldo+n-1]
	if len(tp.offs) == 0 {
		for r := 0; r < rows; r++ {
			fill(out[r*ldo:r*ldo+n], bias)
		}
		return
	}
	_ = base[(rows-1)*ldb+tp.span-1+n-1]
	hitIf(n >= 64, pathRowFull64)
	hitIf(n%64 > 0 && n%64 <= 32, pathRowTail2)
	hitIf(n%64 > 32, pathRowTail4)
	_ = w[len(tp.offs)-1]
	if multiTapISA != multiTapGoISA {
		multiTapAsm(multiTapISA, out, n, rows, ldo, base, ldb, tp.offs, w, bias)
		return
	}
	for r := 0; r < rows; r++ {
		multiTapGo(out[r*ldo:r*ldo+n], base[r*ldb:], tp.offs, w, bias)
	}
}

func multiTapGo(out, base []float32, offs []int, w []float32, bias float32) {
	fill(out, bias)
	for t, o := range offs {
		axpy(out, base[o:o+len(out)], w[t])
	}
}
