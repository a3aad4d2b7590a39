package claims

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/reference"
)

// The formulas the claims compute with, as variables: a test replaces one by a
// wrong formula and checks that the verdicts depending on it flip. Production
// code never assigns them.
var (
	paramsOf       = func(p *conv.Problem, bias bool) int64 { return int64(p.Params(bias)) }
	macsOf         = func(p *conv.Problem) int64 { return p.MACs() }
	outSize        = conv.OutSize
	deconvOutSize  = conv.DeconvOutSize
	receptiveField = conv.ReceptiveField
	extKernel      = conv.ExtKernel
)

// conv2d returns a resolved 2D conv problem (one sample, square sizes).
func conv2d(ic, oc, i, k, s, pad, dil, g int) conv.Problem {
	p := conv.New(conv.OpConv, 2)
	p.IC, p.OC, p.G = ic, oc, g
	for _, a := range p.Axes() {
		p.I[a], p.K[a], p.S[a], p.PBegin[a], p.PEnd[a], p.Dil[a] = i, k, s, pad, pad, dil
	}
	if err := p.Resolve(); err != nil {
		panic(err)
	}
	return p
}

// counted runs the reference on zeros with a counter: the work actually
// executed (values do not change the count). A variable, like the formulas,
// so a test can fake a count and see the verdicts and evidence follow it.
var counted = countedMemo

func countedMemo(p *conv.Problem) reference.Counter {
	key := p.Command()
	if c, ok := countMemo[key]; ok {
		return c
	}
	c := countFresh(p)
	countMemo[key] = c
	return c
}

// countMemo keeps counts of problems already run: the Q&A's 224×224 example
// is counted by several claims and takes the reference most of a second.
var countMemo = map[string]reference.Counter{}

func countFresh(p *conv.Problem) reference.Counter {
	var c reference.Counter
	in := conv.Inputs[float64]{X: make([]float64, conv.Elems(p.SrcShape())), W: make([]float64, conv.Elems(p.WeightShape()))}
	if _, err := reference.Forward(p, in, &c); err != nil {
		panic(err)
	}
	return c
}

// countedSeparable counts a depthwise separable conv's executed MACs.
var countedSeparable = countSeparable

func countSeparable(s conv.Separable) reference.Counter {
	var c reference.Counter
	x := make([]float64, conv.Elems(s.Depthwise.SrcShape()))
	reference.Separable(s, x, make([]float64, conv.Elems(s.Depthwise.WeightShape())), nil,
		make([]float64, conv.Elems(s.Pointwise.WeightShape())), nil, &c)
	return c
}

// vgg16 is the feature extractor of VGG-16 (Simonyan & Zisserman 2015,
// configuration D): 3×3 convs with padding 1 and 2×2 max pooling. The
// returned index is that of conv5_3, the last conv layer.
func vgg16() ([]conv.Layer, []string, int) {
	c := conv.Layer{K: 3, S: 1, P: 1, Dil: 1}
	pool := conv.Layer{K: 2, S: 2, Dil: 1}
	var ls []conv.Layer
	var names []string
	for b, n := range []int{2, 2, 3, 3, 3} {
		for i := 1; i <= n; i++ {
			ls = append(ls, c)
			names = append(names, "conv"+string(rune('1'+b))+"_"+string(rune('0'+i)))
		}
		ls = append(ls, pool)
		names = append(names, "pool"+string(rune('1'+b)))
	}
	return ls, names, len(ls) - 2
}

// convMatrixRank is the numerical rank of the matrix of a single-channel 2D
// conv with a random kernel (from the matrix oracle), and its size.
func convMatrixRank(p conv.Problem, rng *rand.Rand) (rank, rows, cols int) {
	w := make([]float64, conv.Elems(p.WeightShape()))
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	m := oracles.Matrix(&p, w)
	rows, cols = m.Dims()
	var svd mat.SVD
	if !svd.Factorize(m, mat.SVDNone) {
		return -1, rows, cols
	}
	sv := svd.Values(nil)
	for _, v := range sv {
		if v > sv[0]*1e-10 {
			rank++
		}
	}
	return rank, rows, cols
}

// full2 is the full 2D convolution of a ka×ka and a kb×kb kernel.
func full2(a []float64, ka int, b []float64, kb int) []float64 {
	k := ka + kb - 1
	out := make([]float64, k*k)
	for i := 0; i < ka; i++ {
		for j := 0; j < ka; j++ {
			for u := 0; u < kb; u++ {
				for v := 0; v < kb; v++ {
					out[(i+u)*k+j+v] += a[i*ka+j] * b[u*kb+v]
				}
			}
		}
	}
	return out
}

// convWith returns the 25×9 matrix of b ↦ a ∗ b for a 3×3 a.
func convWith(a []float64) *mat.Dense {
	m := mat.NewDense(25, 9, nil)
	for j := 0; j < 9; j++ {
		e := make([]float64, 9)
		e[j] = 1
		m.SetCol(j, full2(a, 3, e, 3))
	}
	return m
}

// factorJacobianRank is the rank of the Jacobian of (a₁…a_M, b₁…b_M) ↦
// Σ_m a_m ∗ b_m (3×3 kernels, a 5×5 result) at a random point: the dimension
// of the set of 5×5 kernels that M intermediate channels of two stacked 3×3
// convs can express. With M = 1 it is 17 (18 parameters less one scale).
func factorJacobianRank(m int, rng *rand.Rand) int {
	j := mat.NewDense(25, 18*m, nil)
	for c := 0; c < m; c++ {
		a, b := make([]float64, 9), make([]float64, 9)
		for i := range a {
			a[i], b[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		// ∂(a∗b)/∂a = matrix of a ↦ a∗b, which is convWith(b) (∗ commutes).
		j.Slice(0, 25, 18*c, 18*c+9).(*mat.Dense).Copy(convWith(b))
		j.Slice(0, 25, 18*c+9, 18*c+18).(*mat.Dense).Copy(convWith(a))
	}
	var svd mat.SVD
	svd.Factorize(j, mat.SVDNone)
	sv := svd.Values(nil)
	r := 0
	for _, v := range sv {
		if v > sv[0]*1e-9 {
			r++
		}
	}
	return r
}

// bestFactor fits a 5×5 kernel k as a ∗ b with 3×3 a, b by alternating least
// squares from several random starts, and returns the smallest relative
// residual ‖k − a∗b‖/‖k‖ found.
func bestFactor(k []float64, rng *rand.Rand, starts, iters int) float64 {
	kv := mat.NewVecDense(25, k)
	best := math.Inf(1)
	for s := 0; s < starts; s++ {
		a, b := make([]float64, 9), make([]float64, 9)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		solve := func(fixed []float64, into []float64) {
			var x mat.VecDense
			if err := x.SolveVec(convWith(fixed), kv); err == nil {
				copy(into, x.RawVector().Data)
			}
		}
		for it := 0; it < iters; it++ {
			solve(a, b)
			solve(b, a)
		}
		r := full2(a, 3, b, 3)
		var num, den float64
		for i := range r {
			num += (r[i] - k[i]) * (r[i] - k[i])
			den += k[i] * k[i]
		}
		best = math.Min(best, math.Sqrt(num/den))
	}
	return best
}

// agrees reports whether a figure stated to a given precision (half a unit of
// its last digit, e.g. 0.005e9 for "1.73×10⁹") matches the exact value.
func agrees(stated, exact, halfUnit float64) bool {
	return math.Abs(stated-exact) <= halfUnit*(1+1e-12)
}
