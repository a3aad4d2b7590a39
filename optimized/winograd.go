package optimized

import (
	"fmt"

	"convverify/conv"
)

// Winograd F(2×2, 3×3) (Lavin & Gray 2016). A 4×4 input tile d gives a 2×2
// output tile y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A with
//
//	Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
//	G  = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
//	Aᵀ = [1 1 1 0; 0 1 −1 −1]
//
// and the sum over input channels moves inside: for each of the 16
// transform-domain points ξ, M_ξ = U_ξ·V_ξ is a GEMM of (OC/G × IC/G) weights
// by (IC/G × tiles) transformed inputs.
//
// F(4×4, 3×3) is not offered: its transforms (points 0, ±1, ±2, ∞) have
// entries up to 8 in Aᵀ and 1/6·… in G, and the same magnitude expansion as
// below gives a factor above 100 (Barabasz et al. 2020 measure errors
// 10–100× F(2,3)'s), too loose for a bound that must still catch bugs.
//
// BoundC derivation. Expand the computed output as a sum of products
// |coefficient|·|d_i|·|g_k| through the three transforms: in 1D, output 0 is
// m1 + m2 + m3 with |m1| ≤ (|d0|+|d2|)|g0| and |m2|, |m3| ≤ ½(|d1|+|d2|)(|g0|+|g1|+|g2|),
// eight unit-weighted products against the three of direct summation; output
// 1 likewise. In 2D the factor squares: 64 products for the direct 9, a
// magnitude expansion of 64/9 ≈ 7.1 when the |d|, |g| of one tile are of
// comparable size. Each path has at most IC/G + 12 roundings (2+2 in Bᵀ d B,
// one for U, IC/G in the GEMM, 2+2 in Aᵀ M A, bias) against N = 9·IC/G + 1,
// a ratio ≤ 13/10. C = 7.1·1.3 ≈ 9.3, rounded to 10.
//
// The expansion includes products x_i·g_k that direct summation never forms
// (they cancel exactly), so an element whose own Σ|x·w| is small (a small
// weight tap, or most taps in padding) can carry an error set by its
// neighbours' products: the bound is normwise (Variant.Normwise), judged
// against the largest Σ|x·w| of the output plane, and holds when the |x|,
// |w| of one plane are of comparable size.
const winogradC = 10

const winoChunk = 128 // tiles per task (fixed, so the split never depends on workers)

func winogradVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name: "winograd-f2x3",
			Ops:  []conv.Op{conv.OpConv},
			Supports: func(p *conv.Problem) error {
				if p.Rank != 2 {
					return fmt.Errorf("winograd: rank %d, needs 2D", p.Rank)
				}
				if p.K[1] != 3 || p.K[2] != 3 {
					return fmt.Errorf("winograd: kernel %d×%d, needs 3×3", p.K[1], p.K[2])
				}
				if p.S[1] != 1 || p.S[2] != 1 {
					return fmt.Errorf("winograd: stride %d×%d, needs 1", p.S[1], p.S[2])
				}
				if p.Dil[1] != 1 || p.Dil[2] != 1 {
					return fmt.Errorf("winograd: dilation %d×%d, needs 1", p.Dil[1], p.Dil[2])
				}
				return nil
			},
			BoundC:        winogradC,
			Exact:         false,
			Deterministic: true,
			Normwise:      true,
		},
		run: func(p *conv.Problem, in conv.Inputs[float32], out []float32, workers int) error {
			winograd(p, in.X, in.W, in.B, out, workers)
			return nil
		},
	}
}

