package reference

import (
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// realInputs draws real (non-integer) inputs for p: rounding happens, and
// nothing is zero.
func realInputs(t *rapid.T, p *conv.Problem) (conv.Inputs[float64], []float64) {
	in := inputsFor(t, p)
	in.X = reals(t, len(in.X), "xr")
	in.W = reals(t, len(in.W), "wr")
	if in.B != nil {
		in.B = reals(t, len(in.B), "br")
	}
	return in, reals(t, conv.Elems(p.DstShape()), "dy")
}

// checkMagnitudeCovers checks that GradMagnitude has one finite element per
// gradient element, each at least the reference gradient's absolute value
// (S ≥ |Σ terms|, and T ≥ 0), and returns both.
func checkMagnitudeCovers(t *rapid.T, p *conv.Problem, in conv.Inputs[float64], dy []float64) (Grads, Grads) {
	g, err := Backward(p, in, dy)
	if err != nil {
		t.Fatal(err)
	}
	mag, err := GradMagnitude(p, in, dy)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range conv.GradNames {
		got, m := *g.Field(name), *mag.Field(name)
		if len(got) != len(m) {
			t.Fatalf("%s: magnitude has %d elements, gradient %d", name, len(m), len(got))
		}
		for i := range got {
			if !(math.Abs(got[i]) <= m[i]*(1+1e-12)+1e-300) || math.IsInf(m[i], 0) { // float64 rounding of both sides
				t.Fatalf("%s[%d]: |g| = %v, magnitude %v", name, i, math.Abs(got[i]), m[i])
			}
		}
	}
	return g, mag
}

func drawBackwardDir(t *rapid.T, p *conv.Problem) {
	p.Dir = rapid.SampledFrom([]conv.Dir{conv.DirBwdD, conv.DirBwdW, conv.DirBwdWB}).Draw(t, "dir")
}

func TestDeformGradMagnitudeCoversGradient(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genDeform(t)
		drawBackwardDir(t, p)
		in, dy := realInputs(t, p)
		checkMagnitudeCovers(t, p, in, dy)
	})
}

// The magnitude is Σ|term| plus a term error of a few u per term: with
// integer offsets (samples on pixels), γ_N times dw's excess over the
// gradient on |x|, |mask|, |dy| stays within 64·u·(2 + H + W)·max|x|·Σ|dy|
// (mask ≤ 1; the slack is u·|position| times a local difference,
// plus γ₈·max|x|). A magnitude that forgot the 1/γ_N of gradTermMag, or
// counted a term's error N times, would be far above it.
func TestDeformGradMagnitudeIsNearSumOfTerms(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genDeform(t)
		p.Dir = conv.DirBwdW
		in, dy := realInputs(t, p)
		for i := range in.Offset {
			in.Offset[i] = math.Round(in.Offset[i])
		}
		abs := conv.Inputs[float64]{X: conv.Abs(in.X), Offset: in.Offset, Mask: conv.Abs(in.Mask)}
		s, err := Backward(p, abs, conv.Abs(dy))
		if err != nil {
			t.Fatal(err)
		}
		mag, err := GradMagnitude(p, in, dy)
		if err != nil {
			t.Fatal(err)
		}
		var xmax, dsum float64
		for _, v := range in.X {
			xmax = math.Max(xmax, math.Abs(v))
		}
		for _, v := range dy {
			dsum += math.Abs(v)
		}
		g := conv.Gamma(DeformGradLength(p, "dw"))
		lim := 64 * conv.U32 * float64(2+p.I[conv.H]+p.I[conv.W]) * xmax * dsum
		for i := range s.DW {
			if !(mag.DW[i] >= s.DW[i]*(1-1e-12)-1e-300) || g*(mag.DW[i]-s.DW[i]) > lim {
				t.Fatalf("dw[%d]: magnitude %v, Σ|term| %v: γ_N·excess %.3g > %.3g", i, mag.DW[i], s.DW[i], g*(mag.DW[i]-s.DW[i]), lim)
			}
		}
	})
}

