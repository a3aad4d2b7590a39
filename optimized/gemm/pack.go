package gemm

// packA copies A[ic:ic+mcur, pc:pc+kcur] into dst as ⌈mcur/mr⌉ panels; panel q
// holds, for p = 0…kcur−1, the mr values A[ic+q·mr+i, pc+p], rows past mcur as 0.
func packA(dst, a []float32, lda, ic, mcur, pc, kcur, mr int) []float32 {
	panels := (mcur + mr - 1) / mr
	dst = dst[:panels*kcur*mr]
	var rowBuf [maxMR][]float32
	for q := 0; q < panels; q++ {
		pan := dst[q*kcur*mr : (q+1)*kcur*mr]
		rows := rowBuf[:min(mr, mcur-q*mr)]
		for i := range rows {
			off := (ic+q*mr+i)*lda + pc
			rows[i] = a[off : off+kcur]
		}
		if len(rows) < mr {
			clear(pan)
		}
		p0 := 0
		if mr == 14 && len(rows) == 14 && packFull14 != nil && kcur >= 16 {
			chunks := kcur / 16
			off := (ic+q*mr)*lda + pc
			packFull14(chunks, a[off:], lda, pan)
			p0 = 16 * chunks
		}
		if mr == 48 && len(rows) == 48 && packFull48 != nil && kcur >= 16 {
			chunks := kcur / 16
			off := (ic+q*mr)*lda + pc
			packFull48(chunks, a[off:], lda, pan)
			p0 = 16 * chunks
		}
		// One cache line of each row at a time: rows lda apart may share an
		// L1 set (lda = 1024 puts them all in one), so a line must be used up
		// before the next row's line evicts it.
		for ; p0 < kcur; p0 += 16 {
			pe := min(p0+16, kcur)
			d := pan[p0*mr : pe*mr]
			i := 0
			for ; i+4 <= len(rows); i += 4 {
				r0 := rows[i][p0:pe]
				r1 := rows[i+1][p0:pe][:len(r0)]
				r2 := rows[i+2][p0:pe][:len(r0)]
				r3 := rows[i+3][p0:pe][:len(r0)]
				for p := range r0 {
					q := (*[4]float32)(d[p*mr+i:])
					q[0], q[1], q[2], q[3] = r0[p], r1[p], r2[p], r3[p]
				}
			}
			for ; i < len(rows); i++ {
				for p, v := range rows[i][p0:pe] {
					d[p*mr+i] = v
				}
			}
		}
	}
	return dst
}

// packFull14, when set, packs 16·chunks columns of a full 14-row panel
// (the AVX-512 kernel's) with an in-register transpose.
var packFull14 func(chunks int, src []float32, lda int, dst []float32)

// copy16, when set, copies rows rows of 16 floats, ldb apart in src, to
// consecutive 16-float rows of dst (packB's full 16-wide panels).
var copy16 func(rows int, src []float32, ldb int, dst []float32)

// copy48, when set, copies rows rows of 48 floats, ldb apart in src, to
// consecutive 48-float rows of dst (packB's full 48-wide panels).
var copy48 func(rows int, src []float32, ldb int, dst []float32)

// packFull48, when set, is packFull14 for a full 48-row panel (a transposed
// x48 tile's B side: 48 rows of A).
var packFull48 func(chunks int, src []float32, lda int, dst []float32)

// maxMR bounds the panel height packA makes: every kernel's MR, and the NR
// of every transposed tile (whose B panels are A's rows).
const maxMR = 48

