package oracles

import (
	"math"
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"
)

func mustParse(t testing.TB, desc string, op conv.Op) conv.Problem {
	t.Helper()
	p, err := conv.ParseDescriptor(desc, op)
	if err != nil {
		t.Fatalf("%s: %v", desc, err)
	}
	return p
}

func iota(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = float64(i)
	}
	return s
}

func ones(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

func expectEqual(t *testing.T, name string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d outputs, want %d", name, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("%s: y[%d] = %v, want %v\ngot  %v\nwant %v", name, i, got[i], want[i], got, want)
		}
	}
}

// TestONNXHandCases: ONNX's documented examples, computed by hand from the
// spec, run through the matrix (and, where stride 1, the FFT).
func TestONNXHandCases(t *testing.T) {
	// test_convtranspose: X = 0..8 (3×3), W = two 3×3 kernels of ones.
	deconv := []float64{0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8}
	p := mustParse(t, "mb1ic1ih3oc2oh5kh3ph0", conv.OpDeconv)
	in := conv.Inputs[float64]{X: iota(9), W: ones(18)}
	want := append(append([]float64(nil), deconv...), deconv...)
	for name, f := range map[string]func(*conv.Problem, conv.Inputs[float64]) ([]float64, error){"ByMatrix": ByMatrix, "ByFFT": ByFFT} {
		got, err := f(&p, in)
		if err != nil {
			t.Fatal(err)
		}
		expectEqual(t, "test_convtranspose "+name, got, want)
	}

	// test_basic_conv_with_padding / without_padding: X = 0..24 (5×5), W = ones 3×3.
	conv5 := []float64{12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84}
	p = mustParse(t, "mb1ic1ih5oc1oh5kh3ph1", conv.OpConv)
	in = conv.Inputs[float64]{X: iota(25), W: ones(9)}
	for name, f := range map[string]func(*conv.Problem, conv.Inputs[float64]) ([]float64, error){"ByMatrix": ByMatrix, "ByFFT": ByFFT} {
		got, err := f(&p, in)
		if err != nil {
			t.Fatal(err)
		}
		expectEqual(t, "test_basic_conv_with_padding "+name, got, conv5)
	}
	p = mustParse(t, "mb1ic1ih5oc1oh3kh3ph0", conv.OpConv)
	got, _ := ByMatrix(&p, in)
	expectEqual(t, "test_basic_conv_without_padding", got, []float64{54, 63, 72, 99, 108, 117, 144, 153, 162})

	// test_basic_deform_conv_without_padding: X = 0..8, W = ones 2×2,
	// offset[0,0,0,0] = 0.5 (row offset of tap 0 at output (0,0)),
	// offset[0,5,0,1] = −0.1 (column offset of tap (1,0) at output (0,1)).
	p = mustParse(t, "mb1ic1ih3oc1oh2kh2ph0", conv.OpDeform)
	off := make([]float64, 8*4)
	off[0*4+0] = 0.5
	off[5*4+1] = -0.1
	in = conv.Inputs[float64]{X: iota(9), W: ones(4), Offset: off}
	got, err := ByMatrix(&p, in)
	if err != nil {
		t.Fatal(err)
	}
	expectEqual(t, "test_basic_deform_conv_without_padding", got, []float64{9.5, 11.9, 20, 24})
}

