package reference

import (
	"slices"
	"testing"

	"github.com/convverify/convverify/conv"
	"pgregory.net/rapid"
)

// With zero offsets and a mask of ones every tap samples its grid point
// exactly (bilinear weights 1, 0, 0, 0), so deformable convolution is the
// plain convolution, bit for bit, even on non-integer data.
func TestDeformZeroOffsetIsConv(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genDeform(t)
		x := reals(t, conv.Elems(p.SrcShape()), "x")
		w := reals(t, conv.Elems(p.WeightShape()), "w")
		b := reals(t, p.OC, "b")
		var mask []float64
		if p.Mask {
			mask = fill(conv.Elems(p.MaskShape()), 1)
		}
		offset := make([]float64, conv.Elems(p.OffsetShape()))
		var cd, cc Counter
		got := Deform(p, x, w, b, offset, mask, &cd)
		pc := *p
		pc.Op = conv.OpConv
		want := Conv(&pc, x, w, b, &cc)
		if !slices.Equal(got, want) {
			t.Fatalf("deform with zero offsets\n got %v\nconv %v", got, want)
		}
		if cd.Taps != cc.Taps || cd.MACs != cd.Taps {
			t.Fatalf("deform counted %+v, want Taps = MACs = conv's Taps %d", cd, cc.Taps)
		}
	})
}

// Offsets that do not depend on the tap (beyond a fixed stretch) make the
// deformable convolution, at each output position, a blend of ordinary
// convolutions:
//
//   - an offset of (ey·kh, ex·kw) on tap (kh, kw) moves the taps apart:
//     dilation Dil+e, with the end padding changed to keep the output size;
//   - a further (fy, fx) = (iy + ly, ix + lx), drawn per sample and output
//     position, shifts the grid there: the bilinear read is the (1−ly)(1−lx),
//     (1−ly)lx, ly(1−lx), ly·lx blend of the four convolutions with begin
//     padding PB − iy − {0,1}, PB − ix − {0,1}, read at that position; conv's
//     zero padding matches the zero neighbours of the deformable one;
//   - a mask tapMask[kidx]·posMask[n, oh, ow] scales the weights and the position.
//
// Fractions are quarters and data integers, so every sum is exact and the two
// sides must agree bit for bit. Integer offsets (lx = ly = 0) are the pure
// shifted convolution.
func TestDeformOffsetIsBlendOfShiftedConvs(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { checkDeformBlend(t, true) })
}

// Integer offsets alone: every sample lands on a pixel and the deformable
// convolution is, position by position, a shifted (and re-dilated) convolution.
func TestDeformIntegerOffsetIsShiftedConv(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { checkDeformBlend(t, false) })
}

