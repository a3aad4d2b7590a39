package gemm

// Workspace is a caller-owned set of packing buffers for Sgemm on the
// calling goroutine. Sgemm takes its buffers from a process-wide pool and
// boxes B in an interface per call, a few allocations each; a caller that
// must not allocate in steady state (a prepared convolution) keeps one
// Workspace per goroutine instead. The zero value is ready to use; it is
// not safe for concurrent use.
type Workspace struct {
	ws  workspace
	raw rawB
	pb  panelB
}

// Sgemm computes C = A·B + beta·C as the package's Sgemm does on one
// goroutine, bit for bit, with ws's buffers (grown on first use, then
// reused: no allocation once they are large enough).
func (ws *Workspace) Sgemm(m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkAC(m, n, k, a, lda, c, ldc)
	if ldb < max(1, n) {
		panic(errShortLdB)
	}
	if k > 0 && n > 0 && len(b) < (k-1)*ldb+n {
		panic(errShortB)
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	ws.raw = rawB{b: b, ldb: ldb}
	ws.run(choose(active(), m, n, k), m, n, k, aSrc{a: a, lda: lda}, &ws.raw, &ws.raw, beta, c, ldc)
	ws.raw = rawB{}
}

// Reserve grows ws's buffers for products up to m×k times k×n, so that
// later calls up to that size allocate nothing whatever their order or
// the tile each runs (for the transposed tiles that includes a Cᵀ block
// of about m·n floats).
func (ws *Workspace) Reserve(m, n, k int) {
	if m > 0 && n > 0 && k > 0 {
		for _, kern := range family(active()) {
			ws.reserve(kern, m, n, k)
		}
	}
}

// run computes the whole product with tile kern on the calling goroutine
// in ws's buffers (raw: B unpacked, for the fused packing; else nil).
func (ws *Workspace) run(kern *kernel, m, n, k int, as aSrc, bs bSource, raw *rawB, beta float32, c []float32, ldc int) {
	ws.reserve(kern, m, n, k)
	if kern.trans {
		runRegionT(kern, &ws.ws, region{0, n, 0, m}, k, as, bs.(tSource), beta, c, ldc)
		return
	}
	runRegionIn(kern, &ws.ws, region{0, m, 0, n}, k, as, bs, raw, beta, c, ldc)
}

func (ws *Workspace) reserve(kern *kernel, m, n, k int) {
	if kern.trans {
		m, n = n, m
		ws.ws.ct = growKeep(ws.ws.ct, ceilTo(m, kern.mr)*ceilTo(n, kern.nr))
	}
	kc := min(kern.kc, k)
	w := &ws.ws
	w.a = growKeep(w.a, (min(kern.mc, m)+kern.mr)*kc)
	w.b = growKeep(w.b, (min(kern.nc, n)+kern.nr)*kc)
	w.tile = growKeep(w.tile, kern.mr*kern.nr)
}

// growKeep is grow that never shortens s.
func growKeep(s []float32, n int) []float32 {
	if len(s) >= n {
		return s
	}
	return grow(s, n)
}
