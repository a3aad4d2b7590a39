package properties

import (
	"math"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/reference"
)

// The gradients of issue 12, checked against truths that share no code with
// reference/backward_*.go: the adjoint (dot-product) identities with the
// forward reference, the dense matrix of oracles transposed, central finite
// differences of the forward reference, and exact identities on integers.

// refForward is the forward reference of any op, bias included (nil: none).
func refForward(p *conv.Problem, in conv.Inputs[float64]) []float64 {
	switch p.Op {
	case conv.OpDeconv:
		return refDeconv(p, in.X, in.W, in.B, nil)
	case conv.OpDeform:
		return reference.Deform(p, in.X, in.W, in.B, in.Offset, in.Mask, nil)
	case conv.OpDynamic:
		return reference.Dynamic(p, in.X, in.W, in.B, in.RouteW, in.RouteB, nil)
	}
	return refConv(p, in.X, in.W, in.B, nil)
}

// backward runs reference.Backward in direction d and fails t on an error.
func backward(t *rapid.T, p conv.Problem, d conv.Dir, in conv.Inputs[float64], dy []float64) reference.Grads {
	p.Dir = d
	g, err := reference.Backward(&p, in, dy)
	if err != nil {
		t.Fatalf("reference.Backward %s of %#v: %v", d, p, err)
	}
	return g
}

// absAll is |v| elementwise.
func absAll(v []float64) []float64 {
	a := make([]float64, len(v))
	for i, x := range v {
		a[i] = math.Abs(x)
	}
	return a
}

// sumLength bounds the length of the longest chain of additions behind one
// side of a gradient identity ⟨dy, F(θ)⟩ or ⟨G(dy), θ⟩: an element of F sums
// at most (IC/G·taps + 2)·E terms (AccumLength with bias and mask, the mixed
// kernel's E experts), an element of dx at most OC·taps·4 (four bilinear
// corners), an element of dw or db at most MB·ΠO (MB·ΠI for deconv), a
// dynamic conv's dα and routing term at most the weights plus E·IC; the
// outer dot product adds the number of elements it runs over. Summing them
// all over-counts, which only loosens the bound, and keeps it linear in the
// sizes rather than their product.
func sumLength(p *conv.Problem) int {
	return (p.AccumLength()+2)*p.E + dxTerms(p) + p.MB*(conv.Spatial(p.O)+conv.Spatial(p.I)) +
		conv.Elems(p.DstShape()) + conv.Elems(p.SrcShape()) + conv.Elems(p.WeightShape()) + p.E*p.IC
}

// dxTerms bounds the products one BWD_D element dx sums (docs/bounds.md,
// "The adjoint tolerance"): conv and deconv OCG·taps ≤ 4·OC·taps; deform's
// offsets can send every (output channel, tap, output position) sample onto
// one pixel, four corners each, so 4·OC·taps·ΠO.
func dxTerms(p *conv.Problem) int {
	n := 4 * p.OC * p.Taps()
	if p.Op == conv.OpDeform {
		n *= conv.Spatial(p.O)
	}
	return n
}

// adjointBound bounds |⟨dy, F(θ)⟩ − ⟨B(dy), θ⟩| in float64. Both sides add up
// the same products dy·(terms of F), in different orders and groupings; a
// sum computed along chains of at most N additions with total magnitude S is
// off by at most γ_N·S ≤ 1.01·N·ε·S (N·ε ≪ 1), and each side counts, so
// 2·N·ε·S (tol64), with S = ⟨|dy|, SumMagnitude(F)⟩ the sum of |dy·term|
// over every term and N = sumLength.
func adjointBound(p *conv.Problem, in conv.Inputs[float64], dy []float64) float64 {
	return tol64(sumLength(p), dot(absAll(dy), reference.SumMagnitude(p, in)))
}

