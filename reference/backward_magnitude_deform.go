package reference

import (
	"math"

	"github.com/convverify/convverify/conv"
)

// The gradient magnitudes of deform and dynamic (GradMagnitude) follow the
// forward derivation (Magnitude, termerror.go, docs/bounds.md): every
// gradient element g is a sum of N terms tₖ = aₖ·φₖ, where aₖ is a product
// of float32 inputs (dy, w, mask, route_w) and φₖ a value the implementation
// computes before summing (a bilinear sample, weight or derivative, a
// routing weight α). If the float32 φ̃ₖ satisfies |φ̃ₖ − φₖ| ≤ Eₖ and the
// implementation combines f factors per term with any tree of additions,
// each term meets at most N − 1 additions and f − 1 multiplications on its
// way to the result (grouping and factoring, e.g. dcol = Σ_m w·dy first,
// only shorten that path), so the computed ĝ = Σₖ aₖ·φ̃ₖ·(1 + θ_{N+k})
// with k = f − 2 (plus any rounding inside φ̃ that Eₖ leaves out). Splitting
// 1 + θ_{N+k} = (1 + θ_N)(1 + θ_k) gives
//
//	|ĝ − g| ≤ γ_N·Σₖ|aₖ·φₖ| + (1 + γ_N)·Σₖ|aₖ|·(Eₖ + γ_k·(|φₖ| + Eₖ))
//	        = γ_N·(S + T·(1 + γ_N)/γ_N)
//
// with S = Σₖ|aₖ|·|φₖ| (or any bound of it) and T = Σₖ|aₖ|·(Eₖ + γ_k(|φₖ| +
// Eₖ)) the terms' own error. GradMagnitude returns S + T·(1 + γ_N)/γ_N per
// element, N being DeformGradLength or DynamicGradLength of the gradient:
// conv.Bound{C: 1, N: that length} then bounds every correct float32
// implementation whatever its summation order, with or without FMA, and so
// does any C ≥ 1 and any larger N (T·(1 + γ_N)/γ_N only shrinks with N).
//
// The bound stays tight enough to catch a wrong tap: T is a few u per term
// (position slack of order u·|p| times a local slope, plus γ_k; for a dx
// weight an absolute γ₃·(2 + λ), torchvision's tent form losing the low bits
// of small weights), S is the Σ|term| of the element, and a wrong or missing
// term changes the element by |aₖ·φₖ|, which is within γ_N·S + T only when
// that term is of the order of N·u of all of them, or a bilinear weight
// below ~6u. The one exception is doffset at a sample within δ of an
// integer row (column), where the y (x) derivative jumps and T holds the
// jump: there the offset gradient is genuinely ill-conditioned (a float32
// position can fall on either side) and any implementation may return
// either one-sided derivative. Integer offsets have δ = 0 (exactSlack), so
// the integer fill's samples on pixels keep the tight bound.

// DeformGradLength is conv.DeformGradLength, the N that GradMagnitude's deform
// magnitudes are derived for.
var DeformGradLength = conv.DeformGradLength

