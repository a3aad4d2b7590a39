package optimized

// split2 is the width-stride-2 row split of a paddedVolume: padded column
// j = PW + iw goes to phase j mod 2, slot j div 2. Every row writes the same
// pair slots [qa, qb): pair q holds padded columns 2q and 2q + 1, input
// columns s = soff + 2(q − qa) and s + 1 (soff = 2qa − PW ∈ {−1, 0}); a
// column outside [0, IW) is padding and gets a zero.
type split2 struct {
	qa, qb, soff int
	// masks[c] for chunk c of 16 pairs: bits 0–31 the source lanes inside
	// [0, IW), bits 32–47 the pairs below qb (see deinterleave2Rows).
	masks []uint64
}

func newSplit2(pw, iw int) split2 {
	qa, qb := pw/2, (pw+iw+1)/2
	s := split2{qa: qa, qb: qb, soff: 2*qa - pw}
	for c := 0; 16*c < qb-qa; c++ {
		var m uint64
		for k := 0; k < 32; k++ {
			if src := s.soff + 32*c + k; src >= 0 && src < iw {
				m |= 1 << k
			}
		}
		for k := 0; k < 16 && 16*c+k < qb-qa; k++ {
			m |= 1 << (32 + k)
		}
		s.masks = append(s.masks, m)
	}
	return s
}

// rows splits rows input rows of len iw (src, row r at r·iw) into padded
// rows (dst, row r at r·ldd, phase 1 ph after phase 0): one call per plane,
// the copy being the whole overhead of a stride-2 depthwise layer.
func (s split2) rows(dst []float32, ph, ldd int, src []float32, iw, rows int) {
	s.rowsStrided(dst, ph, ldd, src, iw, iw, rows)
}

// rowsStrided is rows with the input rows lds apart (lds ≥ iw): the
// blocked planes' fill at height stride SH takes every SH-th input row
// into one phase plane.
func (s split2) rowsStrided(dst []float32, ph, ldd int, src []float32, iw, lds, rows int) {
	if rows == 0 || s.qb == s.qa {
		return
	}
	_ = dst[(rows-1)*ldd+ph+s.qb-1]
	_ = src[(rows-1)*lds+iw-1]
	if hasMultiTapAsm {
		deinterleave2Rows(&dst[s.qa], ph, ldd, &src[0], s.soff, lds, rows, &s.masks[0], len(s.masks))
		return
	}
	for r := 0; r < rows; r++ {
		d, x := dst[r*ldd:], src[r*lds:r*lds+iw]
		at := func(i int) float32 {
			if i < 0 || i >= iw {
				return 0
			}
			return x[i]
		}
		q, i := s.qa, s.soff
		for ; q < s.qb && i < 0; q, i = q+1, i+2 {
			d[q], d[ph+q] = at(i), at(i+1)
		}
		// the pairs wholly inside the row without a test per element: a
		// closure call per element was 70% of a stride-2 depthwise
		// layer's time on an AVX2 machine, before dw3x3 had its AVX2
		// stride-2 kernel (the loop still fills every stride-2 padded
		// volume there)
		if n := min(s.qb-q, (iw-i)/2); n > 0 {
			deinterleave2(d[q:q+n], d[ph+q:ph+q+n], x[i:i+2*n])
			q, i = q+n, i+2*n
		}
		for ; q < s.qb; q, i = q+1, i+2 {
			d[q], d[ph+q] = at(i), at(i+1)
		}
	}
}

// deinterleave2 sets even[j] = src[2j] and odd[j] = src[2j + 1] for j <
// len(even) (len(odd) = len(even), len(src) = 2·len(even)): with AVX2,
// eight pairs a step (deinterleave2AVX2) and the last eight again where n
// is not a multiple of 8 (they rewrite the values they overlap); in Go
// without AVX2 or under eight pairs.
func deinterleave2(even, odd, src []float32) {
	n := len(even)
	odd, src = odd[:n], src[:2*n]
	j := 0
	if hasDeinterleaveAVX2 && n >= 8 {
		deinterleave2AVX2(&even[0], &odd[0], &src[0], n&^7)
		if j = n; n%8 != 0 {
			// the last 8 pairs again, overlapping: the same values
			deinterleave2AVX2(&even[n-8], &odd[n-8], &src[2*n-16], 8)
		}
	}
	for ; j < n; j++ {
		even[j], odd[j] = src[2*j], src[2*j+1]
	}
}