// TestDeconvMatrixIsScatter: the deconvolution matrix (built as the
// transposed mirrored conv) equals the matrix built column by column from
// ONNX ConvTranspose's scatter form, Y[g·M/G + m, i·s + k·d − b] += X[c, i]·W[c, m, k],
// at every stride, padding and dilation.
func TestDeconvMatrixIsScatter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawProblem(t, []conv.Op{conv.OpDeconv}, false)
		w := RandomFill(&p, drawRNG(t)).W
		nI, nO := conv.Spatial(p.I), conv.Spatial(p.O)
		want := mat.NewDense(p.OC*nO, p.IC*nI, nil)
		for c := 0; c < p.IC; c++ {
			g := c / p.ICG()
			for i := 0; i < nI; i++ {
				id, ih, iw := unflat(i, p.I)
				for m := 0; m < p.OCG(); m++ {
					for k := 0; k < p.Taps(); k++ {
						kd, kh, kw := unflat(k, p.K)
						o := [3]int{id*p.S[0] + kd*p.Dil[0] - p.PBegin[0], ih*p.S[1] + kh*p.Dil[1] - p.PBegin[1], iw*p.S[2] + kw*p.Dil[2] - p.PBegin[2]}
						if o[0] < 0 || o[0] >= p.O[0] || o[1] < 0 || o[1] >= p.O[1] || o[2] < 0 || o[2] >= p.O[2] {
							continue
						}
						row := (g*p.OCG()+m)*nO + (o[0]*p.O[1]+o[1])*p.O[2] + o[2]
						want.Set(row, c*nI+i, want.At(row, c*nI+i)+w[(c*p.OCG()+m)*p.Taps()+k])
					}
				}
			}
		}
		if got := Matrix(&p, w); !mat.Equal(got, want) {
			t.Fatalf("%#v: deconv matrix differs from the ONNX scatter", p)
		}
	})
}

// TestDeconvIsMirroredConvTransposed: structurally, Matrix(deconv) is the
// transpose of Matrix(mirrored conv) on the same weight buffer, whose shape is
// (IC·ΠI)×(OC·ΠO) — the conv from the deconv's output back to its input.
func TestDeconvIsMirroredConvTransposed(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawProblem(t, []conv.Op{conv.OpDeconv}, false)
		w := RandomFill(&p, drawRNG(t)).W
		q := mirrored(&p)
		if err := q.Validate(); err != nil {
			t.Fatalf("mirrored conv of %#v is invalid: %v", p, err)
		}
		c := Matrix(&q, w)
		if r, k := c.Dims(); r != p.IC*conv.Spatial(p.I) || k != p.OC*conv.Spatial(p.O) {
			t.Fatalf("%#v: mirrored conv matrix is %d×%d", p, r, k)
		}
		if !mat.Equal(Matrix(&p, w), c.T()) {
			t.Fatalf("%#v: deconv matrix is not the mirrored conv's transpose", p)
		}
	})
}

// TestDeformIntegerOffsetIsShiftedConv: a deformable conv whose offsets are one
// integer (dy, dx) everywhere, mask 1, is the conv with begin padding
// (ph − dy, pw − dx) and end padding (ph_e + dy, pw_e + dx); a fractional
// offset dy + t is the blend (1 − t)·conv(dy) + t·conv(dy + 1), because
// bilinear sampling with zeros outside is linear in the neighbours.
func TestDeformIntegerOffsetIsShiftedConv(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawProblem(t, []conv.Op{conv.OpDeform}, false)
		p.Mask = false
		in := RandomFill(&p, drawRNG(t))
		dy := rapid.IntRange(-3, p.PBegin[conv.H]).Draw(t, "dy")
		dx := rapid.IntRange(-3, p.PBegin[conv.W]).Draw(t, "dx")
		frac := rapid.SampledFrom([]float64{0, 0.25, 0.5, 0.875}).Draw(t, "frac")
		taps := p.DG * p.Taps()
		nO := conv.Spatial(p.O)
		for n := 0; n < p.MB; n++ {
			for k := 0; k < taps; k++ {
				for o := 0; o < nO; o++ {
					in.Offset[((n*2*taps)+2*k)*nO+o] = float64(dy) + frac
					in.Offset[((n*2*taps)+2*k+1)*nO+o] = float64(dx)
				}
			}
		}
		got, err := ByMatrix(&p, in)
		if err != nil {
			t.Fatal(err)
		}
		shifted := func(dy int) []float64 {
			q := p
			q.Op, q.DG, q.Mask = conv.OpConv, 1, false
			q.PBegin[conv.H], q.PEnd[conv.H] = p.PBegin[conv.H]-dy, p.PEnd[conv.H]+dy
			q.PBegin[conv.W], q.PEnd[conv.W] = p.PBegin[conv.W]-dx, p.PEnd[conv.W]+dx
			if q.PBegin[conv.H] < 0 { // shift past the begin padding: pad the input instead
				return nil
			}
			y, err := ByMatrix(&q, conv.Inputs[float64]{X: in.X, W: in.W, B: in.B})
			if err != nil {
				t.Fatalf("shifted conv %#v: %v", q, err)
			}
			return y
		}
		y0 := shifted(dy)
		want := y0
		if frac != 0 {
			y1 := shifted(dy + 1)
			if y1 == nil {
				t.Skip("dy + 1 beyond the begin padding")
			}
			want = make([]float64, len(y0))
			for i := range want {
				want[i] = (1-frac)*y0[i] + frac*y1[i]
			}
		}
		tol := 8 * float64(p.AccumLength()) * u64 * (l1Scale(&p, in) + 1)
		if v := conv.Compare(got, want, nil, conv.Bound{Abs: tol}, p.DstShape()); !v.OK() {
			t.Fatalf("%#v offsets (%d%+g, %d): %v", p, dy, frac, dx, v)
		}
	})
}

