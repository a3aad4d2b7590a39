package gemm

import (
	"sync"
	"sync/atomic"
)

// aSrc is A as runRegionIn reads it: a row-major matrix packed block by
// block into the workspace, or a PackedA sliced without copying.
type aSrc struct {
	a   []float32
	lda int
	pa  *PackedA
}

// block returns the packed A block for rows ic:ic+mcur, columns pc:pc+kcur
// (ic a multiple of kern.mr).
func (as aSrc) block(ws *workspace, kern *kernel, ic, mcur, pc, kcur int) []float32 {
	if as.pa == nil {
		return packA(ws.a, as.a, as.lda, ic, mcur, pc, kcur, kern.mr)
	}
	return as.pa.layout(kern.mr, kern.kc).block(ic, mcur, pc, kcur)
}

// PackedA is A (m×k) packed once for one tile of the active kernel family,
// so that a weight matrix multiplied into many B (a convolution's weights
// across images and column tiles) is packed only once. A product with it
// runs the tile Sgemm would choose for its n; when that tile's panels have
// another height (a transposed tile's NR), pa is repacked for it once, on
// first use, and kept. It is safe for concurrent use; the products that use
// it give the bits the unpacked calls give (every tile of a family sums
// alike, see the package doc).
type PackedA struct {
	m, k int
	kern *kernel // the tile whose MR the panels have
	fam  *kernel // the family pa was packed in, for choose
	// data holds the KC blocks of columns in order; block pc holds all
	// ⌈m/MR⌉ row panels of its kcur columns (see packA).
	data []float32

	// layouts holds pa repacked for other panel heights (another tile's
	// MR, a transposed tile's NR), made on first use.
	mu      sync.Mutex                 // held while adding a layout
	layouts atomic.Pointer[[]*PackedA] // read without the lock
}

// M and K are the dimensions of the packed A (m×k).
func (pa *PackedA) M() int { return pa.m }
func (pa *PackedA) K() int { return pa.k }

// Kernel names the tile whose layout PackA chose for pa ("avx512-8x48",
// "avx512", …): the one that pads m least.
func (pa *PackedA) Kernel() string { return pa.kern.name }

// PackA packs the m×k row-major matrix A (leading dimension lda) for
// SgemmPackedA, Workspace.SgemmPackedA and Workspace.SgemmPackedAPanels,
// in the tile of the active family that pads m least (n is not known yet).
func PackA(m, k int, a []float32, lda int) *PackedA {
	return PackAInto(nil, m, k, a, lda)
}

// PackedALen is the floats PackA's panels take for an m×k A: what
// PackAInto needs in its buffer.
func PackedALen(m, k int) int {
	if m < 0 || k < 0 {
		panic(errNegDim)
	}
	return packedLen(chooseM(active(), m), m, k)
}

// PackAInto is PackA with the panels in buf when it holds at least
// PackedALen(m, k) floats (else in a new slice): pa then uses buf for as
// long as it is used. Why: a one-shot convolution packs its weights on
// every call, and a new 64 KB slice a call came from pages the runtime
// had handed back to the system; the page faults took a third of a 1×1
// layer's time on two workers (2-vCPU Zen 5: 0.55 ms a call against 0.31
// with the panels in a buffer reused across calls).
func PackAInto(buf []float32, m, k int, a []float32, lda int) *PackedA {
	if m < 0 || k < 0 {
		panic(errNegDim)
	}
	if lda < max(1, k) {
		panic(errShortLdA)
	}
	if m > 0 && k > 0 && len(a) < (m-1)*lda+k {
		panic(errShortA)
	}
	fam := active()
	kern := chooseM(fam, m)
	if n := packedLen(kern, m, k); len(buf) >= n {
		buf = buf[:n]
	} else {
		buf = make([]float32, n)
	}
	pa := packAInto(buf, kern, m, k, a, lda)
	pa.fam = fam
	return pa
}

// packedLen is the floats of an m×k A packed in kern's panels: ⌈m/MR⌉
// panels of MR rows × k.
func packedLen(kern *kernel, m, k int) int {
	return k * ((m + kern.mr - 1) / kern.mr) * kern.mr
}

