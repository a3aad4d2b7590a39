package optimized

import "github.com/convverify/convverify/conv"

// paddedVolume is one channel's input with its padding written out as zeros
// on every axis, so that every tap of every output row reads in bounds:
// input (id, ih, iw) sits at padded (PD + id, PH + ih, PW + iw) and output
// (od, oh, ow)'s tap (kd, kh, kw) reads padded (od·SD + kd·DD, oh·SH + kh·DH,
// ow·SW + kw·DW).
//
// Each padded row is stored in SW phases of ph elements: padded column j at
// (j mod SW)·ph + j div SW. A tap's reads for consecutive outputs ow are then
// consecutive, ow + kw·DW div SW in phase kw·DW mod SW, so the row kernel
// runs contiguous at any width stride (SW = 1 is the plain padded row).
type paddedVolume struct {
	dp, hp int
	sw, ph int // width stride and phase length
	wp     int // stored row length sw·ph
	// span[r] = [lo, hi): the slots of phase r that hold input columns,
	// the same for every row (computed once: a division per row and phase
	// costs as much as the row's copy)
	span [][2]int
	s2   split2 // at SW = 2
}

func newPaddedVolume(p *conv.Problem) paddedVolume {
	ext := func(a int) int { return max((p.O[a]-1)*p.S[a]+p.ExtK(a), p.PBegin[a]+p.I[a]) }
	sw := p.S[2]
	// ph ≥ OW + (ExtKW−1) div SW: a tap's last read stays inside its phase.
	ph := ceilDiv(ext(2), sw)
	pw, IW := p.PBegin[2], p.I[2]
	span := make([][2]int, sw)
	for r := range span {
		qlo, qhi := 0, 0
		if pw > r {
			qlo = ceilDiv(pw-r, sw)
		}
		if last := pw + IW - 1 - r; last >= 0 {
			qhi = last/sw + 1
		}
		// pw + IW ≤ SW·ph, so qhi ≤ ph
		span[r] = [2]int{qlo, max(qlo, qhi)}
	}
	v := paddedVolume{dp: ext(0), hp: ext(1), sw: sw, ph: ph, wp: sw * ph, span: span}
	if sw == 2 {
		v.s2 = newSplit2(pw, IW)
	}
	return v
}

// alignRows rounds the phase length up to a whole number of 16-float
// vectors, so that in a 64-byte-aligned buffer every padded row and phase
// starts on a cache line: the row kernel's loads for taps with kw·DW < SW
// (two of three at 3×3 stride 2) and the row split's stores (PW ≤ 1) then
// straddle no line.
func (v paddedVolume) alignRows() paddedVolume {
	v.ph = (v.ph + vecAlign - 1) / vecAlign * vecAlign
	v.wp = v.sw * v.ph
	return v
}

func (v paddedVolume) size() int { return v.dp * v.hp * v.wp }

// fill copies one channel x [ID, IH, IW] into dst (v.size() floats). It
// writes only the slots that hold input (and, at width stride 2, the odd
// padding slot of a pair): the rest of dst must already be zero, as it is
// in a fresh buffer or one this volume filled before. Padding is the same
// for every channel, so a reused buffer is cleared once, not per channel.
func (v paddedVolume) fill(p *conv.Problem, x, dst []float32) {
	for id := 0; id < p.I[0]; id++ {
		v.fillRows(p, x, dst, id, 0, p.I[1])
	}
}

// fillRows is fill restricted to input rows [ih0, ih1) of depth id.
func (v paddedVolume) fillRows(p *conv.Problem, x, dst []float32, id, ih0, ih1 int) {
	if ih1 <= ih0 {
		return
	}
	pd, ph := p.PBegin[0], p.PBegin[1]
	v.copyRows(p, dst[((pd+id)*v.hp+ph+ih0)*v.wp:], x[(id*p.I[1]+ih0)*p.I[2]:], ih1-ih0)
}

// copyRows writes rows input rows (src, IW apart) into padded rows (dst,
// wp apart), data slots only (see fill).
func (v paddedVolume) copyRows(p *conv.Problem, dst, src []float32, rows int) {
	IW, pw := p.I[2], p.PBegin[2]
	switch v.sw {
	case 1:
		hit(pathPadStride1)
		for r := 0; r < rows; r++ {
			copy(dst[r*v.wp+pw:r*v.wp+pw+IW], src[r*IW:(r+1)*IW])
		}
	case 2:
		hit(pathPadSplit2)
		hitIf(v.s2.soff != 0, pathPadSplit2Odd)
		v.s2.rows(dst, v.ph, v.wp, src, IW, rows)
	default:
		hit(pathPadSplitN)
		// phase r holds padded columns j = q·SW + r, input iw = j − PW
		for ih := 0; ih < rows; ih++ {
			row, in := dst[ih*v.wp:(ih+1)*v.wp], src[ih*IW:(ih+1)*IW]
			for r, sp := range v.span {
				slot := row[r*v.ph : (r+1)*v.ph]
				for q, iw := sp[0], sp[0]*v.sw+r-pw; q < sp[1]; q, iw = q+1, iw+v.sw {
					slot[q] = in[iw]
				}
			}
		}
	}
}

// rowBase is the offset of output row (od, oh)'s first tap in a padded channel.
func (v paddedVolume) rowBase(p *conv.Problem, od, oh int) int {
	return (od*p.S[0]*v.hp + oh*p.S[1]) * v.wp
}

// tapOffsets lists, for channels 0..channels−1 of consecutive padded volumes,
// each tap's offset from the row base in (c, kd, kh, kw) order, the order of
// the weights [c][kd][kh][kw].
func (v paddedVolume) tapOffsets(p *conv.Problem, channels int) []int {
	var offs []int
	for c := 0; c < channels; c++ {
		for kd := 0; kd < p.K[0]; kd++ {
			for kh := 0; kh < p.K[1]; kh++ {
				for kw := 0; kw < p.K[2]; kw++ {
					j := kw * p.Dil[2]
					offs = append(offs, c*v.size()+(kd*p.Dil[0]*v.hp+kh*p.Dil[1])*v.wp+(j%v.sw)*v.ph+j/v.sw)
				}
			}
		}
	}
	return offs
}
