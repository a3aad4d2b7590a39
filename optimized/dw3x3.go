package optimized

import "github.com/convverify/convverify/conv"

// dw3x3 is depthwise's path for 3×3 undilated planes at stride 1 or 2 on
// both axes with one output channel per input channel (MobileNet's
// depthwise layers): dwS1PlaneAVX512 and dwS2PlaneAVX512 (dw3x3PlaneGo
// where they are not there) read the input rows themselves, stride 2
// splitting even and odd columns in registers, and ask for the next
// output row's new input rows as they go, so the plane is read once and
// never copied. The window copy of depthwisePlane, waiting on the input
// from L3 or memory, was most of such a layer's time at stride 2 and a
// third at stride 1; the kernels overlap that wait with their arithmetic.
// Paired ratios over the window path (interleaved calls, one worker):
// stride 2, 112² inputs 1.13–1.20, 224² 1.59, 111² 1.21, 56² 1.03, 28²
// 1.05, two workers at 112² 1.13; stride 1, 112² 1.24–1.29 (MobileNet's
// 32 and 96 channels), 224² 1.29, 56² 1.14, and on two workers 1.23–1.34
// at 112² and 224², 1.06 at 56². (28² and smaller planes mostly go
// channels-last, dwChoose.) On AVX2 machines stride 2 has its kernel,
// dwS2PlaneAVX2 (chunks of 8 outputs; see dw3x3AVX2): the benchmark's
// 64-channel layer from 112² went from about 4–7 GFLOP/s on the window
// path (the copy splitting even and odd columns, most of the time) to
// about 14, one worker.
// Each output is the bias plus the nine taps in (kh, kw) order, as on the
// window path, with the padding taps exact zeros.
type dw3x3 struct {
	stride int
	masks  []uint64  // per chunk of 16 outputs: the load lanes inside the row and the outputs to store (see the kernels)
	chunks int       // ⌈OW/16⌉
	zero   []float32 // IW zeros: the row of the taps outside the input's rows
	// at stride 2 and OW ≥ 8, per chunk of 8 outputs of dwS2PlaneAVX2 a
	// record of dw3x3AVX2Record int32s (see newDw3x3Width), and their number
	avx2   []int32
	avx2Ch int
}

// dw3x3AVX2Record is the int32s of a chunk's record for dwS2PlaneAVX2: its
// first output, 1 if its loads are masked, then four masks of 8 lanes.
const dw3x3AVX2Record = 34

// dw3x3AVX2 reports whether dw3x3 at stride s and OW outputs a row runs
// dwS2PlaneAVX2: stride 2, at least one chunk of 8 outputs, and the row
// kernel in use the AVX2 one (an AVX2 machine; the depthwise kernels
// follow it, so a test that switches it to Go runs dw3x3PlaneGo). At
// stride 1 the row path with multiTapAVX2 ran at about 30 GFLOP/s on the
// benchmark's 112² layer, and only stride 2 paid for the window copy.
func dw3x3AVX2(s, ow int) bool {
	return s == 2 && ow >= 8 && multiTapISA == multiTapAVX2ISA
}

// dw3x3Applies reports whether p takes dw3x3 on depthwise's rows path: a
// plane (rank ≤ 2), one input and one output channel a group, a 3×3
// undilated kernel, the same stride 1 or 2 on both axes, no negative
// begin padding.
func dw3x3Applies(p *conv.Problem) bool {
	return p.OCG() == 1 && p.ICG() == 1 && p.I[0] == 1 && p.O[0] == 1 && p.K[0] == 1 &&
		p.K[1] == 3 && p.K[2] == 3 && p.S[1] == p.S[2] && p.S[1] >= 1 && p.S[1] <= 2 &&
		p.Dil[1] == 1 && p.Dil[2] == 1 && p.PBegin[1] >= 0 && p.PBegin[2] >= 0
}

// newDw3x3 returns the path for p, or nil where it does not apply.
func newDw3x3(p *conv.Problem) *dw3x3 {
	if !dw3x3Applies(p) || !dwOwnKernels() && !dw3x3AVX2(p.S[1], p.O[2]) {
		return nil
	}
	return newDw3x3Width(p.S[1], p.I[2], p.O[2], p.PBegin[2])
}