// Roundings k (see above) of the deform gradients' terms.
const (
	// dw = Σ dy·(mask·v), dmask = Σ dy·w·v: three factors (k = 1); sampleError's
	// E' = E + u·(A + E) is exactly E + γ₁·(A + E).
	// dx = Σ dy·w·mask·λ: four factors (k = 2).
	deformDXRoundings = 2
	// weightRoundings: the computed weight λ̃ = τ̃y·τ̃x of a pixel, at the
	// position p* (deformGradMagnitude): in the fraction form τ = 1 − l or l
	// (l exact at p*) each factor has relative error u; in torchvision's
	// tent form τ = 1 − |y − yp| the difference rounds by u·|y − yp| ≤ u and
	// the subtraction from 1 by u·τ, an absolute error e ≤ γ₂ per factor
	// (τ ≤ 1), which is not relative: a weight 2⁻²⁵ can come out 0. Then
	// |λ̃ − λ*| ≤ (e·(τx + τy) + e²)(1 + u) + u·λ* ≤ γ₃·(2 + λ*).
	weightRoundings = 3
	// doffset = Σ dy·w·mask·∂v/∂p: four factors; the derivative's own
	// rounding is in its E (derivRoundings).
	deformOffRoundings = 2
	// derivRoundings: ∂v/∂py = Σ over the four corners of ±(1 − lx or lx)·x
	// (torchvision's get_coordinate_weight): one rounding for 1 − lx, one
	// product, three additions; the difference form (1 − lx)(x10 − x00) +
	// lx(x11 − x01) has 4. Either is within γ₅·Σ weight·|x| ≤ γ₅·2A, A the
	// largest |x| among the corners.
	derivRoundings = 5
)

// gradTermMag is S + T·(1 + γ_N)/γ_N, the magnitude whose γ_N multiple is
// γ_N·S + (1 + γ_N)·T (conv.MagnitudeOfTermError for a gradient of N terms).
func gradTermMag(n int, s, t float64) float64 {
	if t == 0 {
		return s
	}
	g := conv.Gamma(max(n, 1))
	if math.IsInf(g, 1) {
		return math.Inf(1)
	}
	return s + t*(1+g)/g
}

// magnitudeCheck is what Backward checks before it runs: a valid problem,
// tensors within the budget and every tensor the direction reads present
// with its length (b may be nil), naming the tensor and the direction.
func magnitudeCheck(p *conv.Problem, in conv.Inputs[float64], dy []float64) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := p.CheckBudget(8, conv.DefaultBudget); err != nil {
		return err
	}
	return conv.CheckReads(p, in, dy)
}

