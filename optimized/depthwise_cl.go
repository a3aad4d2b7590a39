package optimized

import "github.com/convverify/convverify/conv"

// dwLanes is the channel block of the channels-last depthwise path: one
// AVX-512 vector of float32s.
const dwLanes = 16

// dwCL is depthwise's channels-last path for a plane (rank ≤ 2) whose rows
// are too short for the row kernel to fill its vectors (a 7×7 or 14×14
// plane gives 7 or 14 outputs a row for a 32-lane pass and pays a call, a
// window copy and a few counters per channel). A task is one image and a
// block of up to dwLanes input channels, which sit in the vector lanes:
//
//   - pack: the block's input planes go to a channels-last padded buffer,
//     position (y, x) of the padded plane (input (y − PH, x − PW)) at
//     phase (y mod SH, x mod SW), slot (y div SH, x div SW) of a phase
//     plane of hq × pq positions, 16 floats each, one lane a channel. The
//     slots that hold input are listed once (packDst, per input position); the rest
//     are padding and stay zero (the buffer is zero when made and every
//     run writes the same slots).
//   - compute: output (oh, ow) is flat position i = oh·pq + ow of the phase
//     planes, and tap (kh, kw) reads i + offs[t] (phase of kh·DH and kw·DW,
//     slot shift (kh·DH div SH)·pq + kw·DW div SW), so the kernel is a
//     one-dimensional multi-tap over i < n = (OH − 1)·pq + OW with a
//     16-channel weight vector per tap: acc = bias, then acc += w[t]·x for
//     the taps in (kh, kw) order, one fused multiply-add each, the order of
//     the row kernel (depthwise's comment), so BoundC = 1 and the results
//     match the row path bit for bit. Positions with ow ≥ OW (pq − OW of
//     every pq) are computed and thrown away: ow + kw·DW div SW < pq keeps
//     every read inside its row of the phase plane, and the slots past the
//     plane's last row are never read (i < n).
//   - unpack: the OH·OW wanted positions go back to the output planes.
//
// The block, the flat length and the order are fixed by p alone, so the
// results do not depend on the workers.
type dwCL struct {
	hq, pq, phases int
	n              int     // flat output positions
	offs           []int   // per tap, in floats
	packDst        []int32 // per input position ih·IW + iw: its slot (floats), −1 if no tap reads it
	unpackSrc      []int32 // per output position oh·OW + ow: its flat slot (floats)
	blocks         int
	w, b           []float32 // [block][o][tap][16], [block][o][16]
	in, tmp        [][]float32
}

// dwUseCL says whether depthwise takes the channels-last path on p: rank ≤ 2
// and a rough cycle estimate per channel lower than the row path's. The row
// path pays per channel a task and a window copy (≈ 200 cycles) and per
// output row a call and a row copy (≈ 15) plus taps × vectors / 2 (two
// fused multiply-adds a cycle; a row of n ≤ 32 takes two masked vectors,
// ≤ 63 four, longer ones four per 64); the channels-last path pays per
// block the same task overhead, taps × n / 2 for the flat outputs and
// about 70 cycles per 16×16 transpose of the pack and unpack, shared by
// the block's channels. The padded buffer must also stay within L2.
func dwUseCL(p *conv.Problem) bool {
	if p.Rank > 2 || p.I[0] != 1 || p.O[0] != 1 {
		return false
	}
	OH, OW := p.O[1], p.O[2]
	taps := p.Taps()
	hq, pq, phases := dwCLGeometry(p)
	if phases*hq*pq*dwLanes*4 > 512<<10 {
		return false
	}
	vr := 2
	switch {
	case OW > 63:
		vr = OW / 64 * 4
		if OW%64 > 32 {
			vr += 4
		} else if OW%64 > 0 {
			vr += 2
		}
	case OW > 32:
		vr = 4
	}
	mult := p.OCG()
	rows := 200 + OH*(15+mult*taps*vr/2)
	n := (OH-1)*pq + OW
	isp, osp := p.I[1]*p.I[2], OH*OW
	blocks := ceilDiv(p.G, dwLanes)
	perBlock := 200 + mult*taps*n/2 + 70*(ceilDiv(isp, 16)+mult*ceilDiv(osp, 16))
	// the channels of a block share its cost
	return perBlock*blocks < rows*p.G
}