func TestGradMagnitudeErrorsNameTheTensor(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom([]func(*rapid.T) *conv.Problem{genDeform, genDynamic}).Draw(t, "op")(t)
		drawBackwardDir(t, p)
		in, dy := realInputs(t, p)
		if _, err := GradMagnitude(p, in, dy[1:]); err == nil || !strings.Contains(err.Error(), "dy") {
			t.Fatalf("short dy: error %v, want one naming dy", err)
		}
		if _, err := GradMagnitude(p, conv.Inputs[float64]{X: in.X[1:], W: in.W, B: in.B, Offset: in.Offset, Mask: in.Mask, RouteW: in.RouteW, RouteB: in.RouteB}, dy); err == nil || !strings.Contains(err.Error(), "x:") {
			t.Fatalf("short x: error %v, want one naming x", err)
		}
	})
}

// deformBackward32 is a float32 deform backward written as torchvision's
// kernels are (deform_conv2d's backward: deformable_col2im,
// deformable_col2im_coord, deformable_im2col and the GEMMs), every
// operation rounded to float32: positions y = (oh·SH − PH + kh·DH) + Δ,
// tent weights (1 − |y − yp|)(1 − |x − xp|) for dx, get_coordinate_weight's
// ±(x_h − x)·v sums for doffset, bilinear_interpolate (h_low, lh = h −
// h_low, hh = 1 − lh, w1…w4) for dmask and the columns of dw, and dcol =
// Wᵀ·dy summed over the group's outputs. It is the outside implementation
// whose rounding GradMagnitude must cover (the PyTorch goldens are its
// output).
func deformBackward32(p *conv.Problem, x, w, offset, mask, dy []float32) (dx, dw, doff, dmask []float32) {
	icg, ocg := p.ICG(), p.OCG()
	icPerDG := p.IC / p.DG
	kh, kw := p.K[conv.H], p.K[conv.W]
	ih, iw := p.I[conv.H], p.I[conv.W]
	offCh, maskCh := 2*p.DG*kh*kw, p.DG*kh*kw
	dx = make([]float32, len(x))
	dw = make([]float32, conv.Elems(p.WeightShape()))
	doff = make([]float32, len(offset))
	if mask != nil {
		dmask = make([]float32, len(mask))
	}
	pix := func(n, c, r, s int) float32 {
		if r < 0 || r >= ih || s < 0 || s >= iw {
			return 0
		}
		return x[at(p.IC, p.I, n, c, 0, r, s)]
	}
	interp := func(n, c int, h, wp float32) float32 { // bilinear_interpolate
		if h <= -1 || float32(ih) <= h || wp <= -1 || float32(iw) <= wp {
			return 0
		}
		hl, wl := float32(math.Floor(float64(h))), float32(math.Floor(float64(wp)))
		lh, lw := h-hl, wp-wl
		hh, hw := 1-lh, 1-lw
		r, s := int(hl), int(wl)
		return hh*hw*pix(n, c, r, s) + hh*lw*pix(n, c, r, s+1) + lh*hw*pix(n, c, r+1, s) + lh*lw*pix(n, c, r+1, s+1)
	}
	coord := func(n, c int, y, xp float32, dirY bool) float32 { // get_coordinate_weight
		yl, xl := float32(math.Floor(float64(y))), float32(math.Floor(float64(xp)))
		yh, xh := yl+1, xl+1
		r, s := int(yl), int(xl)
		v00, v01, v10, v11 := pix(n, c, r, s), pix(n, c, r, s+1), pix(n, c, r+1, s), pix(n, c, r+1, s+1)
		if dirY {
			return -1*(xh-xp)*v00 + -1*(xp-xl)*v01 + (xh-xp)*v10 + (xp-xl)*v11
		}
		return -1*(yh-y)*v00 + (yh-y)*v01 + -1*(y-yl)*v10 + (y-yl)*v11
	}
	for n := 0; n < p.MB; n++ {
		for ic := 0; ic < p.IC; ic++ {
			grp, ci, dg := ic/icg, ic%icg, ic/icPerDG
			for i := 0; i < kh; i++ {
				for j := 0; j < kw; j++ {
					kidx := (dg*kh+i)*kw + j
					for oh := 0; oh < p.O[conv.H]; oh++ {
						for ow := 0; ow < p.O[conv.W]; ow++ {
							oy := at(offCh, p.O, n, 2*kidx, 0, oh, ow)
							ox := at(offCh, p.O, n, 2*kidx+1, 0, oh, ow)
							y := float32(oh*p.S[conv.H]-p.PBegin[conv.H]+i*p.Dil[conv.H]) + offset[oy]
							xp := float32(ow*p.S[conv.W]-p.PBegin[conv.W]+j*p.Dil[conv.W]) + offset[ox]
							mu, mi := float32(1), 0
							if mask != nil {
								mi = at(maskCh, p.O, n, kidx, 0, oh, ow)
								mu = mask[mi]
							}
							var col float32 // dcol = Σ_m w·dy
							for m := grp * ocg; m < (grp+1)*ocg; m++ {
								col += w[at(icg, p.K, m, ci, 0, i, j)] * dy[at(p.OC, p.O, n, m, 0, oh, ow)]
							}
							v := interp(n, ic, y, xp)
							for m := grp * ocg; m < (grp+1)*ocg; m++ {
								dw[at(icg, p.K, m, ci, 0, i, j)] += dy[at(p.OC, p.O, n, m, 0, oh, ow)] * (mu * v)
							}
							if mask != nil {
								dmask[mi] += col * v
							}
							if y <= -1 || xp <= -1 || y >= float32(ih) || xp >= float32(iw) {
								continue
							}
							doff[oy] += coord(n, ic, y, xp, true) * col * mu
							doff[ox] += coord(n, ic, y, xp, false) * col * mu
							cm := mu * col
							yi, xi := int(math.Floor(float64(y))), int(math.Floor(float64(xp)))
							for dr := -1; dr <= 2; dr++ {
								for dc := -1; dc <= 2; dc++ {
									r, s := yi+dr, xi+dc
									if r >= 0 && r < ih && s >= 0 && s < iw {
										ay, ax := float32(math.Abs(float64(y-float32(r)))), float32(math.Abs(float64(xp-float32(s))))
										if ay < 1 && ax < 1 {
											dx[at(p.IC, p.I, n, ic, 0, r, s)] += (1 - ay) * (1 - ax) * cm
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return dx, dw, doff, dmask
}

// A float32 deform backward written as torchvision's (deformBackward32) is
// within γ_N·GradMagnitude of the reference for every gradient, N =
// DeformGradLength: the bound covers float32 positions, weights, samples
// and derivatives, not only the sums.
func TestDeformGradMagnitudeCoversFloat32Torchvision(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genDeform(t)
		drawBackwardDir(t, p)
		in, dy := realInputs(t, p)
		in.Offset = reals32(t, len(in.Offset), 3, "offset32") // real positions, float32 as the kernel reads them
		in = conv.ConvertInputs[float64](conv.ConvertInputs[float32](in))
		dy = conv.ConvertSlice[float64](conv.ConvertSlice[float32](dy))
		exp, err := Backward(p, in, dy)
		if err != nil {
			t.Fatal(err)
		}
		mag, err := GradMagnitude(p, in, dy)
		if err != nil {
			t.Fatal(err)
		}
		f := conv.ConvertInputs[float32](in)
		dx, dw, doff, dmask := deformBackward32(p, f.X, f.W, f.Offset, f.Mask, conv.ConvertSlice[float32](dy))
		got := map[string][]float32{"dx": dx, "doffset": doff, "dmask": dmask, "dw": dw}
		for _, name := range []string{"dx", "doffset", "dmask", "dw"} {
			e, m := *exp.Field(name), *mag.Field(name)
			if e == nil {
				continue
			}
			shape, _ := p.TensorShape(name)
			b := conv.Bound{C: 1, N: DeformGradLength(p, name), Abs: 1e-30}
			if vd := conv.Compare(got[name], e, m, b, shape); !vd.OK() {
				t.Fatalf("%s %s: %v", p.Command(), name, vd)
			}
		}
	})
}

// reals32 draws n float32 values in [−lim, lim] (as float64).
func reals32(t *rapid.T, n int, lim float32, label string) []float64 {
	v := rapid.SliceOfN(rapid.Float32Range(-lim, lim), n, n).Draw(t, label)
	s := make([]float64, n)
	for i, x := range v {
		s[i] = float64(x)
	}
	return s
}