// deformGradMagnitude is GradMagnitude for deform. For each sample (n, input
// channel, output position, tap) at the exact position p, with the slack δ
// of the float32 position (axisTerms.slack: the computed weights are exact
// at some p* with |p* − p| ≤ δ per axis; exactSlack: 0 for an integer
// offset), and a = Σ_m |dy·w| over the output channels m of the channel's
// group:
//
//   - dw[m, c, tap] (and db): terms dy·(mask·v); S adds |dy|·|mask|·V with
//     V = bilinear(|x|, p) ≥ |v|; T adds |dy|·|mask|·E' (sampleError, the
//     forward's bound on the float32 sample: position slack times the local
//     differences plus γ₇·A, then one product).
//   - dmask[n, tap, o]: terms dy·w·v; S adds a·V, T adds a·E'.
//   - dx[corner]: terms dy·w·mask·λ; S adds a·|mask|·λ(corner), λ the exact
//     bilinear weight; T adds a·|mask|·(E_λ + γ₂(λ + E_λ)) for every pixel
//     the box p ± δ can make a corner, with E_λ = Δ + γ₃·(2 + λ + Δ),
//     Δ = δy + δx: the weight of one pixel is the tent τ(py − r)·τ(px − s),
//     1-Lipschitz in each axis and continuous across cells and at the image
//     border, so |λ(p*) − λ(p)| ≤ Δ, and the computed λ̃ is within
//     γ₃·(2 + λ(p*)) of λ(p*) in either usual form (weightRoundings). A
//     pixel at distance ≥ 1 from p̃ gets no weight in either form (fl is
//     monotonic, so |y − yp| ≥ 1 stays ≥ 1).
//   - doffset[n, 2·tap, o] (y), [n, 2·tap+1, o] (x): terms dy·w·mask·D,
//     D = ∂v/∂py = (1 − lx)(x10 − x00) + lx(x11 − x01) (x likewise); S adds
//     a·|mask|·|D|; T adds a·|mask|·(E_D + γ₂(|D| + E_D)) with
//     E_D = J + γ₅·2A. D is not continuous: it jumps where py crosses an
//     integer (another pair of rows) and to 0 where the sample leaves the
//     image (py ≤ −1 or ≥ H); it is continuous and piecewise linear in px.
//     So J, the spread (max − min) of D over the cells ⌊py ± δy⌋ and px ±
//     δx (evaluated at the ends and the integers between, with 0 when the
//     box reaches the border), bounds |D(p*) − D(p)| whichever cell the
//     float32 ⌊p̃⌋ chose; γ₅·2A is the rounding of D itself (derivRoundings).
//
// Each gradient's S and T become S + T·(1 + γ_N)/γ_N with N =
// DeformGradLength (gradTermMag). A position that is NaN or infinite has no
// terms (the reference reads 0 there).
func deformGradMagnitude(p *conv.Problem, in conv.Inputs[float64], dy []float64) (Grads, error) {
	if err := magnitudeCheck(p, in, dy); err != nil {
		return Grads{}, err
	}
	icg, ocg := p.ICG(), p.OCG()
	icPerDG := p.IC / p.DG
	kh, kw := p.K[conv.H], p.K[conv.W]
	offCh, maskCh := 2*p.DG*kh*kw, p.DG*kh*kw
	bwdD := p.Dir == conv.DirBwdD

	var sDX, tDX, sOff, tOff, sMask, tMask, sDW, tDW []float64
	if bwdD {
		sDX, tDX = make([]float64, len(in.X)), make([]float64, len(in.X))
		sOff, tOff = make([]float64, len(in.Offset)), make([]float64, len(in.Offset))
		if in.Mask != nil {
			sMask, tMask = make([]float64, len(in.Mask)), make([]float64, len(in.Mask))
		}
	} else {
		nw := conv.Elems(p.WeightShape())
		sDW, tDW = make([]float64, nw), make([]float64, nw)
	}
	absX := conv.Abs(in.X)
	for n := 0; n < p.MB; n++ {
		for oh := 0; oh < p.O[conv.H]; oh++ {
			for ow := 0; ow < p.O[conv.W]; ow++ {
				for ic := 0; ic < p.IC; ic++ {
					grp, ci, dg := ic/icg, ic%icg, ic/icPerDG
					for i := 0; i < kh; i++ {
						for j := 0; j < kw; j++ {
							kidx := (dg*kh+i)*kw + j
							oy := at(offCh, p.O, n, 2*kidx, 0, oh, ow)
							ox := at(offCh, p.O, n, 2*kidx+1, 0, oh, ow)
							ay := axisTerms{base: oh*p.S[conv.H] - p.PBegin[conv.H], tap: i * p.Dil[conv.H], off: in.Offset[oy]}
							ax := axisTerms{base: ow*p.S[conv.W] - p.PBegin[conv.W], tap: j * p.Dil[conv.W], off: in.Offset[ox]}
							py, px := ay.pos(), ax.pos()
							if math.IsNaN(py) || math.IsNaN(px) || math.IsInf(py, 0) || math.IsInf(px, 0) {
								continue
							}
							mu, mi := 1.0, 0
							if in.Mask != nil {
								mi = at(maskCh, p.O, n, kidx, 0, oh, ow)
								mu = math.Abs(in.Mask[mi])
							}
							vAbs := bilinear(p, absX, n, ic, py, px)
							eS := sampleError(p, in.X, n, ic, ay, ax)
							if !bwdD {
								for m := grp * ocg; m < (grp+1)*ocg; m++ {
									d := math.Abs(dy[at(p.OC, p.O, n, m, 0, oh, ow)]) * mu
									wi := at(icg, p.K, m, ci, 0, i, j)
									sDW[wi] += d * vAbs
									tDW[wi] += d * eS
								}
								continue
							}
							var a float64 // Σ_m |dy·w|
							for m := grp * ocg; m < (grp+1)*ocg; m++ {
								a += math.Abs(dy[at(p.OC, p.O, n, m, 0, oh, ow)] * in.W[at(icg, p.K, m, ci, 0, i, j)])
							}
							if in.Mask != nil {
								sMask[mi] += a * vAbs
								tMask[mi] += a * eS
							}
							am := a * mu
							if am == 0 {
								continue
							}
							dY, dX := exactSlack(ay), exactSlack(ax)
							deformDXMagnitude(p, in.X, n, ic, py, px, dY, dX, am, sDX, tDX)
							bigA := cornerMax(p, in.X, n, ic, py, px, dY, dX)
							for axis, oi := range [2]int{oy, ox} {
								d, spread := derivSpread(p, in.X, n, ic, py, px, dY, dX, axis == 1)
								e := spread + conv.Gamma(derivRoundings)*2*bigA
								sOff[oi] += am * math.Abs(d)
								tOff[oi] += am * (e + conv.Gamma(deformOffRoundings)*(math.Abs(d)+e))
							}
						}
					}
				}
			}
		}
	}
	var g Grads
	if bwdD {
		g.DX = combine(sDX, tDX, DeformGradLength(p, "dx"))
		g.DOffset = combine(sOff, tOff, DeformGradLength(p, "doffset"))
		if in.Mask != nil {
			g.DMask = combine(sMask, tMask, DeformGradLength(p, "dmask"))
		}
		return g, nil
	}
	g.DW = combine(sDW, tDW, DeformGradLength(p, "dw"))
	if p.Dir == conv.DirBwdWB {
		g.DB = BiasGrad(p, conv.Abs(dy)) // Σ dy: exact terms, no T
	}
	return g, nil
}