func winograd(p *conv.Problem, x, w, b, out []float32, workers int) {
	icg, ocg := p.ICG(), p.OCG()
	OH, OW := p.O[1], p.O[2]
	IH, IW := p.I[1], p.I[2]
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	// U[ξ][oc][c] = (G g Gᵀ)_ξ, in float64 then rounded once.
	ocic := p.OC * icg
	u := make([]float32, 16*ocic)
	forEach(workers, p.OC, func(_, oc int) {
		for c := 0; c < icg; c++ {
			g := w[(oc*icg+c)*9 : (oc*icg+c+1)*9]
			var t [4][3]float64 // G·g
			for j := 0; j < 3; j++ {
				g0, g1, g2 := float64(g[j]), float64(g[3+j]), float64(g[6+j])
				t[0][j], t[1][j], t[2][j], t[3][j] = g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2
			}
			for i := 0; i < 4; i++ {
				g0, g1, g2 := t[i][0], t[i][1], t[i][2]
				r := [4]float64{g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2}
				for j := 0; j < 4; j++ {
					u[(i*4+j)*ocic+oc*icg+c] = float32(r[j])
				}
			}
		}
	})
	th, tw := ceilDiv(OH, 2), ceilDiv(OW, 2)
	tiles := th * tw
	chunks := ceilDiv(tiles, winoChunk)
	vs, ms := newScratch(workers), newScratch(workers)
	defer vs.release()
	defer ms.release()
	forEach(workers, p.MB*p.G*chunks, func(wk, task int) {
		ch := task % chunks
		g := (task / chunks) % p.G
		n := task / (chunks * p.G)
		t0, t1 := ch*winoChunk, min(tiles, (ch+1)*winoChunk)
		nt := t1 - t0
		v := vs.get(wk, 16*icg*nt)
		m := ms.get(wk, 16*ocg*nt)
		for c := 0; c < icg; c++ {
			xc := x[(n*p.IC+g*icg+c)*isp : (n*p.IC+g*icg+c+1)*isp]
			for t := t0; t < t1; t++ {
				ih0, iw0 := 2*(t/tw)-p.PBegin[1], 2*(t%tw)-p.PBegin[2]
				var d [4][4]float32
				for i := 0; i < 4; i++ {
					ih := ih0 + i
					if ih < 0 || ih >= IH {
						continue
					}
					for j := 0; j < 4; j++ {
						if iw := iw0 + j; iw >= 0 && iw < IW {
							d[i][j] = xc[ih*IW+iw]
						}
					}
				}
				var r [4][4]float32 // Bᵀ d
				for j := 0; j < 4; j++ {
					r[0][j] = d[0][j] - d[2][j]
					r[1][j] = d[1][j] + d[2][j]
					r[2][j] = d[2][j] - d[1][j]
					r[3][j] = d[1][j] - d[3][j]
				}
				base := c*nt + t - t0
				stride := icg * nt
				for i := 0; i < 4; i++ { // (Bᵀ d) B
					v[(i*4+0)*stride+base] = r[i][0] - r[i][2]
					v[(i*4+1)*stride+base] = r[i][1] + r[i][2]
					v[(i*4+2)*stride+base] = r[i][2] - r[i][1]
					v[(i*4+3)*stride+base] = r[i][1] - r[i][3]
				}
			}
		}
		for xi := 0; xi < 16; xi++ {
			asmGemm(ocg, nt, icg, u[xi*ocic+g*ocg*icg:], icg, v[xi*icg*nt:], nt, 0, m[xi*ocg*nt:], nt)
		}
		stride := ocg * nt
		for o := 0; o < ocg; o++ {
			oc := g*ocg + o
			bias := float32(0)
			if b != nil {
				bias = b[oc]
			}
			y := out[(n*p.OC+oc)*osp : (n*p.OC+oc+1)*osp]
			for t := t0; t < t1; t++ {
				base := o*nt + t - t0
				var mm [4][4]float32
				for i := 0; i < 16; i++ {
					mm[i/4][i%4] = m[i*stride+base]
				}
				var s [2][4]float32 // Aᵀ M
				for j := 0; j < 4; j++ {
					s[0][j] = mm[0][j] + mm[1][j] + mm[2][j]
					s[1][j] = mm[1][j] - mm[2][j] - mm[3][j]
				}
				oh0, ow0 := 2*(t/tw), 2*(t%tw)
				for i := 0; i < 2; i++ {
					oh := oh0 + i
					if oh >= OH {
						break
					}
					y[oh*OW+ow0] = bias + (s[i][0] + s[i][1] + s[i][2])
					if ow0+1 < OW {
						y[oh*OW+ow0+1] = bias + (s[i][1] - s[i][2] - s[i][3])
					}
				}
			}
		}
	})
}
