package gemm

// BPanels supplies B (k×n, row-major semantics B[p,j]) panel by panel, so
// that a convolution can pack B's panels straight from its input (an
// implicit GEMM) instead of materialising B (an im2col buffer).
type BPanels interface {
	// PackPanel writes rows pc..pc+kc-1, columns j0..j0+nr-1 of B into dst
	// as dst[p*nr+j] = B[pc+p, j0+j] for p < kc, j < nr; columns at or past n
	// are written as zeros. len(dst) >= kc*nr.
	PackPanel(dst []float32, pc, kc, j0, nr int)
}

// panelB is a bSource that asks a BPanels for each NR-column panel.
type panelB struct{ src BPanels }

func (pb *panelB) panels(kern *kernel, ws *workspace, pc, kcur, jc, ncur int) []float32 {
	nr := kern.nr
	np := (ncur + nr - 1) / nr
	dst := ws.b[:np*kcur*nr]
	for q := range np {
		pb.src.PackPanel(dst[q*kcur*nr:(q+1)*kcur*nr], pc, kcur, jc+q*nr, nr)
	}
	return dst
}

// SgemmPanels is ws.Sgemm with B supplied by b (bit-identical to ws.Sgemm on
// the materialised B). B is asked only for panels with 0 ≤ pc, pc+kc ≤ k,
// kc ≤ KC and 0 ≤ j0 < n. The width nr is the chosen tile's (Tile): its NR
// (32 or 48 with AVX-512), or its MR (7 or 8) when the product runs
// transposed, in which case a panel may be asked for again for each NC
// block of C's rows. Like ws.Sgemm it allocates nothing once ws is large
// enough.
func (ws *Workspace) SgemmPanels(m, n, k int, a []float32, lda int, b BPanels, beta float32, c []float32, ldc int) {
	checkAC(m, n, k, a, lda, c, ldc)
	if b == nil && k > 0 && n > 0 && m > 0 {
		panic(errPanelsNil)
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	ws.pb.src = b
	ws.run(choose(active(), m, n, k), m, n, k, aSrc{a: a, lda: lda}, &ws.pb, nil, beta, c, ldc)
	ws.pb.src = nil
}
