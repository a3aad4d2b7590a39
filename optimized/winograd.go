package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
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
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			wg := newWinograd(ex, p, w, b)
			return func(in conv.Inputs[float32], out []float32) { wg.run(in.X, out) }, nil
		},
	}
}

// winograd is prepared with the weight transform U = G·g·Gᵀ.
type winograd struct {
	ex                  *executor
	p                   *conv.Problem
	b                   []float32
	u                   []float32 // U[ξ][oc][c]
	padded              []float32 // padding zero from the start; runs copy data rows only
	tw, tiles, chunks   int
	wp, psz             int
	vs, ms              [][]float32 // per worker
	x, out              []float32   // the current run's
	fillTask, chunkTask func(wk, task int)
}

func newWinograd(ex *executor, p *conv.Problem, w, b []float32) *winograd {
	wg := &winograd{ex: ex, p: p, b: b}
	icg, ocg := p.ICG(), p.OCG()
	OH, OW := p.O[1], p.O[2]
	IH, IW := p.I[1], p.I[2]
	isp := conv.Spatial(p.I)
	// U[ξ][oc][c] = (G g Gᵀ)_ξ, in float64 then rounded once.
	ocic := p.OC * icg
	u := make([]float32, 16*ocic)
	ex.forEach(p.OC, func(_, oc int) {
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
	wg.u = u
	th, tw := ceilDiv(OH, 2), ceilDiv(OW, 2)
	wg.tw, wg.tiles = tw, th*tw
	wg.chunks = ceilDiv(wg.tiles, winoChunk)
	// Every 4×4 input tile read from a zero-padded copy: tile (a, b) starts
	// at padded (2a, 2b), input (ih, iw) sits at (PH + ih, PW + iw).
	hp, wp := max(2*th+2, p.PBegin[1]+IH), max(2*tw+2, p.PBegin[2]+IW)
	wg.wp, wg.psz = wp, hp*wp
	wg.padded = ex.floats(p.MB * p.IC * wg.psz)
	nt := min(winoChunk, wg.tiles)
	ex.useGemm(ocg, nt, icg)
	wg.vs, wg.ms = ex.perWorker(16*icg*nt), ex.perWorker(16*ocg*nt)
	wg.fillTask = func(_, nc int) {
		pl := wg.padded[nc*wg.psz : (nc+1)*wg.psz]
		xc := wg.x[nc*isp : (nc+1)*isp]
		for ih := 0; ih < IH; ih++ {
			r := (p.PBegin[1] + ih) * wp
			copy(pl[r+p.PBegin[2]:r+p.PBegin[2]+IW], xc[ih*IW:(ih+1)*IW])
		}
	}
	wg.chunkTask = wg.runChunk
	return wg
}

func (wg *winograd) run(x, out []float32) {
	p := wg.p
	wg.x, wg.out = x, out
	wg.ex.forEach(p.MB*p.IC, wg.fillTask)
	wg.ex.forEach(p.MB*p.G*wg.chunks, wg.chunkTask)
	wg.x, wg.out = nil, nil
}

func (wg *winograd) runChunk(wk, task int) {
	p, b, u, out, padded := wg.p, wg.b, wg.u, wg.out, wg.padded
	icg, ocg := p.ICG(), p.OCG()
	OH, OW := p.O[1], p.O[2]
	osp := conv.Spatial(p.O)
	ocic := p.OC * icg
	tw, tiles, chunks, wp, psz := wg.tw, wg.tiles, wg.chunks, wg.wp, wg.psz
	ch := task % chunks
	g := (task / chunks) % p.G
	n := task / (chunks * p.G)
	t0, t1 := ch*winoChunk, min(tiles, (ch+1)*winoChunk)
	nt := t1 - t0
	hitIf(chunks > 1 && nt < winoChunk, pathWinoChunkRem)
	edgeCol, edgeRow := false, false
	v := wg.vs[wk][:16*icg*nt]
	m := wg.ms[wk][:16*ocg*nt]
	stride := icg * nt
	for c := 0; c < icg; c++ {
		pl := padded[(n*p.IC+g*icg+c)*psz : (n*p.IC+g*icg+c+1)*psz]
		// the 16 transform-domain rows of channel c, each nt long
		var vr [16][]float32
		for xi := range vr {
			vr[xi] = v[xi*stride+c*nt:][:nt]
		}
		v0, v1, v2, v3, v4, v5, v6, v7 := vr[0], vr[1][:nt], vr[2][:nt], vr[3][:nt], vr[4][:nt], vr[5][:nt], vr[6][:nt], vr[7][:nt]
		v8, v9, v10, v11, v12, v13, v14, v15 := vr[8][:nt], vr[9][:nt], vr[10][:nt], vr[11][:nt], vr[12][:nt], vr[13][:nt], vr[14][:nt], vr[15][:nt]
		for i := range v0 {
			t := t0 + i
			b := 2*(t/tw)*wp + 2*(t%tw)
			r0, r1, r2, r3 := pl[b:b+4], pl[b+wp:b+wp+4], pl[b+2*wp:b+2*wp+4], pl[b+3*wp:b+3*wp+4]
			// Bᵀ d, one column at a time
			a00, a10, a20, a30 := bt4(r0[0], r1[0], r2[0], r3[0])
			a01, a11, a21, a31 := bt4(r0[1], r1[1], r2[1], r3[1])
			a02, a12, a22, a32 := bt4(r0[2], r1[2], r2[2], r3[2])
			a03, a13, a23, a33 := bt4(r0[3], r1[3], r2[3], r3[3])
			// (Bᵀ d) B, one row at a time
			v0[i], v1[i], v2[i], v3[i] = bt4(a00, a01, a02, a03)
			v4[i], v5[i], v6[i], v7[i] = bt4(a10, a11, a12, a13)
			v8[i], v9[i], v10[i], v11[i] = bt4(a20, a21, a22, a23)
			v12[i], v13[i], v14[i], v15[i] = bt4(a30, a31, a32, a33)
		}
	}
	for xi := 0; xi < 16; xi++ {
		asmGemm(wg.ex.gemmWS(wk), ocg, nt, icg, u[xi*ocic+g*ocg*icg:], icg, v[xi*icg*nt:], nt, 0, m[xi*ocg*nt:], nt)
	}
	stride = ocg * nt
	for o := 0; o < ocg; o++ {
		oc := g*ocg + o
		bias := float32(0)
		if b != nil {
			bias = b[oc]
		}
		y := out[(n*p.OC+oc)*osp : (n*p.OC+oc+1)*osp]
		var mr [16][]float32
		for xi := range mr {
			mr[xi] = m[xi*stride+o*nt:][:nt]
		}
		m0, m1, m2, m3, m4, m5, m6, m7 := mr[0], mr[1][:nt], mr[2][:nt], mr[3][:nt], mr[4][:nt], mr[5][:nt], mr[6][:nt], mr[7][:nt]
		m8, m9, m10, m11, m12, m13, m14, m15 := mr[8][:nt], mr[9][:nt], mr[10][:nt], mr[11][:nt], mr[12][:nt], mr[13][:nt], mr[14][:nt], mr[15][:nt]
		for i := range m0 {
			t := t0 + i
			// Aᵀ M, one column at a time, then (Aᵀ M) A per row
			s00, s10 := at4(m0[i], m4[i], m8[i], m12[i])
			s01, s11 := at4(m1[i], m5[i], m9[i], m13[i])
			s02, s12 := at4(m2[i], m6[i], m10[i], m14[i])
			s03, s13 := at4(m3[i], m7[i], m11[i], m15[i])
			y00, y01 := at4(s00, s01, s02, s03)
			y10, y11 := at4(s10, s11, s12, s13)
			oh0, ow0 := 2*(t/tw), 2*(t%tw)
			if oh0+1 < OH && ow0+1 < OW {
				r0 := y[oh0*OW+ow0 : oh0*OW+ow0+2]
				r1 := y[(oh0+1)*OW+ow0 : (oh0+1)*OW+ow0+2]
				r0[0], r0[1], r1[0], r1[1] = bias+y00, bias+y01, bias+y10, bias+y11
				continue
			}
			edgeCol = edgeCol || ow0+1 == OW
			edgeRow = edgeRow || oh0+1 == OH
			y[oh0*OW+ow0] = bias + y00
			if ow0+1 < OW {
				y[oh0*OW+ow0+1] = bias + y01
			}
			if oh0+1 < OH { // then ow0+1 = OW: the tile's second column is cut
				y[(oh0+1)*OW+ow0] = bias + y10
			}
		}
	}
	hitIf(edgeCol, pathWinoEdgeCol)
	hitIf(edgeRow, pathWinoEdgeRow)
}

// bt4 is one 1D input transform Bᵀ·(a0, a1, a2, a3).
func bt4(a0, a1, a2, a3 float32) (float32, float32, float32, float32) {
	return a0 - a2, a1 + a2, a2 - a1, a1 - a3
}

// at4 is one 1D output transform Aᵀ·(m0, m1, m2, m3).
func at4(m0, m1, m2, m3 float32) (float32, float32) {
	return m0 + m1 + m2, m1 - m2 - m3
}