// PropBackwardAdjointData: for the ops that are linear in x (conv, deconv,
// deform at fixed offsets and mask), ⟨dy, F(x)⟩ = ⟨dx, x⟩ with dx the BWD_D
// reference, within adjointBound, on real (normal) inputs.
func PropBackwardAdjointData(t *rapid.T) {
	p := ProblemGen(conv.OpConv, conv.OpDeconv, conv.OpDeform).Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, false)
	in.B = nil
	dy := normals(rng, conv.Elems(p.DstShape()))
	g := backward(t, p, conv.DirBwdD, in, dy)
	lhs, rhs := dot(dy, refForward(&p, in)), dot(g.DX, in.X)
	if tol := adjointBound(&p, in, dy); !(math.Abs(lhs-rhs) <= tol) {
		t.Fatalf("⟨dy, F(x)⟩ = %v but ⟨dx, x⟩ = %v (|diff| %.3g > bound %.3g)", lhs, rhs, math.Abs(lhs-rhs), tol)
	}
}

// PropBackwardAdjointWeights: every op is linear in its weights and bias
// jointly (a dynamic conv's α depends on x only), so
// ⟨dy, F(w, b)⟩ = ⟨dw, w⟩ + ⟨db, b⟩ with dw, db the BWD_WB reference.
func PropBackwardAdjointWeights(t *rapid.T) {
	p := ProblemGen().Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, false)
	dy := normals(rng, conv.Elems(p.DstShape()))
	g := backward(t, p, conv.DirBwdWB, in, dy)
	lhs, rhs := dot(dy, refForward(&p, in)), dot(g.DW, in.W)+dot(g.DB, in.B)
	if tol := adjointBound(&p, in, dy); !(math.Abs(lhs-rhs) <= tol) {
		t.Fatalf("⟨dy, F(w, b)⟩ = %v but ⟨dw, w⟩ + ⟨db, b⟩ = %v (|diff| %.3g > bound %.3g)", lhs, rhs, math.Abs(lhs-rhs), tol)
	}
}

// PropBackwardIsMatrixTransposed: dx = Mᵀ·dy with M the oracles' dense
// matrix (conv, deconv, deform), and dw read off the weight-labelled matrix
// (conv, deconv). Integer inputs and integer offsets make both sides exact
// sums of small integers, so they must agree bit for bit.
func PropBackwardIsMatrixTransposed(t *rapid.T) {
	p := ProblemGen(conv.OpConv, conv.OpDeconv, conv.OpDeform).Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, true)
	dy := ints(rng, conv.Elems(p.DstShape()), 4)
	want, err := oracles.BackwardDataByMatrix(&p, in, dy)
	if err != nil {
		t.Fatalf("matrix oracle: %v", err)
	}
	equalExact(t, "dx against Mᵀ·dy", p.SrcShape(), backward(t, p, conv.DirBwdD, in, dy).DX, want)
	if p.Op == conv.OpDeform {
		return
	}
	wantW, err := oracles.BackwardWeightsByMatrix(&p, in, dy)
	if err != nil {
		t.Fatalf("matrix oracle: %v", err)
	}
	equalExact(t, "dw against the labelled matrix", p.WeightShape(), backward(t, p, conv.DirBwdW, in, dy).DW, wantW)
}

// mirrorOf returns the problem of the other op (conv ↔ deconv) whose forward
// pass is p's backward data pass: channels and spatial sizes swap sides;
// kernel, stride, padding, dilation and groups stay, and the end padding is
// the one that makes the mirror's output size p's input size. The weights
// lie in memory the same way ([OC, IC/G, K…] of conv is [IC', OC'/G, K…] of
// the deconv).
func mirrorOf(t *rapid.T, p conv.Problem) conv.Problem {
	q := p
	q.IC, q.OC, q.I = p.OC, p.IC, p.O
	q.Op = conv.OpDeconv
	if p.Op == conv.OpDeconv {
		q.Op = conv.OpConv
	}
	for _, a := range p.Axes() {
		big, small := p.I[a], p.O[a] // conv: the input is the large side
		if p.Op == conv.OpDeconv {
			big, small = p.O[a], p.I[a]
		}
		// p_end = (small−1)·s + ext_k − p_begin − big, the tight one of the conv.
		q.PEnd[a] = (small-1)*p.S[a] + p.ExtK(a) - p.PBegin[a] - big
	}
	if err := q.Resolve(); err != nil {
		t.Fatalf("mirror of %#v: %v", p, err)
	}
	if q.O != p.I {
		t.Fatalf("mirror of %#v has output %v, want %v", p, q.O, p.I)
	}
	return q
}