// combine turns per-element S and T into gradTermMag(n, S, T), in place.
func combine(s, t []float64, n int) []float64 {
	for i := range s {
		s[i] = gradTermMag(n, s[i], t[i])
	}
	return s
}

// deformDXMagnitude adds one sample's dx terms: am = Σ_m |dy·w|·|mask| times
// the exact weight λ of each corner to s, and am·(E_λ + γ₂(λ + E_λ)) to t,
// E_λ = Δ + γ₃·(2 + λ + Δ), for every pixel that the box p ± δ can make a
// corner (Δ = δy + δx; deformGradMagnitude).
func deformDXMagnitude(p *conv.Problem, x []float64, n, ic int, py, px, dY, dX, am float64, s, t []float64) {
	ih, iw := p.I[conv.H], p.I[conv.W]
	r0, r1 := cellRange(py, dY, ih)
	c0, c1 := cellRange(px, dX, iw)
	if r0 > r1 || c0 > c1 {
		return
	}
	// The exact weights as DeformBackward computes them (the same float64
	// products, so that S ≥ |dx| holds to the last bit).
	var lams [2][2]float64
	y0, x0 := -2, -2
	if py > -1 && py < float64(ih) && px > -1 && px < float64(iw) {
		fy, fx := math.Floor(py), math.Floor(px)
		ly, lx := py-fy, px-fx
		y0, x0 = int(fy), int(fx)
		lams = [2][2]float64{{(1 - ly) * (1 - lx), (1 - ly) * lx}, {ly * (1 - lx), ly * lx}}
	}
	delta := dY + dX
	k, kw := conv.Gamma(deformDXRoundings), conv.Gamma(weightRoundings)
	for r := max(r0, 0); r <= min(r1+1, ih-1); r++ {
		for c := max(c0, 0); c <= min(c1+1, iw-1); c++ {
			var lam float64
			if a, b := r-y0, c-x0; a >= 0 && a < 2 && b >= 0 && b < 2 {
				lam = lams[a][b]
			}
			idx := at(p.IC, p.I, n, ic, 0, r, c)
			s[idx] += am * lam
			e := delta + kw*(2+lam+delta)
			t[idx] += am * (e + k*(lam+e))
		}
	}
}