// dwCLGeometry is the phase planes' size: hq rows of pq positions, SH·SW
// phases. Flat output i reads slots up to i + (KH−1)·DH div SH rows and
// (KW−1)·DW div SW columns further.
func dwCLGeometry(p *conv.Problem) (hq, pq, phases int) {
	hq = p.O[1] + (p.ExtK(1)-1)/p.S[1]
	pq = p.O[2] + (p.ExtK(2)-1)/p.S[2]
	return hq, pq, p.S[1] * p.S[2]
}

func newDwCL(ex *executor, p *conv.Problem, w, b []float32) *dwCL {
	SH, SW, DH, DW := p.S[1], p.S[2], p.Dil[1], p.Dil[2]
	PH, PW := p.PBegin[1], p.PBegin[2]
	IH, IW, OH, OW := p.I[1], p.I[2], p.O[1], p.O[2]
	d := &dwCL{}
	d.hq, d.pq, d.phases = dwCLGeometry(p)
	plane := d.hq * d.pq
	d.n = (OH-1)*d.pq + OW
	for kh := 0; kh < p.K[1]; kh++ {
		for kw := 0; kw < p.K[2]; kw++ {
			y, x := kh*DH, kw*DW
			d.offs = append(d.offs, ((y%SH*SW+x%SW)*plane+y/SH*d.pq+x/SW)*dwLanes)
		}
	}
	for ih := 0; ih < IH; ih++ {
		for iw := 0; iw < IW; iw++ {
			y, x := ih+PH, iw+PW
			slot := int32(-1) // read by no tap
			if y >= 0 && x >= 0 && y/SH < d.hq && x/SW < d.pq {
				slot = int32(((y%SH*SW+x%SW)*plane + y/SH*d.pq + x/SW) * dwLanes)
			}
			d.packDst = append(d.packDst, slot)
		}
	}
	for oh := 0; oh < OH; oh++ {
		for ow := 0; ow < OW; ow++ {
			d.unpackSrc = append(d.unpackSrc, int32((oh*d.pq+ow)*dwLanes))
		}
	}
	mult, taps := p.OCG(), p.Taps()
	d.blocks = ceilDiv(p.G, dwLanes)
	d.w = make([]float32, d.blocks*mult*taps*dwLanes)
	d.b = make([]float32, d.blocks*mult*dwLanes)
	for g := 0; g < p.G; g++ {
		blk, c := g/dwLanes, g%dwLanes
		for o := 0; o < mult; o++ {
			oc := g*mult + o
			if b != nil {
				d.b[(blk*mult+o)*dwLanes+c] = b[oc]
			}
			for t := 0; t < taps; t++ {
				d.w[((blk*mult+o)*taps+t)*dwLanes+c] = w[oc*taps+t]
			}
		}
	}
	d.in = ex.perWorkerZero(d.phases*plane*dwLanes + vecAlign)
	d.tmp = ex.perWorker(d.n*dwLanes + vecAlign)
	return d
}

// task computes block blk of image n.
func (d *dwCL) task(p *conv.Problem, x, out []float32, wk, n, blk int) {
	hit(pathDwCL)
	mult, taps := p.OCG(), p.Taps()
	isp, osp := p.I[1]*p.I[2], p.O[1]*p.O[2]
	g0 := blk * dwLanes
	nc := min(dwLanes, p.G-g0)
	hitIf(nc < dwLanes, pathDwCLChanRem)
	hitIf(mult > 1, pathDwMultiplier)
	hitIf(d.phases > 1, pathDwCLPhases)
	hitIf(d.n < dwCLUnroll, pathDwCLShort)
	in, tmp := alignVec(d.in[wk]), alignVec(d.tmp[wk])
	dwPack(in, x[(n*p.IC+g0)*isp:(n*p.IC+g0+nc)*isp], isp, nc, d.packDst, d.phases*d.hq*d.pq*dwLanes)
	for o := 0; o < mult; o++ {
		wb := (blk*mult + o) * taps * dwLanes
		bb := (blk*mult + o) * dwLanes
		dwTaps(tmp, d.n, in, d.offs, d.w[wb:wb+taps*dwLanes], d.b[bb:bb+dwLanes])
		// output channel (g0 + c)·mult + o of image n, c < nc
		first := (n*p.OC + g0*mult + o) * osp
		dwUnpack(out[first:first+((nc-1)*mult)*osp+osp], tmp, osp, mult*osp, nc, d.unpackSrc, d.n*dwLanes)
	}
}