func checkDeformBlend(t *rapid.T, fractions bool) {
	p := genDeform(t)
	kh, kw := p.K[conv.H], p.K[conv.W]
	taps := p.DG * kh * kw
	osp := p.O[conv.H] * p.O[conv.W]
	e := [3]int{}
	for _, a := range []int{conv.H, conv.W} {
		e[a] = rapid.IntRange(1-p.Dil[a], 2).Draw(t, "e"+"dhw"[a:a+1])
	}
	// shift[a][n·osp + o] and frac[a][…]: the grid shift at each sample and position.
	var shift [3][]int
	var frac [3][]float64
	for _, a := range []int{conv.H, conv.W} {
		n := "dhw"[a : a+1]
		// The shifted convs need begin padding PB − i − 1 ≥ 0 unless l = 0.
		shift[a] = rapid.SliceOfN(rapid.IntRange(-2, p.PBegin[a]), p.MB*osp, p.MB*osp).Draw(t, "i"+n)
		frac[a] = make([]float64, p.MB*osp)
		for k, q := range rapid.SliceOfN(rapid.IntRange(0, 3), p.MB*osp, p.MB*osp).Draw(t, "l"+n) {
			if fractions && shift[a][k] < p.PBegin[a] {
				frac[a][k] = float64(q) / 4
			}
		}
	}
	x := ints(t, conv.Elems(p.SrcShape()), 8, "x")
	w := ints(t, conv.Elems(p.WeightShape()), 8, "w")
	b := ints(t, p.OC, 8, "b")
	tapMask, posMask := fill(taps, 1), fill(p.MB*osp, 1)
	var mask []float64
	if p.Mask {
		quarters := rapid.SliceOfN(rapid.IntRange(0, 4), taps+p.MB*osp, taps+p.MB*osp).Draw(t, "mask")
		for k, q := range quarters {
			if k < taps {
				tapMask[k] = float64(q) / 4
			} else {
				posMask[k-taps] = float64(q) / 4
			}
		}
		mask = make([]float64, conv.Elems(p.MaskShape()))
	}
	offset := make([]float64, conv.Elems(p.OffsetShape()))
	for n := 0; n < p.MB; n++ {
		for dg := 0; dg < p.DG; dg++ {
			for r := 0; r < kh; r++ {
				for s := 0; s < kw; s++ {
					kidx := (dg*kh+r)*kw + s
					for o := 0; o < osp; o++ {
						no := n*osp + o
						offset[(n*2*taps+2*kidx)*osp+o] = float64(e[conv.H]*r+shift[conv.H][no]) + frac[conv.H][no]
						offset[(n*2*taps+2*kidx+1)*osp+o] = float64(e[conv.W]*s+shift[conv.W][no]) + frac[conv.W][no]
						if p.Mask {
							mask[(n*taps+kidx)*osp+o] = tapMask[kidx] * posMask[no]
						}
					}
				}
			}
		}
	}
	got := Deform(p, x, w, b, offset, mask, nil)

	// The tap mask folded into the weights: input channel ic = g·IC/G + ci
	// belongs to offset group ic / (IC/DG).
	wm := append([]float64(nil), w...)
	icg := p.ICG()
	for m := 0; m < p.OC; m++ {
		for ci := 0; ci < icg; ci++ {
			dg := (m/p.OCG()*icg + ci) / (p.IC / p.DG)
			for r := 0; r < kh; r++ {
				for s := 0; s < kw; s++ {
					wm[((m*icg+ci)*kh+r)*kw+s] *= tapMask[(dg*kh+r)*kw+s]
				}
			}
		}
	}
	// shifted returns the convolution with the grid moved by (dy, dx), memoised.
	memo := map[[2]int][]float64{}
	shifted := func(dy, dx int) []float64 {
		if y, ok := memo[[2]int{dy, dx}]; ok {
			return y
		}
		q := *p
		q.Op, q.DG, q.Mask = conv.OpConv, 1, false
		for a, d := range map[int]int{conv.H: dy, conv.W: dx} {
			q.Dil[a] = p.Dil[a] + e[a]
			q.PBegin[a] = p.PBegin[a] - d
			q.PEnd[a] = p.PEnd[a] + d + e[a]*(p.K[a]-1)
		}
		mustResolve(t, &q)
		if q.O != p.O {
			t.Fatalf("shifted conv output %v, want %v", q.O, p.O)
		}
		y := Conv(&q, x, wm, nil, nil)
		memo[[2]int{dy, dx}] = y
		return y
	}
	want := make([]float64, len(got))
	for k := range want {
		n, m, o := k/(p.OC*osp), k/osp%p.OC, k%osp
		no := n*osp + o
		var v float64
		for dy := 0; dy < 2; dy++ {
			for dx := 0; dx < 2; dx++ {
				wt := blend(frac[conv.H][no], dy) * blend(frac[conv.W][no], dx)
				if wt != 0 {
					v += wt * shifted(shift[conv.H][no]+dy, shift[conv.W][no]+dx)[k]
				}
			}
		}
		want[k] = b[m] + posMask[no]*v
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%#v e=%v shift=%v frac=%v\ndeform %v\nblend  %v", *p, e, shift, frac, got, want)
	}
}

// blend is the bilinear weight of neighbour d ∈ {0, 1} at fraction l.
func blend(l float64, d int) float64 {
	if d == 0 {
		return 1 - l
	}
	return l
}

// Hand-checkable deformable cases on a 1×1×2×3 image x = [[1 2 3] [4 5 6]]
// with a 1×1 kernel of weight 1, so y is the sampled value itself.
func TestDeformBilinearByHand(t *testing.T) {
	p := conv.New(conv.OpDeform, 2)
	p.I[conv.H], p.I[conv.W] = 2, 3
	if err := p.Resolve(); err != nil {
		t.Fatal(err)
	}
	x := []float64{1, 2, 3, 4, 5, 6}
	cases := []struct {
		name   string
		dy, dx float64 // the same offset at every output position
		want   []float64
	}{
		{"none", 0, 0, []float64{1, 2, 3, 4, 5, 6}},
		{"right half", 0, 0.5, []float64{1.5, 2.5, 1.5, 4.5, 5.5, 3}}, // last column blends with a zero
		{"down half", 0.5, 0, []float64{2.5, 3.5, 4.5, 2, 2.5, 3}},
		{"centre of four", 0.5, 0.5, []float64{3, 4, 2.25, 2.25, 2.75, 1.5}},
		{"one left", 0, -1, []float64{0, 1, 2, 0, 4, 5}},
		{"quarter up", -0.25, 0, []float64{0.75, 1.5, 2.25, 3.25, 4.25, 5.25}},
		{"far away", 100, -1e300, []float64{0, 0, 0, 0, 0, 0}},
		{"just outside", -1, 0, []float64{0, 0, 0, 1, 2, 3}},
	}
	for _, tc := range cases {
		off := make([]float64, 12)
		for o := 0; o < 6; o++ {
			off[o], off[6+o] = tc.dy, tc.dx
		}
		y, err := Forward(&p, conv.Inputs[float64]{X: x, W: []float64{1}, Offset: off}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(y, tc.want) {
			t.Errorf("%s: y = %v, want %v", tc.name, y, tc.want)
		}
	}
}