// TestDynamicRouting: a hand-computed routing (one input channel of constant
// value c, so GAP = c) and the mixture's algebra: identical experts under
// softmax give back the single conv, since Σα = 1.
func TestDynamicRouting(t *testing.T) {
	p := mustParse(t, "mb2ic1ih4oc2oh4kh3ph1", conv.OpDynamic)
	p.E = 2
	x := make([]float64, 2*16)
	for i := range x {
		x[i] = 0.5
		if i >= 16 {
			x[i] = -2
		}
	}
	in := conv.Inputs[float64]{X: x, W: iota(2 * 2 * 9), RouteW: []float64{1.5, -1}, RouteB: []float64{0.25, 3}}
	alpha := RoutingWeights(&p, in)
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	want := [][]float64{{sig(1.5*0.5 + 0.25), sig(-0.5 + 3)}, {sig(1.5*-2 + 0.25), sig(2 + 3)}}
	for n := range want {
		expectEqual(t, "sigmoid α", alpha[n], want[n])
	}
	p.Routing, p.Temperature = conv.RoutingSoftmax, 2
	alpha = RoutingWeights(&p, in)
	for n, c := range []float64{0.5, -2} {
		r0, r1 := (1.5*c+0.25)/2, (-c+3)/2
		a0 := math.Exp(r0) / (math.Exp(r0) + math.Exp(r1))
		expectEqual(t, "softmax α", alpha[n], []float64{a0, 1 - a0})
	}

	rapid.Check(t, func(t *rapid.T) {
		p := drawProblem(t, []conv.Op{conv.OpDynamic}, false)
		p.Routing, p.Temperature = conv.RoutingSoftmax, 1
		in := RandomFill(&p, drawRNG(t))
		kl, bl := len(in.W)/p.E, p.OC
		for e := 1; e < p.E; e++ {
			copy(in.W[e*kl:(e+1)*kl], in.W[:kl])
			copy(in.B[e*bl:(e+1)*bl], in.B[:bl])
		}
		got, err := ByMatrix(&p, in)
		if err != nil {
			t.Fatal(err)
		}
		q := p
		q.Op, q.E = conv.OpConv, 1
		want, err := ByMatrix(&q, conv.Inputs[float64]{X: in.X, W: in.W[:kl], B: in.B[:bl]})
		if err != nil {
			t.Fatal(err)
		}
		tol := 8 * float64(p.AccumLength()+p.E) * u64 * (l1Scale(&p, in) + 1)
		if v := conv.Compare(got, want, nil, conv.Bound{Abs: tol}, p.DstShape()); !v.OK() {
			t.Fatalf("%#v: identical experts under softmax differ from the plain conv: %v", p, v)
		}
	})
}