// cornerMax is A: the largest |x| among the neighbours of the cells the box
// p ± δ reaches (0 outside the image).
func cornerMax(p *conv.Problem, x []float64, n, ic int, py, px, dY, dX float64) float64 {
	ih, iw := p.I[conv.H], p.I[conv.W]
	r0, r1 := cellRange(py, dY, ih)
	c0, c1 := cellRange(px, dX, iw)
	var a float64
	for r := max(r0, 0); r <= min(r1+1, ih-1); r++ {
		for c := max(c0, 0); c <= min(c1+1, iw-1); c++ {
			a = math.Max(a, math.Abs(x[at(p.IC, p.I, n, ic, 0, r, c)]))
		}
	}
	return a
}

// derivSpread returns the exact derivative D of the sample at (py, px) —
// ∂v/∂py, or ∂v/∂px when alongX — as DeformBackward computes it (0 at or
// beyond one pixel outside), and J, the spread max − min of the derivative
// over the box p ± δ: over each cell of the differentiated axis that the box
// reaches, D is continuous and piecewise linear along the other axis, so its
// extremes are at the box's ends and the integers between; 0 joins them when
// the box reaches a position where the sample is outside.
func derivSpread(p *conv.Problem, x []float64, n, ic int, py, px, dY, dX float64, alongX bool) (d, spread float64) {
	ih, iw := p.I[conv.H], p.I[conv.W]
	pix := func(r, c int) float64 {
		if !inside(r, ih) || !inside(c, iw) {
			return 0
		}
		return x[at(p.IC, p.I, n, ic, 0, r, c)]
	}
	// deriv is D in the cell r (rows r, r+1) or c (columns c, c+1) of the
	// differentiated axis, at position q on the other axis.
	deriv := func(cell int, q float64) float64 {
		f := math.Floor(q)
		l, o := q-f, int(f)
		if alongX {
			return (1-l)*(pix(o, cell+1)-pix(o, cell)) + l*(pix(o+1, cell+1)-pix(o+1, cell))
		}
		return (1-l)*(pix(cell+1, o)-pix(cell, o)) + l*(pix(cell+1, o+1)-pix(cell, o+1))
	}
	// Along the differentiated axis (pd, δd, size sd) and the other (po, δo, so).
	pd, dd, sd, po, do, so := py, dY, ih, px, dX, iw
	if alongX {
		pd, dd, sd, po, do, so = px, dX, iw, py, dY, ih
	}
	if py > -1 && py < float64(ih) && px > -1 && px < float64(iw) {
		d = deriv(int(math.Floor(pd)), po)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	see := func(v float64) { lo, hi = math.Min(lo, v), math.Max(hi, v) }
	see(d)
	if py-dY <= -1 || py+dY >= float64(ih) || px-dX <= -1 || px+dX >= float64(iw) {
		see(0)
	}
	c0, c1 := cellRange(pd, dd, sd)
	qa := math.Max(po-do, -1)
	qb := math.Min(po+do, float64(so))
	for cell := c0; cell <= c1; cell++ {
		if qa > qb {
			break
		}
		see(deriv(cell, qa))
		see(deriv(cell, qb))
		for q := math.Ceil(qa); q <= qb; q++ {
			see(deriv(cell, q))
		}
	}
	return d, hi - lo
}

// exactSlack is a.slack(), or 0 when the offset is an integer and every
// partial sum of base + tap + Δ is an integer below 2²⁴ in magnitude: then
// every float32 addition is exact in any order, the position is exact, and
// so are the fractions (0) and the cell. This keeps the derivatives' jump
// J out of the bound at integer positions (the integer fill's), where a
// slack of u·|p| would straddle the integer.
func exactSlack(a axisTerms) float64 {
	if a.off == math.Trunc(a.off) && math.Abs(float64(a.base))+math.Abs(float64(a.tap))+math.Abs(a.off) < 1<<24 {
		return 0
	}
	return a.slack()
}