// newDw3x3Width is dw3x3 at stride s for rows of iw inputs, ow outputs
// and begin padding pw.
func newDw3x3Width(s, iw, ow, pw int) *dw3x3 {
	d := &dw3x3{stride: s, chunks: ceilDiv(ow, 16), zero: make([]float32, iw)}
	in := func(col int) bool { return col >= 0 && col < iw }
	for c := 0; c < d.chunks; c++ {
		var st uint64
		for i := 0; i < 16 && 16*c+i < ow; i++ {
			st |= 1 << i
		}
		if s == 1 {
			// three loads from input column 16c − pw + kw
			m := st << 48
			for kw := 0; kw < 3; kw++ {
				for k := 0; k < 16; k++ {
					if in(16*c - pw + kw + k) {
						m |= 1 << (16*kw + k)
					}
				}
			}
			d.masks = append(d.masks, m)
			continue
		}
		// stride 2: two loads from input column 32c − pw (taps 0 and 1 of
		// the outputs, in pairs), two from 32c − pw + 2 (tap 2)
		var m uint64
		for k := 0; k < 32; k++ {
			if in(32*c - pw + k) {
				m |= 1 << k
			}
			if in(32*c - pw + 2 + k) {
				m |= 1 << (32 + k)
			}
		}
		d.masks = append(d.masks, m, st)
	}
	if s == 2 && ow >= 8 {
		// chunks of 8 from output i0 = 8c, the last from ow − 8; lane l of
		// the four loads reads column 2·i0 − pw + l, + 8, + 2, + 10
		d.avx2Ch = ceilDiv(ow, 8)
		for c := range d.avx2Ch {
			i0 := min(8*c, ow-8)
			rec := make([]int32, dw3x3AVX2Record)
			rec[0] = int32(i0)
			for j, shift := range [4]int{0, 8, 2, 10} {
				for l := range 8 {
					if in(2*i0 - pw + shift + l) {
						rec[2+8*j+l] = -1
					} else {
						rec[1] = 1
					}
				}
			}
			d.avx2 = append(d.avx2, rec...)
		}
	}
	return d
}

// plane writes one output plane (OH×OW) from its input plane x (IH×IW)
// and its nine weights.
func (d *dw3x3) plane(p *conv.Problem, out, x, w []float32, bias float32) {
	OH, OW, IH, IW := p.O[1], p.O[2], p.I[1], p.I[2]
	if d.stride == 1 {
		hit(pathDwS1)
		hitIf(OW%16 != 0, pathDwS1Tail)
	} else {
		hit(pathDwS2)
		hitIf(OW%16 != 0, pathDwS2Tail)
	}
	out, x, w = out[:OH*OW], x[:IH*IW], w[:9]
	switch {
	case !hasMultiTapAsm && dw3x3AVX2(d.stride, OW):
		dwS2PlaneAVX2(&out[0], OW, OH, &x[0], IW, IH, p.PBegin[1], p.PBegin[2], &d.zero[0], &d.avx2[0], d.avx2Ch, &w[0], bias)
	case !hasMultiTapAsm:
		dw3x3PlaneGo(d.stride, out, OW, OH, x, IW, IH, p.PBegin[1], p.PBegin[2], w, bias)
	case d.stride == 1:
		dwS1PlaneAVX512(&out[0], OW, OH, &x[0], IW, IH, p.PBegin[1], p.PBegin[2], &d.zero[0], &d.masks[0], d.chunks, &w[0], bias)
	default:
		dwS2PlaneAVX512(&out[0], OW, OH, &x[0], IW, IH, p.PBegin[1], p.PBegin[2], &d.zero[0], &d.masks[0], d.chunks, &w[0], bias)
	}
}

// dw3x3PlaneGo is the kernels in Go, at stride s: each output the bias,
// then the taps inside the input in (kh, kw) order (those outside are
// padding). Each tap's outputs whose column lies inside the row are one
// range [lo, hi), found once per tap rather than checked per output (at
// stride 1 an axpy over it): under noasm, against the window path's Go
// kernels, 0.93 at stride 1 and 0.98–1.06 at stride 2 (checked per
// output, 0.73 at stride 1).
func dw3x3PlaneGo(s int, out []float32, ow, oh int, x []float32, iw, ih, ph, pw int, w []float32, bias float32) {
	for r := 0; r < oh; r++ {
		o := out[r*ow : (r+1)*ow]
		fill(o, bias)
		for kh := 0; kh < 3; kh++ {
			y := s*r - ph + kh
			if y < 0 || y >= ih {
				continue
			}
			row := x[y*iw : (y+1)*iw]
			for kw := 0; kw < 3; kw++ {
				// output i reads column s·i − pw + kw, inside [0, iw) for
				// i in [lo, hi)
				off := kw - pw
				if iw-off <= 0 {
					continue
				}
				lo, hi := 0, min(ow, ceilDiv(iw-off, s))
				if off < 0 {
					lo = ceilDiv(-off, s)
				}
				if hi <= lo {
					continue
				}
				wv := w[3*kh+kw]
				if s == 1 {
					axpy(o[lo:hi], row[lo+off:], wv)
					continue
				}
				for i, j := lo, s*lo+off; i < hi; i, j = i+1, j+s {
					o[i] += wv * row[j]
				}
			}
		}
	}
}