// TestByMatrixErrors: bad inputs and oversized problems are errors naming the
// field or the size, not panics.
func TestByMatrixErrors(t *testing.T) {
	p := mustParse(t, "mb1ic256ih56oc256oh56kh3ph1", conv.OpConv)
	if _, err := ByMatrix(&p, conv.Inputs[float64]{}); err == nil || !strings.HasPrefix(err.Error(), "x:") {
		t.Errorf("missing x: %v", err)
	}
	in := conv.Inputs[float64]{X: make([]float64, conv.Elems(p.SrcShape())), W: make([]float64, conv.Elems(p.WeightShape()))}
	if _, err := ByMatrix(&p, in); err == nil || !strings.HasPrefix(err.Error(), "matrix:") {
		t.Errorf("oversized problem: %v, want a matrix: size error", err)
	}
	q := mustParse(t, "mb1ic2ih5oc2oh5kh3ph1", conv.OpConv)
	if _, err := ByMatrix(&q, conv.Inputs[float64]{X: make([]float64, 50), W: make([]float64, 17)}); err == nil || !strings.HasPrefix(err.Error(), "w:") {
		t.Errorf("short w: %v", err)
	}
	q.IC = 3
	if _, err := ByMatrix(&q, conv.Inputs[float64]{}); err == nil {
		t.Errorf("invalid problem accepted")
	}
}

// TestDeformOffsetGroupsSplitChannels: with one conv group, a deformable conv
// with DG offset groups is the sum over dg of the DG = 1 deformable convs of
// the IC/DG input channels of group dg, with that group's offsets and mask
// (channel ic belongs to offset group ic / (IC/DG)); the bias is added once.
func TestDeformOffsetGroupsSplitChannels(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawProblem(t, []conv.Op{conv.OpDeform}, false)
		p.G = 1
		p.IC *= rapid.IntRange(1, 2).Draw(t, "icmul")
		p.DG = rapid.SampledFrom([]int{1, 2, p.IC}).Draw(t, "dg")
		if p.IC%p.DG != 0 {
			p.DG = 1
		}
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		in := RandomFill(&p, drawRNG(t))
		got, err := ByMatrix(&p, in)
		if err != nil {
			t.Fatal(err)
		}
		q := p
		q.IC, q.DG = p.IC/p.DG, 1
		nI, nO, taps := conv.Spatial(p.I), conv.Spatial(p.O), p.Taps()
		want := make([]float64, len(got))
		for dg := 0; dg < p.DG; dg++ {
			part := conv.Inputs[float64]{}
			for n := 0; n < p.MB; n++ {
				part.X = append(part.X, in.X[(n*p.IC+dg*q.IC)*nI:(n*p.IC+(dg+1)*q.IC)*nI]...)
				part.Offset = append(part.Offset, in.Offset[(n*p.DG+dg)*2*taps*nO:(n*p.DG+dg+1)*2*taps*nO]...)
				if in.Mask != nil {
					part.Mask = append(part.Mask, in.Mask[(n*p.DG+dg)*taps*nO:(n*p.DG+dg+1)*taps*nO]...)
				}
			}
			for oc := 0; oc < p.OC; oc++ {
				part.W = append(part.W, in.W[(oc*p.IC+dg*q.IC)*taps:(oc*p.IC+(dg+1)*q.IC)*taps]...)
			}
			if dg == 0 {
				part.B = in.B
			}
			y, err := ByMatrix(&q, part)
			if err != nil {
				t.Fatalf("offset group %d as %#v: %v", dg, q, err)
			}
			for i := range want {
				want[i] += y[i]
			}
		}
		tol := 8 * float64(p.AccumLength()+p.DG) * u64 * (l1Scale(&p, in) + 1)
		if v := conv.Compare(got, want, nil, conv.Bound{Abs: tol}, p.DstShape()); !v.OK() {
			t.Fatalf("%#v: offset groups do not split the channels: %v", p, v)
		}
	})
}
