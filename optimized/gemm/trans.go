package gemm

// Transposed products. When n is small and does not fill the tile width
// (n = 49: a 7×7 output plane, padded to 64 columns by a 32-wide tile), the
// product is computed as Cᵀ = Bᵀ·Aᵀ, with n along the tile height: a tile
// 7 rows high covers n = 49 exactly. The micro-kernel is the same; its A
// panels are B's columns (packB's layout with MR columns) and its B panels
// are A's rows (packA's layout with NR rows). Cᵀ lives in a scratch block
// padded to whole tiles, so every tile is full: on the first KC block it
// holds beta·C transposed (when beta ≠ 0) and the kernel merges S + beta·Cᵀ
// as it would in C; at the end it is transposed into C. Each element is
// summed as in the direct product (the same fused multiply-adds in the
// same order: a·b = b·a exactly), so the bits are the same.

// tSource yields B's columns pc:pc+kcur × jc:jc+ncur as nr-wide panels in
// dst (packB's layout), for a transposed product's A side.
type tSource interface {
	panelsInto(dst []float32, nr, pc, kcur, jc, ncur int) []float32
}

func (r rawB) panelsInto(dst []float32, nr, pc, kcur, jc, ncur int) []float32 {
	return packB(dst, r.b, r.ldb, pc, kcur, jc, ncur, nr)
}

func (pb *panelB) panelsInto(dst []float32, nr, pc, kcur, jc, ncur int) []float32 {
	np := (ncur + nr - 1) / nr
	dst = dst[:np*kcur*nr]
	for q := range np {
		pb.src.PackPanel(dst[q*kcur*nr:(q+1)*kcur*nr], pc, kcur, jc+q*nr, nr)
	}
	return dst
}

// tBlock returns A's rows i0:i0+mcur, columns pc:pc+kcur as nr-row panels
// (packA's layout), for a transposed product's B side; i0 is a multiple of nr.
func (as aSrc) tBlock(dst []float32, nr, kc, i0, mcur, pc, kcur int) []float32 {
	if as.pa == nil {
		return packA(dst, as.a, as.lda, i0, mcur, pc, kcur, nr)
	}
	return as.pa.layout(nr, kc).block(i0, mcur, pc, kcur)
}

// transposed returns kern's transposed twin (see choose).
func transposed(kern *kernel) *kernel {
	t := *kern
	t.name += "ᵀ"
	t.trans = true
	t.microPack = nil
	t.microHalf = nil // Cᵀ's scratch is padded to whole tiles
	t.microRows = nil
	t.shapes = nil
	return &t
}

// tPenalty weighs a transposed product's padded work in choose: the
// transposes of C in and out and the narrower A packing.
const tPenalty = 1.1

// runT computes C = A·B + beta·C for k ≥ 1 as Cᵀ = Bᵀ·Aᵀ with the
// transposed tile kern on up to workers goroutines, which split Cᵀ's rows
// (C's columns) or columns (C's rows) on tile boundaries as run does.
func runT(kern *kernel, workers, m, n, k int, as aSrc, ts tSource, beta float32, c []float32, ldc int) {
	rs := split(max(workers, 1), n, m, kern.mr, kern.nr)
	one := func(r region) {
		ws := getWorkspaceT(kern, r, k)
		runRegionT(kern, ws, r, k, as, ts, beta, c, ldc)
		workspaces.Put(ws)
	}
	if len(rs) == 1 {
		one(rs[0])
		return
	}
	done := make(chan struct{}, len(rs)-1)
	for _, r := range rs[1:] {
		go func() { one(r); done <- struct{}{} }()
	}
	one(rs[0])
	for range rs[1:] {
		<-done
	}
}

func getWorkspaceT(kern *kernel, r region, k int) *workspace {
	ws, _ := workspaces.Get().(*workspace)
	if ws == nil {
		ws = new(workspace)
	}
	kc := min(kern.kc, k)
	mt, nt := r.i1-r.i0, r.j1-r.j0
	ws.a = grow(ws.a, (min(kern.mc, mt)+kern.mr)*kc)
	ws.b = grow(ws.b, (min(kern.nc, nt)+kern.nr)*kc)
	ws.tile = grow(ws.tile, kern.mr*kern.nr)
	ws.ct = grow(ws.ct, ceilTo(mt, kern.mr)*ceilTo(nt, kern.nr))
	return ws
}

