package optimized

import (
	"math/rand/v2"
	"testing"

	"github.com/convverify/convverify/conv"
)

// TestPaddedVolumeFill checks the padded, phase-split layout slot by slot
// against its definition (padded column j of row r at phase j mod SW, slot
// j div SW; input (ih, iw) at (PH + ih, PW + iw), zero elsewhere) for widths
// across the stride-2 split's 16-pair chunks and masks, odd and even begin
// padding, strides 1–3 and aligned phases. Unused rows of a reused buffer
// keep the previous channel's data, so the buffer is filled twice.
func TestPaddedVolumeFill(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for sw := 1; sw <= 3; sw++ {
		for pw := 0; pw <= 5; pw++ {
			for iw := 1; iw <= 70; iw++ {
				for _, aligned := range []bool{false, true} {
					p := conv.New(conv.OpConv, 2)
					p.IC, p.OC = 1, 1
					p.I[1], p.I[2] = 3, iw
					p.K[1], p.K[2] = 3, 3
					p.S[2] = sw
					p.PBegin[1], p.PEnd[1] = 1, 1
					p.PBegin[2], p.PEnd[2] = pw, 2
					if err := p.Resolve(); err != nil {
						t.Fatal(err)
					}
					pv := newPaddedVolume(&p)
					if aligned {
						pv = pv.alignRows()
					}
					buf := make([]float32, pv.size())
					x := make([]float32, p.I[1]*iw)
					for pass := 0; pass < 2; pass++ {
						for i := range x {
							x[i] = float32(rng.IntN(99) + 1)
						}
						pv.fill(&p, x, buf)
						for r := 0; r < pv.hp; r++ {
							for j := 0; j < pv.wp; j++ {
								want := float32(0)
								ih, jw := r-p.PBegin[1], j-pw
								if ih >= 0 && ih < p.I[1] && jw >= 0 && jw < iw {
									want = x[ih*iw+jw]
								}
								got := buf[r*pv.wp+(j%sw)*pv.ph+j/sw]
								if got != want {
									t.Fatalf("sw=%d pw=%d iw=%d aligned=%v pass %d: padded (%d, %d) = %v, want %v", sw, pw, iw, aligned, pass, r, j, got, want)
								}
							}
						}
					}
				}
			}
		}
	}
}