// copyRows1 copies rows rows of n floats, src row r at r·lds to dst row r
// at r·ldd (the padded rows of width stride 1): one assembly call for all
// rows where there is one, else a copy per row.
func copyRows1(dst []float32, ldd int, src []float32, lds, n, rows int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = dst[(rows-1)*ldd+n-1]
	_ = src[(rows-1)*lds+n-1]
	if hasMultiTapAsm {
		copyRowsAVX512(&dst[0], ldd, &src[0], lds, n, rows)
		return
	}
	for r := 0; r < rows; r++ {
		copy(dst[r*ldd:r*ldd+n], src[r*lds:r*lds+n])
	}
}

// scatter2Rows sets dst[r·ldd + 2i] = src[r·lds + i] for r < rows, i < n,
// leaving the odd elements between untouched: the store of a width-stride-2
// sub-pixel phase of deconv-blocked, whose neighbour phase fills the odd
// ones. One assembly call for all rows where there is one (an expand into
// the even lanes and a masked store per 8 floats), else a scalar loop,
// which was 16% of the stride-2 2D deconv layer's time.
func scatter2Rows(dst []float32, ldd int, src []float32, lds, n, rows int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = dst[(rows-1)*ldd+2*(n-1)]
	_ = src[(rows-1)*lds+n-1]
	if hasMultiTapAsm {
		scatter2RowsAVX512(&dst[0], ldd, &src[0], lds, n, rows)
		return
	}
	for r := 0; r < rows; r++ {
		d, s := dst[r*ldd:], src[r*lds:r*lds+n]
		for i, v := range s {
			d[2*i] = v
		}
	}
}

// zip2Rows sets dst[r·ldd + 2i] = a[r·lds + i] and dst[r·ldd + 2i + 1] =
// b[r·lds + i] for r < rows, i < n: the store of two width-stride-2
// sub-pixel phases of deconv-rows at once, whose outputs alternate along
// a row. One assembly call for all rows where there is one (two permutes
// and two whole stores per 16 floats of each), else a scalar loop; each
// output line is then written once, by whole stores, instead of once a
// phase by masked ones (scatter2Rows).
func zip2Rows(dst []float32, ldd int, a, b []float32, lds, n, rows int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = dst[(rows-1)*ldd+2*n-1]
	_ = a[(rows-1)*lds+n-1]
	_ = b[(rows-1)*lds+n-1]
	if hasMultiTapAsm {
		zip2RowsAVX512(&dst[0], ldd, &a[0], &b[0], lds, n, rows)
		return
	}
	for r := 0; r < rows; r++ {
		d, x, y := dst[r*ldd:r*ldd+2*n], a[r*lds:r*lds+n], b[r*lds:r*lds+n]
		for i := range x {
			d[2*i], d[2*i+1] = x[i], y[i]
		}
	}
}

// gather2Rows sets dst[r·ldd + i] = src[r·lds + 2i] for r < rows, i < n:
// the phase-plane fill of a conv whose width stride is 2 where only one
// width phase is read (a 1×1 stride-2 layer). One assembly call for all
// rows where there is one (two loads, a permute of the even lanes and a
// store per 16 floats), else a scalar loop, which one element at a time
// was 40% of ResNet-50's 1×1 stride-2 512→256 at 28² on direct-rows.
func gather2Rows(dst []float32, ldd int, src []float32, lds, n, rows int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = dst[(rows-1)*ldd+n-1]
	_ = src[(rows-1)*lds+2*(n-1)]
	if hasMultiTapAsm {
		gather2RowsAVX512(&dst[0], ldd, &src[0], lds, n, rows)
		return
	}
	for r := 0; r < rows; r++ {
		d, s := dst[r*ldd:r*ldd+n], src[r*lds:]
		for i := range d {
			d[i] = s[2*i]
		}
	}
}

// spreadRows writes rows rows of n floats, src row r at r·lds, to dst row
// r at r·ldd with its elements stride apart (a deconvolution phase's
// outputs): copies at stride 1, scatter2Rows at 2, a loop otherwise; the
// elements between are untouched.
func spreadRows(dst []float32, ldd int, src []float32, lds, n, rows, stride int) {
	switch stride {
	case 1:
		for r := 0; r < rows; r++ {
			copy(dst[r*ldd:r*ldd+n], src[r*lds:r*lds+n])
		}
	case 2:
		scatter2Rows(dst, ldd, src, lds, n, rows)
	default:
		for r := 0; r < rows; r++ {
			d := dst[r*ldd:]
			for i, v := range src[r*lds : r*lds+n] {
				d[i*stride] = v
			}
		}
	}
}