// runRegionT computes region r of Cᵀ (rows r.i0:r.i1 = C's columns,
// columns r.j0:r.j1 = C's rows) in ws, which holds enough (getWorkspaceT).
func runRegionT(kern *kernel, ws *workspace, r region, k int, as aSrc, ts tSource, beta float32, c []float32, ldc int) {
	mr, nr := kern.mr, kern.nr
	mt, nt := r.i1-r.i0, r.j1-r.j0
	ldt := ceilTo(nt, nr)
	ct := ws.ct[:ceilTo(mt, mr)*ldt]
	cr := c[r.j0*ldc+r.i0:]
	if beta != 0 {
		transpose(ct, ldt, cr, ldc, nt, mt)
	}
	// Each element still sums its KC blocks in order: the loops over jc and
	// ic only pick which elements a block goes to.
	for pc := 0; pc < k; pc += kern.kc {
		kcur := min(kern.kc, k-pc)
		accum, bt := true, float32(1)
		if pc == 0 {
			accum, bt = beta != 0, beta
		}
		if mt <= kern.mc {
			// B's columns (the usual case, n small) are packed once per KC
			// block and serve every NC block of A's rows.
			ap := ts.panelsInto(ws.a, mr, pc, kcur, r.i0, mt)
			for jc := 0; jc < nt; jc += kern.nc {
				ncur := min(kern.nc, nt-jc)
				bp := as.tBlock(ws.b, nr, kern.kc, r.j0+jc, ncur, pc, kcur)
				macro(kern, ws, ap, bp, kcur*nr, nil, ceilTo(mt, mr), ceilTo(ncur, nr), kcur, ct[jc:], ldt, bt, accum, nil)
			}
			continue
		}
		for jc := 0; jc < nt; jc += kern.nc {
			ncur := min(kern.nc, nt-jc)
			bp := as.tBlock(ws.b, nr, kern.kc, r.j0+jc, ncur, pc, kcur)
			for ic := 0; ic < mt; ic += kern.mc {
				mcur := min(kern.mc, mt-ic)
				ap := ts.panelsInto(ws.a, mr, pc, kcur, r.i0+ic, mcur)
				macro(kern, ws, ap, bp, kcur*nr, nil, ceilTo(mcur, mr), ceilTo(ncur, nr), kcur, ct[ic*ldt+jc:], ldt, bt, accum, nil)
			}
		}
	}
	transpose(cr, ldc, ct, ldt, mt, nt)
}

// transposeBlocks, when the machine has it (transpose_amd64.go), transposes
// n 16×16 blocks side by side: dst[(16b+j)·ldd+i] = src[i·lds+16b+j] for
// i, j < 16, b < n.
var transposeBlocks func(n int, dst []float32, ldd int, src []float32, lds int)

// transposeBlocksAVX2 is transposeBlocks with AVX2 (8×8 blocks) where the
// machine has it, whether or not AVX-512's is the one in use (tests run both).
var transposeBlocksAVX2 func(n int, dst []float32, ldd int, src []float32, lds int)

// Transpose sets dst[j·ldd+i] = src[i·lds+j] for i < rows, j < cols, as
// transpose: for callers outside the package that lay out weights (the
// direct kernels' panels are the weights' rows transposed).
func Transpose(dst []float32, ldd int, src []float32, lds int, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	_ = src[(rows-1)*lds+cols-1]
	_ = dst[(cols-1)*ldd+rows-1]
	transpose(dst, ldd, src, lds, rows, cols)
}

// transpose sets dst[j·ldd+i] = src[i·lds+j] for i < rows, j < cols: the
// whole 16×16 blocks by transposeBlocks when there is one (a scalar
// transpose of a transposed product's C was a fifth of a 7×7-plane 1×1
// layer's time; with AVX2 only, 6% of dynamic-blocked's on the benchmark
// layer), the rest in Go.
func transpose(dst []float32, ldd int, src []float32, lds int, rows, cols int) {
	r16, c16 := 0, 0
	if transposeBlocks != nil {
		r16, c16 = rows/16*16, cols/16*16
	}
	if r16 > 0 && c16 > 0 {
		for i0 := 0; i0 < r16; i0 += 16 {
			transposeBlocks(c16/16, dst[i0:], ldd, src[i0*lds:], lds)
		}
		transposeGo(dst, ldd, src, lds, 0, r16, c16, cols)
		transposeGo(dst, ldd, src, lds, r16, rows, 0, cols)
		return
	}
	transposeGo(dst, ldd, src, lds, 0, rows, 0, cols)
}

// transposeGo is transpose for rows [r0, r1) and columns [c0, c1), in 8×8
// blocks so that both sides are read and written a few lines at a time.
func transposeGo(dst []float32, ldd int, src []float32, lds int, r0, r1, c0, c1 int) {
	const bs = 8
	for i0 := r0; i0 < r1; i0 += bs {
		i1 := min(i0+bs, r1)
		for j0 := c0; j0 < c1; j0 += bs {
			j1 := min(j0+bs, c1)
			for i := i0; i < i1; i++ {
				row := src[i*lds+j0 : i*lds+j1]
				for j, v := range row {
					dst[(j0+j)*ldd+i] = v
				}
			}
		}
	}
}