// kernelFor is the tile a product with pa and n columns runs: the one
// Sgemm would choose in pa's family (it reads pa in its own layout, see
// layout), or pa's own tile when pa has no family.
func (pa *PackedA) kernelFor(n int) *kernel {
	if pa.fam != nil {
		return choose(pa.fam, pa.m, n, pa.k)
	}
	return pa.kern
}

// layout returns pa with panels nr rows high and KC = kc: pa itself, or a
// copy repacked from pa once and kept.
func (pa *PackedA) layout(nr, kc int) *PackedA {
	if pa.kern.mr == nr && pa.kern.kc == kc {
		return pa
	}
	find := func() *PackedA {
		if ls := pa.layouts.Load(); ls != nil {
			for _, l := range *ls {
				if l.kern.mr == nr && l.kern.kc == kc {
					return l
				}
			}
		}
		return nil
	}
	if l := find(); l != nil {
		return l
	}
	pa.mu.Lock()
	defer pa.mu.Unlock()
	if l := find(); l != nil {
		return l
	}
	a := pa.unpack()
	l := packAFor(&kernel{name: pa.kern.name, mr: nr, kc: kc}, pa.m, pa.k, a, max(pa.k, 1))
	var ls []*PackedA
	if old := pa.layouts.Load(); old != nil {
		ls = append(ls, *old...)
	}
	ls = append(ls, l)
	pa.layouts.Store(&ls)
	return l
}

// unpack returns A (m×k, lda = k) from pa's panels.
func (pa *PackedA) unpack() []float32 {
	m, k, mr, kc := pa.m, pa.k, pa.kern.mr, pa.kern.kc
	a := make([]float32, m*k)
	panels := (m + mr - 1) / mr
	for pc := 0; pc < k; pc += kc {
		kcur := min(kc, k-pc)
		for i := range m {
			pan := pa.data[pc*panels*mr+(i/mr)*kcur*mr:]
			for p := range kcur {
				a[i*k+pc+p] = pan[p*mr+i%mr]
			}
		}
	}
	return a
}

// chooseM is choose for an unknown n: the tile with the least padded m per
// unit of efficiency.
func chooseM(fam *kernel, m int) *kernel {
	best, bestCost := fam, 0.0
	for i, s := range family(fam) {
		if s.trans {
			continue
		}
		cost := float64(ceilTo(max(m, 1), s.mr)) / s.efficiency()
		if i == 0 || cost < bestCost {
			best, bestCost = s, cost
		}
	}
	return best
}

func packAFor(kern *kernel, m, k int, a []float32, lda int) *PackedA {
	return packAInto(make([]float32, packedLen(kern, m, k)), kern, m, k, a, lda)
}

// packAInto is packAFor into data, packedLen(kern, m, k) floats.
func packAInto(data []float32, kern *kernel, m, k int, a []float32, lda int) *PackedA {
	mr := kern.mr
	panels := (m + mr - 1) / mr
	pa := &PackedA{m: m, k: k, kern: kern, data: data}
	if m == 0 {
		return pa
	}
	for pc := 0; pc < k; pc += kern.kc {
		kcur := min(kern.kc, k-pc)
		packA(pa.data[pc*panels*mr:], a, lda, 0, m, pc, kcur, mr)
	}
	return pa
}

func (pa *PackedA) block(ic, mcur, pc, kcur int) []float32 {
	mr := pa.kern.mr
	panels := (pa.m + mr - 1) / mr
	off := pc*panels*mr + (ic/mr)*kcur*mr
	return pa.data[off : off+(mcur+mr-1)/mr*kcur*mr]
}

// SgemmPackedA computes C = A·B + beta·C like Sgemm, with A given packed by
// PackA (so m = pa.M(), k = pa.K()), on up to workers goroutines. Its
// result is Sgemm's, bit for bit, whatever workers is.
func SgemmPackedA(workers int, pa *PackedA, n int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if pa == nil {
		panic(errPackedANil)
	}
	checkPackedA(pa, n, c, ldc)
	checkB(n, pa.k, b, ldb)
	if pa.m == 0 || n == 0 {
		return
	}
	if pa.k == 0 {
		scale(pa.m, n, beta, c, ldc)
		return
	}
	run(pa.kernelFor(n), workers, pa.m, n, pa.k, aSrc{pa: pa}, rawB{b: b, ldb: ldb}, beta, c, ldc)
}