// PropBackwardDataIsMirrorForward: the backward data pass of conv is the
// forward pass of the matching deconv, and the reverse, bit for bit on
// integers — the Q&A's §7 statement run as the gradient a framework computes.
func PropBackwardDataIsMirrorForward(t *rapid.T) {
	p := ProblemGen(conv.OpConv, conv.OpDeconv).Draw(t, "p")
	rng := RNG(t)
	q := mirrorOf(t, p)
	w := ints(rng, conv.Elems(p.WeightShape()), 4)
	dy := ints(rng, conv.Elems(p.DstShape()), 4)
	dx := backward(t, p, conv.DirBwdD, conv.Inputs[float64]{W: w}, dy).DX
	equalExact(t, "BWD_D of "+p.Op.String()+" against the forward "+q.Op.String(), p.SrcShape(), dx, refForward(&q, conv.Inputs[float64]{X: dy, W: w}))
}

// PropBackwardWeightsPointwiseIsMatmul: for a 1×1 conv (G = 1) dw is the
// matrix product dy·xᵀ over the batch and every pixel:
// dw[m, c] = Σ_n Σ_pix dy[n, m, pix]·x[n, c, pix], exact on integers.
func PropBackwardWeightsPointwiseIsMatmul(t *rapid.T) {
	rank := rapid.IntRange(1, 3).Draw(t, "rank")
	var sp [3]int
	for a := range sp {
		sp[a] = 1
	}
	for a := 3 - rank; a < 3; a++ {
		sp[a] = rapid.IntRange(1, 5).Draw(t, "size")
	}
	p := conv.Pointwise(rapid.IntRange(1, 3).Draw(t, "mb"), rapid.IntRange(1, 6).Draw(t, "ic"), rapid.IntRange(1, 6).Draw(t, "oc"), rank, sp)
	rng := RNG(t)
	x := ints(rng, conv.Elems(p.SrcShape()), 4)
	dy := ints(rng, conv.Elems(p.DstShape()), 4)
	npix := conv.Spatial(sp)
	want := make([]float64, p.OC*p.IC)
	for m := 0; m < p.OC; m++ {
		for c := 0; c < p.IC; c++ {
			for n := 0; n < p.MB; n++ {
				for i := 0; i < npix; i++ {
					want[m*p.IC+c] += dy[(n*p.OC+m)*npix+i] * x[(n*p.IC+c)*npix+i]
				}
			}
		}
	}
	equalExact(t, "dw of a 1×1 conv against dy·xᵀ", p.WeightShape(), backward(t, p, conv.DirBwdW, conv.Inputs[float64]{X: x}, dy).DW, want)
}

// PropBackwardGroupedIsBlockDiagonal: a grouped conv is the dense conv with
// a block-diagonal kernel, so its dx is the dense dx with that kernel, and
// its dw is the diagonal blocks of the dense dw (exact on integers).
func PropBackwardGroupedIsBlockDiagonal(t *rapid.T) {
	p := ProblemGen(conv.OpConv).Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, true)
	dy := ints(rng, conv.Elems(p.DstShape()), 4)
	d := p
	d.G = 1
	taps, icg, ocg := p.Taps(), p.ICG(), p.OCG()
	wd := make([]float64, conv.Elems(d.WeightShape()))
	for m := 0; m < p.OC; m++ {
		g := m / ocg
		for c := 0; c < icg; c++ {
			copy(wd[(m*p.IC+g*icg+c)*taps:(m*p.IC+g*icg+c+1)*taps], in.W[(m*icg+c)*taps:(m*icg+c+1)*taps])
		}
	}
	gd := backward(t, d, conv.DirBwdD, conv.Inputs[float64]{X: in.X, W: wd}, dy)
	equalExact(t, "grouped dx against the dense dx with a block-diagonal kernel", p.SrcShape(), backward(t, p, conv.DirBwdD, in, dy).DX, gd.DX)
	dense := backward(t, d, conv.DirBwdW, conv.Inputs[float64]{X: in.X, W: wd}, dy).DW
	blocks := make([]float64, len(in.W))
	for m := 0; m < p.OC; m++ {
		g := m / ocg
		for c := 0; c < icg; c++ {
			copy(blocks[(m*icg+c)*taps:(m*icg+c+1)*taps], dense[(m*p.IC+g*icg+c)*taps:(m*p.IC+g*icg+c+1)*taps])
		}
	}
	equalExact(t, "grouped dw against the diagonal blocks of the dense dw", p.WeightShape(), backward(t, p, conv.DirBwdW, in, dy).DW, blocks)
}

