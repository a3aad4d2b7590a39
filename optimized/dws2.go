package optimized

import "github.com/convverify/convverify/conv"

// dwS2 is depthwise's path for 3×3, stride-2, undilated planes with one
// output channel per input channel (MobileNet's downsampling layers),
// dwS2PlaneAVX512 (dwS2PlaneGo where it is not there) reads the input rows
// themselves, splits even and odd columns in registers and asks for the
// next output row's two new input rows as it goes, so the plane is read
// once and never copied. The window copy of depthwisePlane, waiting on the
// input from L3 or memory, was most of such a layer's time; the kernel
// overlaps that wait with its arithmetic. Paired ratios over the window
// path (interleaved calls, one worker): 112² inputs 1.13–1.20, 224² 1.59,
// 111² 1.21, 56² 1.03, 28² 1.05; two workers at 112² 1.13. Each output is
// the bias plus the nine taps in (kh, kw) order, as on the window path,
// with the padding taps exact zeros.
type dwS2 struct {
	masks  []uint64  // per chunk of 16 outputs: the load lanes inside the row, then the outputs to store (dwS2PlaneAVX512)
	chunks int       // ⌈OW/16⌉
	zero   []float32 // IW zeros: the row of the taps outside the input's rows
}

// newDwS2 returns the path for p, or nil where it does not apply.
func newDwS2(p *conv.Problem) *dwS2 {
	if p.OCG() != 1 || p.ICG() != 1 || p.I[0] != 1 || p.O[0] != 1 || p.K[0] != 1 ||
		p.K[1] != 3 || p.K[2] != 3 || p.S[1] != 2 || p.S[2] != 2 || p.Dil[1] != 1 || p.Dil[2] != 1 ||
		p.PBegin[1] < 0 || p.PBegin[2] < 0 {
		return nil
	}
	return newDwS2Width(p.I[2], p.O[2], p.PBegin[2])
}

// newDwS2Width is dwS2 for rows of iw inputs, ow outputs and begin
// padding pw.
func newDwS2Width(iw, ow, pw int) *dwS2 {
	s := &dwS2{chunks: ceilDiv(ow, 16), zero: make([]float32, iw)}
	// chunk c's loads start at input column 32c − pw (taps 0 and 1 of its
	// outputs, in pairs) and 32c − pw + 2 (tap 2)
	for c := 0; c < s.chunks; c++ {
		var m, st uint64
		for k := 0; k < 32; k++ {
			if col := 32*c - pw + k; col >= 0 && col < iw {
				m |= 1 << k
			}
			if col := 32*c - pw + 2 + k; col >= 0 && col < iw {
				m |= 1 << (32 + k)
			}
		}
		for i := 0; i < 16 && 16*c+i < ow; i++ {
			st |= 1 << i
		}
		s.masks = append(s.masks, m, st)
	}
	return s
}

// plane writes one output plane (OH×OW) from its input plane x (IH×IW)
// and its nine weights.
func (s *dwS2) plane(p *conv.Problem, out, x, w []float32, bias float32) {
	OH, OW, IH, IW := p.O[1], p.O[2], p.I[1], p.I[2]
	hit(pathDwS2)
	hitIf(OW%16 != 0, pathDwS2Tail)
	out, x, w = out[:OH*OW], x[:IH*IW], w[:9]
	if !hasMultiTapAsm {
		dwS2PlaneGo(out, OW, OH, x, IW, IH, p.PBegin[1], p.PBegin[2], w, bias)
		return
	}
	dwS2PlaneAVX512(&out[0], OW, OH, &x[0], IW, IH, p.PBegin[1], p.PBegin[2], &s.zero[0], &s.masks[0], s.chunks, &w[0], bias)
}

// dwS2PlaneGo is dwS2PlaneAVX512 in Go: each output the bias, then the
// taps inside the input in (kh, kw) order (those outside are padding).
func dwS2PlaneGo(out []float32, ow, oh int, x []float32, iw, ih, ph, pw int, w []float32, bias float32) {
	for r := 0; r < oh; r++ {
		o := out[r*ow : (r+1)*ow]
		fill(o, bias)
		for kh := 0; kh < 3; kh++ {
			y := 2*r - ph + kh
			if y < 0 || y >= ih {
				continue
			}
			row := x[y*iw : (y+1)*iw]
			for kw := 0; kw < 3; kw++ {
				wv := w[3*kh+kw]
				for i := range o {
					if col := 2*i - pw + kw; col >= 0 && col < iw {
						o[i] += wv * row[col]
					}
				}
			}
		}
	}
}
