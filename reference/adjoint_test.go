package reference

import (
	"slices"
	"testing"

	"github.com/convverify/convverify/conv"
	"pgregory.net/rapid"
)

// mirror returns the transposed convolution that is the adjoint of the
// convolution pc: channels and sizes swap sides, kernel, stride, begin padding
// and dilation stay, and the end padding is chosen so that the deconvolution's
// output has the convolution's input size. Both take the same flat weights:
// [OC, IC/G, K…] of pc is [IC', OC'/G, K…] of the mirror.
func mirror(t *rapid.T, pc *conv.Problem) *conv.Problem {
	pd := *pc
	pd.Op = conv.OpDeconv
	pd.IC, pd.OC = pc.OC, pc.IC
	pd.I = pc.O
	for _, a := range pc.Axes() {
		pd.PEnd[a] = pc.S[a]*(pc.O[a]-1) + pc.ExtK(a) - pc.PBegin[a] - pc.I[a]
	}
	mustResolve(t, &pd)
	if pd.O != pc.I {
		t.Fatalf("mirror output %v, want the conv input %v", pd.O, pc.I)
	}
	return &pd
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// ⟨Conv(x), y⟩ = ⟨x, Deconv(y)⟩: transposed convolution is the adjoint of
// convolution (the check PyTorch uses). Deconv is its own scatter loop, so
// this ties two independent codings of the index arithmetic together.
// Integer data keeps both sides exact, so equality is demanded bit for bit.
func TestAdjointIdentity(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pc := genConv(t)
		pd := mirror(t, pc)
		x := ints(t, conv.Elems(pc.SrcShape()), 6, "x")
		w := ints(t, conv.Elems(pc.WeightShape()), 6, "w")
		y := ints(t, conv.Elems(pc.DstShape()), 6, "y")
		var cc, cd Counter
		lhs := dot(Conv(pc, x, w, nil, &cc), y)
		rhs := dot(x, Deconv(pd, y, w, nil, &cd))
		if lhs != rhs {
			t.Fatalf("⟨Conv x, y⟩ = %v, ⟨x, Deconv y⟩ = %v\nconv   %#v\ndeconv %#v", lhs, rhs, *pc, *pd)
		}
		// The two walk the same (position, tap) pairs from opposite ends.
		if cc != cd {
			t.Fatalf("conv counted %+v, its adjoint %+v", cc, cd)
		}
	})
}

// channels copies channels [from, from+count) of a [MB, ch, sp…] tensor.
func channels(x []float64, mb, ch, sp, from, count int) []float64 {
	var out []float64
	for n := 0; n < mb; n++ {
		out = append(out, x[(n*ch+from)*sp:(n*ch+from+count)*sp]...)
	}
	return out
}

// A grouped convolution is G independent convolutions on channel slices,
// stacked. Checks the group index arithmetic of Conv and Deconv against the
// ungrouped loops.
func TestGroupsAreIndependentConvs(t *testing.T) {
	for _, gen := range []func(*rapid.T) *conv.Problem{genConv, genDeconv} {
		rapid.Check(t, func(t *rapid.T) {
			p := gen(t)
			in := inputsFor(t, p)
			run := Conv
			if p.Op == conv.OpDeconv {
				run = Deconv
			}
			got := run(p, in.X, in.W, in.B, nil)

			one := *p
			one.G, one.IC, one.OC = 1, p.ICG(), p.OCG()
			mustResolve(t, &one)
			isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
			// Weights of one group are contiguous in both layouts: [OC, …] and [IC, …].
			wg := conv.Elems(p.WeightShape()) / p.G
			want := make([]float64, len(got))
			for g := 0; g < p.G; g++ {
				x := channels(in.X, p.MB, p.IC, isp, g*one.IC, one.IC)
				var b []float64
				if in.B != nil {
					b = in.B[g*one.OC : (g+1)*one.OC]
				}
				y := run(&one, x, in.W[g*wg:(g+1)*wg], b, nil)
				for n := 0; n < p.MB; n++ {
					copy(want[(n*p.OC+g*one.OC)*osp:], y[n*one.OC*osp:(n+1)*one.OC*osp])
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%#v: grouped output differs from per-group convolutions\ngot  %v\nwant %v", *p, got, want)
			}
		})
	}
}