// PropBackwardDataZeroWhereUnread: dx of a conv (any stride, dilation,
// negative end padding) is 0 exactly at the input positions that no tap of
// the forward pass reads, and nonzero everywhere else. dy and w are drawn
// positive (|normal| + ½), so a read position's gradient is a sum of positive
// terms and cannot cancel.
func PropBackwardDataZeroWhereUnread(t *rapid.T) {
	p := ProblemGen(conv.OpConv).Draw(t, "p")
	rng := RNG(t)
	pos := func(n int) []float64 {
		v := normals(rng, n)
		for i := range v {
			v[i] = math.Abs(v[i]) + 0.5
		}
		return v
	}
	w, dy := pos(conv.Elems(p.WeightShape())), pos(conv.Elems(p.DstShape()))
	dx := backward(t, p, conv.DirBwdD, conv.Inputs[float64]{W: w}, dy).DX
	// read[a][i]: some (o, k) of axis a lands on i (the axes are independent).
	var read [3][]bool
	for a := 0; a < 3; a++ {
		read[a] = make([]bool, p.I[a])
		for o := 0; o < p.O[a]; o++ {
			for k := 0; k < p.K[a]; k++ {
				if i := o*p.S[a] - p.PBegin[a] + k*p.Dil[a]; i >= 0 && i < p.I[a] {
					read[a][i] = true
				}
			}
		}
	}
	for n := 0; n < p.MB; n++ {
		for c := 0; c < p.IC; c++ {
			each3(p.I, func(d, h, w int) {
				v := dx[at(p.IC, p.I, n, c, d, h, w)]
				if r := read[conv.D][d] && read[conv.H][h] && read[conv.W][w]; r != (v != 0) {
					t.Fatalf("dx[%d, %d, %d, %d, %d] = %v but the forward pass reads it: %v", n, c, d, h, w, v, r)
				}
			})
		}
	}
}

// PropBackwardBiasIsSumOfDy: the forward pass is affine in b, so for each
// channel m, ⟨dy, F(b = e_m)⟩ − ⟨dy, F(b = 0)⟩ is the bias gradient db[m];
// it must equal the BWD_WB reference's db and Σ_n Σ_o dy[n, m, o], exactly on
// integers (conv, deconv, deform).
func PropBackwardBiasIsSumOfDy(t *rapid.T) {
	p := ProblemGen(conv.OpConv, conv.OpDeconv, conv.OpDeform).Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, true)
	dy := ints(rng, conv.Elems(p.DstShape()), 4)
	db := backward(t, p, conv.DirBwdWB, in, dy).DB
	in.B = nil
	base := dot(dy, refForward(&p, in))
	sp := conv.Spatial(p.O)
	for m := 0; m < p.OC; m++ {
		in.B = make([]float64, p.OC)
		in.B[m] = 1
		var sum float64
		for n := 0; n < p.MB; n++ {
			for i := 0; i < sp; i++ {
				sum += dy[(n*p.OC+m)*sp+i]
			}
		}
		if viaF := dot(dy, refForward(&p, in)) - base; db[m] != viaF || db[m] != sum {
			t.Fatalf("db[%d] = %v, through the forward pass %v, Σ dy %v", m, db[m], viaF, sum)
		}
	}
}
