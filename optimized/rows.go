package optimized

import "convverify/conv"

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
}

func newPaddedVolume(p *conv.Problem) paddedVolume {
	ext := func(a int) int { return max((p.O[a]-1)*p.S[a]+p.ExtK(a), p.PBegin[a]+p.I[a]) }
	sw := p.S[2]
	// ph ≥ OW + (ExtKW−1) div SW: a tap's last read stays inside its phase.
	ph := ceilDiv(ext(2), sw)
	return paddedVolume{dp: ext(0), hp: ext(1), sw: sw, ph: ph, wp: sw * ph}
}

func (v paddedVolume) size() int { return v.dp * v.hp * v.wp }

// fill copies one channel x [ID, IH, IW] into dst (v.size() floats),
// zeroing only what lies outside the copied rows.
func (v paddedVolume) fill(p *conv.Problem, x, dst []float32) {
	IH, IW := p.I[1], p.I[2]
	pd, ph, pw := p.PBegin[0], p.PBegin[1], p.PBegin[2]
	plane := v.hp * v.wp
	clear(dst[:pd*plane])
	clear(dst[(pd+p.I[0])*plane:])
	for id := 0; id < p.I[0]; id++ {
		pl := dst[(pd+id)*plane : (pd+id+1)*plane]
		clear(pl[:ph*v.wp])
		clear(pl[(ph+IH)*v.wp:])
		for ih := 0; ih < IH; ih++ {
			row := pl[(ph+ih)*v.wp : (ph+ih+1)*v.wp]
			src := x[(id*IH+ih)*IW : (id*IH+ih+1)*IW]
			if v.sw == 1 {
				clear(row[:pw])
				copy(row[pw:pw+IW], src)
				clear(row[pw+IW:])
				continue
			}
			if v.sw == 2 {
				v.deinterleave2(row, src, pw)
				continue
			}
			// phase r holds padded columns j = q·SW + r, input iw = j − PW
			for r := 0; r < v.sw; r++ {
				slot := row[r*v.ph : (r+1)*v.ph]
				qlo, qhi := 0, 0
				if pw > r {
					qlo = ceilDiv(pw-r, v.sw)
				}
				if last := pw + IW - 1 - r; last >= 0 {
					qhi = last/v.sw + 1
				}
				qlo, qhi = min(qlo, v.ph), min(qhi, v.ph)
				if qhi < qlo {
					qhi = qlo
				}
				clear(slot[:qlo])
				for q, iw := qlo, qlo*v.sw+r-pw; q < qhi; q, iw = q+1, iw+v.sw {
					slot[q] = src[iw]
				}
				clear(slot[qhi:])
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

// deinterleave2 writes one input row into a padded row at width stride 2:
// padded column j = PW + iw goes to phase j mod 2, index j div 2; every other
// element of row is zero.
func (v paddedVolume) deinterleave2(row, src []float32, pw int) {
	clear(row)
	even, odd := row[:v.ph], row[v.ph:2*v.ph]
	j := pw
	if j&1 == 1 && len(src) > 0 {
		odd[j>>1] = src[0]
		src, j = src[1:], j+1
	}
	n := len(src) / 2
	e, o := even[j>>1:j>>1+n], odd[j>>1:j>>1+n]
	s := src[:2*n]
	for q := range e {
		e[q], o[q] = s[2*q], s[2*q+1]
	}
	if len(src)&1 == 1 {
		even[(j+2*n)>>1] = src[2*n]
	}
}
