package worker

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

// GradBound is the bound under which a float32 gradient named name ("dx",
// "dw", …) of backward problem p is judged against reference.Backward:
//
//	|got − exp| ≤ γ_N · GradMagnitude + 1e-30,  C = 1,
//
// with N the longest chain of float32 roundings any leaf term of that
// element goes through: each term is rounded once when formed (a product;
// none with FMA) and at most once per addition on its way to the result, so
// a sum of n products computed in any order (any tree, blocked or split
// over workers, or through intermediate sums such as Wᵀ·dy then col2im) has
// |err| ≤ γ_n·Σ|term| (Higham, Accuracy and Stability of Numerical
// Algorithms, §3.1 and Lemma 3.3), and a term scaled by k more roundings
// before it is summed adds k to n. GradMagnitude supplies Σ|term| and, for
// deform and dynamic, the error of the terms' own nonlinear factors
// (bilinear weights, routing) in the units of this N or of a smaller one,
// which γ_N, increasing in N, covers.
//
// With So = output positions (Π O), Si = input positions (Π I), T = taps
// (Π K), OCG = OC/G, ICG = IC/G:
//
//   - conv dx[n,c,i] = Σ over the OCG channels m of its group and the taps k
//     that land on i of dy·w: at most OCG·T products, N = OCG·T.
//   - conv dw[m,c,k] = Σ over n and every output position of dy·x: N = MB·So.
//   - deconv dx[n,i,p] = Σ over OCG channels c and taps k of dy·w (the dy
//     element p·s + k·d − pad_begin, when it exists): N = OCG·T.
//   - deconv dw[i,c,k] = Σ over n and every input position of x·dy: N = MB·Si.
//   - db (conv, deconv, deform) = Σ over n and output positions of dy: MB·So
//     terms, each exact, so N = MB·So (MB·So − 1 additions, one more kept
//     for simplicity).
//   - deform dx: col = Σ_m w·dy (OCG products), then ×mask and ×bilinear
//     weight (2 roundings), then summed into dx over every (tap, output
//     position) whose sample touches the pixel, at most T·So of them (the
//     offsets may send every sample near one pixel): N = OCG + 2 + T·So.
//   - deform doffset, dmask: col (OCG) × mask (1) × the bilinear sample or
//     its derivative (4 corners: a product for the corner weight, one with
//     x, 3 additions: 5), summed over the IC/DG channels of the offset
//     group: N = OCG + 1 + 5 + IC/DG + 1 (one more for the product with col).
//   - deform dw: Σ over n, o of dy · mask · sample (sample as above, 5; ×mask
//     1; ×dy 1): N = MB·So + 7.
//   - dynamic: the mixed kernel Σₑ α·w (E terms) then a conv: dx's
//     convolution part N₁ = E + OCG·T + 1 (the mixing, the conv sum, the
//     product); its routing part goes back from dα[n,e] = Σ over OC·ICG·T
//     of dwmix·w plus OC of dbmix·b, where dwmix = Σ_o dy·x (So terms),
//     through the softmax or sigmoid Jacobian (E terms, 2 products), route_w
//     (E terms) and the mean (1 product): N₂ = So + OC·ICG·T + OC + 2E + 5;
//     dx = N₁-part + N₂-part: N = max(N₁, N₂) + 1.
//     d(experts)[e] = Σ_n α·Σ_o dy·x and d(bias)[e] = Σ_n α·Σ_o dy: N = So + MB + 1.
//     droute_b[e] = Σ_n dr[n,e]: N = N₂ + MB; droute_w[e,c] = Σ_n dr·gap,
//     gap = Σ_i x / Si (Si + 1): N = N₂ + MB + Si + 2.
func GradBound(p *conv.Problem, name string) (conv.Bound, error) {
	n := gradN(p, name)
	if n <= 0 {
		return conv.Bound{}, fmt.Errorf("%s: no bound for this gradient of %s (direction %s)", name, p.Op, p.Dir)
	}
	return conv.Bound{C: 1, N: n, Abs: 1e-30}, nil
}

func gradN(p *conv.Problem, name string) int {
	so, si, t := conv.Spatial(p.O), conv.Spatial(p.I), p.Taps()
	ocg, icg := p.OCG(), p.ICG()
	switch p.Op {
	case conv.OpConv, conv.OpDeconv:
		switch name {
		case "dx":
			return ocg * t
		case "dw":
			if p.Op == conv.OpDeconv {
				return p.MB * si
			}
			return p.MB * so
		case "db":
			return p.MB * so
		}
	case conv.OpDeform:
		dg := max(p.DG, 1)
		switch name {
		case "dx":
			return ocg + 2 + t*so
		case "doffset", "dmask":
			return ocg + 7 + p.IC/dg
		case "dw":
			return p.MB*so + 7
		case "db":
			return p.MB * so
		}
	case conv.OpDynamic:
		n2 := so + p.OC*icg*t + p.OC + 2*p.E + 5
		switch name {
		case "dx":
			return max(p.E+ocg*t+1, n2) + 1
		case "dw", "db":
			return so + p.MB + 1
		case "droute_b":
			return n2 + p.MB
		case "droute_w":
			return n2 + p.MB + si + 2
		}
	}
	return 0
}
