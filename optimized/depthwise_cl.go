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
//     slot of every input position is listed once (packDst; a position no
//     tap reads goes to a spare slot after the planes); the other slots are
//     padding and stay zero (the buffer is zero when made and every run
//     writes the same slots).
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
	packDst        []int32 // per input position ih·IW + iw: its slot (floats), the spare one if no tap reads it (dwChoose's 128 KiB bound keeps slots far inside int32)
	unpackSrc      []int32 // per output position oh·OW + ow: its flat slot (floats)
	blocks         int
	w, b           []float32 // [block][o][tap][16], [block][o][16]
	in, tmp        [][]float32
}

// dwPath is the path depthwise takes for a problem.
type dwPath int

const (
	dwRowsPath dwPath = iota // rows of one channel through the row kernel (depthwisePlane), or the 3D volume
	dwCLPath                 // channels-last blocks (dwCL)
)

// dwChoose picks depthwise's path for p by an estimate of the cycles each
// would take, in units of one vector fused multiply-add (≈ 1.15 cycles
// measured in the kernels; the other constants are measured cycles,
// rounded, on planes from 7×7 to 112×112):
//
//   - rows: per channel ≈ 100, per output row ≈ 100 (its share of a window
//     copy, a row copy, a kernel call) plus taps × vectors per output
//     channel (a row of n ≤ 32 outputs takes two masked vectors, ≤ 63
//     four, longer ones four per 64); on the 3×3 path from the input rows
//     (dw3x3) ≈ 20 per output row plus taps × ⌈n/16⌉ × stride;
//   - channels-last (rank ≤ 2, its buffer within 128 KiB: with the block's
//     input and output planes and flat outputs, a working set that stays
//     in L2; larger planes measured no faster than rows): per block of 16
//     channels the task (≈ 200), taps × n per output channel and ≈ 150 per
//     16×16 transpose of the pack (input positions) and unpack (output
//     positions).
//
// Small planes go channels-last (a channel's row overheads outweigh its
// arithmetic; the transposes are shared by 16 channels), large ones by
// rows. The estimate depends on the shape alone, never on the workers.
func dwChoose(p *conv.Problem) dwPath {
	if p.Rank > 2 || p.I[0] != 1 || p.O[0] != 1 || !dwOwnKernels() {
		return dwRowsPath
	}
	OH, OW := p.O[1], p.O[2]
	taps, mult := p.Taps(), p.OCG()
	hq, pq, phases := dwCLGeometry(p)
	if phases*hq*pq*dwLanes*4 > 128<<10 {
		return dwRowsPath
	}
	n := (OH-1)*pq + OW
	vecs := 2 // the row kernel's vectors for a row of OW outputs
	switch r := OW % 64; {
	case r > 32:
		vecs = OW/64*4 + 4
	case r > 0:
		vecs = OW/64*4 + 2
	default:
		vecs = OW / 64 * 4
	}
	const fma = 115 // hundredths of a cycle per vector multiply-add
	rows := (100 + OH*(100+fma*mult*taps*vecs/100)) * p.G
	if dw3x3Applies(p) {
		// from the input rows: no window copy, ≈ 20 a row, a vector per
		// 16 outputs and tap, twice the loads and a permute per two
		// vectors at stride 2 (measured on 28² and 14² planes of either
		// stride, and 7²: it beat channels-last by 1.13 on the 28² ones)
		rows = (100 + OH*(20+fma*taps*ceilDiv(OW, 16)*p.S[2]/100)) * p.G
	}
	isp, osp := p.I[1]*p.I[2], OH*OW
	cl := (200 + fma*mult*taps*n/100 + 150*(ceilDiv(isp, 16)+mult*ceilDiv(osp, 16))) * ceilDiv(p.G, dwLanes)
	if cl < rows {
		return dwCLPath
	}
	return dwRowsPath
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
			slot := int32(d.phases * plane * dwLanes) // read by no tap: the spare slot
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
	d.in = ex.perWorkerZero((d.phases*plane+1)*dwLanes + vecAlign)
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
	dwPack(in, x[(n*p.IC+g0)*isp:(n*p.IC+g0+nc)*isp], isp, nc, d.packDst, (d.phases*d.hq*d.pq+1)*dwLanes)
	for o := 0; o < mult; o++ {
		wb := (blk*mult + o) * taps * dwLanes
		bb := (blk*mult + o) * dwLanes
		dwTaps(tmp, d.n, in, d.offs, d.w[wb:wb+taps*dwLanes], d.b[bb:bb+dwLanes])
		// output channel (g0 + c)·mult + o of image n, c < nc
		first := (n*p.OC + g0*mult + o) * osp
		dwUnpack(out[first:first+((nc-1)*mult)*osp+osp], tmp, osp, mult*osp, nc, d.unpackSrc, d.n*dwLanes)
	}
}

// dwCLUnroll is the narrowest pass of the channels-last kernel (passes of
// 16 then 8 outputs): fewer flat outputs go one at a time.
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
// every input position s (lanes ≥ nc get arbitrary values); hi bounds the
// slots: 0 ≤ dst[s] and dst[s] + 16 ≤ hi.
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
			buf[int(k)+c] = xc[s]
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
