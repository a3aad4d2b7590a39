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
			clear(row)
			for iw, val := range src {
				j := pw + iw
				row[(j%v.sw)*v.ph+j/v.sw] = val
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