// packB copies B[pc:pc+kcur, jc:jc+ncur] into dst as ⌈ncur/nr⌉ panels; panel q
// holds, for p = 0…kcur−1, the nr values B[pc+p, jc+q·nr+j], columns past ncur as 0.
func packB(dst, b []float32, ldb, pc, kcur, jc, ncur, nr int) []float32 {
	panels := (ncur + nr - 1) / nr
	dst = dst[:panels*kcur*nr]
	full := ncur / nr
	// A few rows of B at a time, across all panels: the reads run along B's
	// rows and each panel receives a contiguous run; whole-panel rows are
	// copied as fixed-size arrays (vector moves, no memmove call).
	const rowsPerStep = 8
	for p0 := 0; p0 < kcur; p0 += rowsPerStep {
		pe := min(p0+rowsPerStep, kcur)
		for q := 0; q < full; q++ {
			pan := dst[q*kcur*nr : (q+1)*kcur*nr]
			src := b[pc*ldb+jc+q*nr:]
			switch nr {
			case 32:
				for p := p0; p < pe; p++ {
					*(*[32]float32)(pan[p*32:]) = *(*[32]float32)(src[p*ldb:])
				}
			case 48:
				if copy48 != nil {
					copy48(pe-p0, src[p0*ldb:], ldb, pan[p0*48:])
					continue
				}
				for p := p0; p < pe; p++ {
					*(*[48]float32)(pan[p*48:]) = *(*[48]float32)(src[p*ldb:])
				}
			case 16:
				if copy16 != nil {
					copy16(pe-p0, src[p0*ldb:], ldb, pan[p0*16:])
					continue
				}
				for p := p0; p < pe; p++ {
					*(*[16]float32)(pan[p*16:]) = *(*[16]float32)(src[p*ldb:])
				}
			case 7: // a transposed 7×48 tile's A side: 7 columns of B
				for p := p0; p < pe; p++ {
					*(*[7]float32)(pan[p*7:]) = *(*[7]float32)(src[p*ldb:])
				}
			case 8:
				for p := p0; p < pe; p++ {
					*(*[8]float32)(pan[p*8:]) = *(*[8]float32)(src[p*ldb:])
				}
			default:
				for p := p0; p < pe; p++ {
					copy(pan[p*nr:p*nr+nr], src[p*ldb:])
				}
			}
		}
	}
	if full < panels {
		pan := dst[full*kcur*nr:]
		w := ncur - full*nr
		src := b[pc*ldb+jc+full*nr:]
		for p := 0; p < kcur; p++ {
			d := pan[p*nr : p*nr+nr]
			copy(d, src[p*ldb:p*ldb+w])
			clear(d[w:])
		}
	}
	return dst
}

// bSource yields the packed B block for rows pc:pc+kcur, columns jc:jc+ncur
// (jc a multiple of nr): either by packing now or by slicing a PackedB.
type bSource interface {
	panels(kern *kernel, ws *workspace, pc, kcur, jc, ncur int) []float32
}

type rawB struct {
	b   []float32
	ldb int
}

func (r rawB) panels(kern *kernel, ws *workspace, pc, kcur, jc, ncur int) []float32 {
	return packB(ws.b, r.b, r.ldb, pc, kcur, jc, ncur, kern.nr)
}

// PackedB is B (k×n) packed once for the kernel that was active in PackB, so
// that a weight matrix reused across many products (a convolution over a
// batch) is packed only once. It is read-only and safe for concurrent use.
type PackedB struct {
	k, n int
	kern *kernel
	// data holds the KC blocks of rows in order; block pc holds all
	// ⌈n/NR⌉ column panels of its kcur rows (see packB).
	data []float32
}

// K and N are the dimensions of the packed B (k×n).
func (pb *PackedB) K() int { return pb.k }
func (pb *PackedB) N() int { return pb.n }

// Kernel names the kernel whose layout pb uses; SgemmPacked always runs that kernel.
func (pb *PackedB) Kernel() string { return pb.kern.name }

// PackB packs the k×n row-major matrix B (leading dimension ldb) for SgemmPacked.
func PackB(k, n int, b []float32, ldb int) *PackedB {
	if k < 0 || n < 0 {
		panic(errNegDim)
	}
	if ldb < max(1, n) {
		panic(errShortLdB)
	}
	if k > 0 && n > 0 && len(b) < (k-1)*ldb+n {
		panic(errShortB)
	}
	return packBFor(active(), k, n, b, ldb)
}

func packBFor(kern *kernel, k, n int, b []float32, ldb int) *PackedB {
	nr := kern.nr
	panels := (n + nr - 1) / nr
	pb := &PackedB{k: k, n: n, kern: kern, data: make([]float32, k*panels*nr)}
	if n == 0 {
		return pb
	}
	for pc := 0; pc < k; pc += kern.kc {
		kcur := min(kern.kc, k-pc)
		packB(pb.data[pc*panels*nr:], b, ldb, pc, kcur, 0, n, nr)
	}
	return pb
}

func (pb *PackedB) panels(kern *kernel, _ *workspace, pc, kcur, jc, ncur int) []float32 {
	nr := kern.nr
	panels := (pb.n + nr - 1) / nr
	off := pc*panels*nr + (jc/nr)*kcur*nr
	return pb.data[off : off+(ncur+nr-1)/nr*kcur*nr]
}

// SgemmPacked computes C = A·B + beta·C like Sgemm, with B given packed by
// PackB (so k = pb.K(), n = pb.N()). It runs the kernel pb was packed for, and
// its result is bit-identical to Sgemm's with that kernel, whatever workers is.
func SgemmPacked(workers, m int, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	if pb == nil {
		panic(errPackedNil)
	}
	n, k := pb.n, pb.k
	checkAC(m, n, k, a, lda, c, ldc)
	sgemm(pb.kern, workers, m, n, k, a, lda, pb, beta, c, ldc)
}