// SgemmPackedA is SgemmPackedA on the calling goroutine with ws's buffers:
// no allocation once ws is large enough (see Reserve).
func (ws *Workspace) SgemmPackedA(pa *PackedA, n int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ws.packedA(pa, n, b, ldb, beta, nil, false, c, ldc)
}

// SgemmPackedABias is ws.SgemmPackedA computing C = A·B + bias, bias[i]
// added to row i (len(bias) ≥ m), with the bits of filling C's rows with
// the bias and running SgemmPackedA with beta = 1: where the bias is fused
// (BiasFused) and the chosen tile is not transposed it is added to each
// tile of the first KC block as it is stored (bias.go); else C is filled
// first.
func (ws *Workspace) SgemmPackedABias(pa *PackedA, n int, b []float32, ldb int, bias []float32, c []float32, ldc int) {
	ws.packedA(pa, n, b, ldb, 0, bias, true, c, ldc)
}

// packedA is ws.SgemmPackedA, and with withBias ws.SgemmPackedABias.
func (ws *Workspace) packedA(pa *PackedA, n int, b []float32, ldb int, beta float32, bias []float32, withBias bool, c []float32, ldc int) {
	if pa == nil {
		panic(errPackedANil)
	}
	checkPackedA(pa, n, c, ldc)
	checkB(n, pa.k, b, ldb)
	if pa.m == 0 || n == 0 {
		return
	}
	kern := pa.kernelFor(n)
	if withBias {
		if len(bias) < pa.m {
			panic(errShortBias)
		}
		if pa.k == 0 || kern.trans || !BiasFused() {
			for i := 0; i < pa.m; i++ {
				row := c[i*ldc : i*ldc+n]
				row[0] = bias[i]
				for j := 1; j < n; j *= 2 {
					copy(row[j:], row[:j])
				}
			}
			beta, bias = 1, nil
		}
	}
	if pa.k == 0 {
		scale(pa.m, n, beta, c, ldc)
		return
	}
	ws.raw = rawB{b: b, ldb: ldb}
	ws.ws.bias = bias
	ws.run(kern, pa.m, n, pa.k, aSrc{pa: pa}, &ws.raw, &ws.raw, beta, c, ldc)
	ws.ws.bias = nil
	ws.raw = rawB{}
}

// SgemmPackedAPanels is ws.SgemmPanels with A given packed by PackA: the
// prepared convolution's product (packed weights, B packed panel by panel
// from the input), bit-identical to ws.Sgemm on the materialised A and B.
func (ws *Workspace) SgemmPackedAPanels(pa *PackedA, n int, b BPanels, beta float32, c []float32, ldc int) {
	if pa == nil {
		panic(errPackedANil)
	}
	checkPackedA(pa, n, c, ldc)
	if pa.m == 0 || n == 0 {
		return
	}
	if pa.k == 0 {
		scale(pa.m, n, beta, c, ldc)
		return
	}
	if b == nil {
		panic(errPanelsNil)
	}
	ws.pb.src = b
	ws.run(pa.kernelFor(n), pa.m, n, pa.k, aSrc{pa: pa}, &ws.pb, nil, beta, c, ldc)
	ws.pb.src = nil
}

func checkPackedA(pa *PackedA, n int, c []float32, ldc int) {
	if n < 0 {
		panic(errNegDim)
	}
	if ldc < max(1, n) {
		panic(errShortLdC)
	}
	if pa.m > 0 && n > 0 && len(c) < (pa.m-1)*ldc+n {
		panic(errShortC)
	}
}

func checkB(n, k int, b []float32, ldb int) {
	if ldb < max(1, n) {
		panic(errShortLdB)
	}
	if k > 0 && n > 0 && len(b) < (k-1)*ldb+n {
		panic(errShortB)
	}
}