// dwCLUnroll is the flat outputs per pass of the channels-last kernel.
const dwCLUnroll = 8

// dwTaps sets out[i·16 + c] = b[c] + Σ_t w[t·16 + c]·in[i·16 + offs[t] + c]
// for i < n, c < 16, adding the taps in order.
func dwTaps(out []float32, n int, in []float32, offs []int, w, b []float32) {
	if n <= 0 {
		return
	}
	taps := len(offs)
	_ = out[n*dwLanes-1]
	_ = w[taps*dwLanes-1]
	_ = b[dwLanes-1]
	span := 0
	for _, o := range offs {
		if o < 0 {
			panic("optimized: negative channels-last tap offset")
		}
		span = max(span, o)
	}
	_ = in[(n-1)*dwLanes+span+dwLanes-1]
	if hasMultiTapAsm {
		dwTapsAVX512(&out[0], n, &in[0], &offs[0], taps, &w[0], &b[0])
		return
	}
	dwTapsGo(out, n, in, offs, w, b)
}

func dwTapsGo(out []float32, n int, in []float32, offs []int, w, b []float32) {
	for i := 0; i < n; i++ {
		acc := (*[dwLanes]float32)(out[i*dwLanes:])
		*acc = [dwLanes]float32(b)
		for t, o := range offs {
			x := (*[dwLanes]float32)(in[i*dwLanes+o:])
			wt := (*[dwLanes]float32)(w[t*dwLanes:])
			for c := range acc {
				acc[c] += wt[c] * x[c]
			}
		}
	}
}

// dwPack writes lane c < nc of slot dst[s] of buf from x[c·isp + s], for
// the input positions s with dst[s] ≥ 0 (lanes ≥ nc get arbitrary values);
// hi bounds the slots' ends: dst[s] + 16 ≤ hi, and every dst[s] ≥ −1.
func dwPack(buf, x []float32, isp, nc int, dst []int32, hi int) {
	_ = x[nc*isp-1]
	_ = dst[isp-1]
	if hasMultiTapAsm {
		_ = buf[hi-1]
		var off [dwLanes]int
		for c := range off {
			off[c] = min(c, nc-1) * isp * 4
		}
		dwPackAVX512(&buf[0], &x[0], &off[0], isp, &dst[0])
		return
	}
	for c := 0; c < nc; c++ {
		xc := x[c*isp : (c+1)*isp]
		for s, k := range dst[:isp] {
			if k >= 0 {
				buf[int(k)+c] = xc[s]
			}
		}
	}
}

// dwUnpack writes out[c·ldc + s] = tmp[src[s] + c] for c < nc and every
// output position s < osp; 0 ≤ src[s] and src[s] + 16 ≤ hi.
func dwUnpack(out, tmp []float32, osp, ldc, nc int, src []int32, hi int) {
	_ = out[(nc-1)*ldc+osp-1]
	_ = src[osp-1]
	if hasMultiTapAsm {
		_ = tmp[hi-1]
		var off [dwLanes]int
		for c := range off {
			off[c] = min(c, nc-1) * ldc * 4
		}
		dwUnpackAVX512(&out[0], &tmp[0], &off[0], nc, osp, &src[0])
		return
	}
	for c := 0; c < nc; c++ {
		oc := out[c*ldc : c*ldc+osp]
		for s, k := range src[:osp] {
			oc[s] = tmp[int(k)+c]
		}
	}
}
