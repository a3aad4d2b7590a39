package gemm

import "sync"

// workspace is one goroutine's packing buffers.
type workspace struct {
	a, b, tile []float32
	ct         []float32 // a transposed product's Cᵀ block (trans.go)
	// bias, when set, is the row bias of the product (SgemmPackedABias):
	// C's row i gets bias[i] added after the first KC block (tile)
	bias []float32
}

var workspaces sync.Pool

// getWorkspace returns buffers big enough for region r: no bigger, so that a
// small product does not zero megabytes after the pool was emptied by a GC.
func getWorkspace(kern *kernel, r region, k int, packsB bool) *workspace {
	ws, _ := workspaces.Get().(*workspace)
	if ws == nil {
		ws = new(workspace)
	}
	kc := min(kern.kc, k)
	ws.a = grow(ws.a, (min(kern.mc, r.i1-r.i0)+kern.mr)*kc)
	if packsB {
		ws.b = grow(ws.b, (min(kern.nc, r.j1-r.j0)+kern.nr)*kc)
	}
	ws.tile = grow(ws.tile, kern.mr*kern.nr)
	return ws
}

func grow(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n)
}

// region is a part of C, rows i0:i1 and columns j0:j1, that one goroutine computes.
type region struct{ i0, i1, j0, j1 int }

// split cuts C into at most workers regions along whichever of m, n has more
// tiles, on tile boundaries, so that each C element belongs to the same
// register tile (and is summed in the same order) whatever workers is.
func split(workers, m, n, mr, nr int) []region {
	tm, tn := (m+mr-1)/mr, (n+nr-1)/nr
	if tn >= tm {
		w := max(1, min(workers, tn))
		rs := make([]region, w)
		for i := range rs {
			rs[i] = region{0, m, min(n, tn*i/w*nr), min(n, tn*(i+1)/w*nr)}
		}
		return rs
	}
	w := max(1, min(workers, tm))
	rs := make([]region, w)
	for i := range rs {
		rs[i] = region{min(m, tm*i/w*mr), min(m, tm*(i+1)/w*mr), 0, n}
	}
	return rs
}

// run computes C = A·B + beta·C for k ≥ 1 with kernel kern on up to workers goroutines.
func run(kern *kernel, workers, m, n, k int, as aSrc, bs bSource, beta float32, c []float32, ldc int) {
	if kern.trans {
		runT(kern, workers, m, n, k, as, bs.(tSource), beta, c, ldc)
		return
	}
	if workers <= 1 {
		runRegion(kern, region{0, m, 0, n}, k, as, bs, beta, c, ldc)
		return
	}
	rs := split(workers, m, n, kern.mr, kern.nr)
	var wg sync.WaitGroup
	for _, r := range rs[1:] {
		wg.Go(func() { runRegion(kern, r, k, as, bs, beta, c, ldc) })
	}
	runRegion(kern, rs[0], k, as, bs, beta, c, ldc)
	wg.Wait()
}

func runRegion(kern *kernel, r region, k int, as aSrc, bs bSource, beta float32, c []float32, ldc int) {
	raw, isRaw := bs.(rawB) // else B comes packed and ws.b is not needed
	ws := getWorkspace(kern, r, k, isRaw)
	defer workspaces.Put(ws)
	var rp *rawB
	if isRaw {
		rp = &raw
	}
	runRegionIn(kern, ws, r, k, as, bs, rp, beta, c, ldc)
}

// runRegionIn is runRegion in workspace ws, which holds enough for r (see
// getWorkspace); raw is B when it comes unpacked, else nil.
func runRegionIn(kern *kernel, ws *workspace, r region, k int, as aSrc, bs bSource, raw *rawB, beta float32, c []float32, ldc int) {
	fuse := raw != nil && kern.microPack != nil
	nr := kern.nr
	for jc := r.j0; jc < r.j1; jc += kern.nc {
		ncur := min(kern.nc, r.j1-jc)
		for pc := 0; pc < k; pc += kern.kc {
			kcur := min(kern.kc, k-pc)
			var bp []float32
			var src *rawB
			pstride := kcur * nr // from one packed B panel to the next in bp
			switch {
			case fuse && !kern.aOuter && r.i1-r.i0 <= kern.mc:
				// One MC block: each panel is packed by its first tile and
				// read by the block's other tiles right after, never again,
				// so all panels share one buffer that stays in L1 (a buffer
				// of the whole block, 3 MiB at n = 3136, k = 256, missed in
				// cache on every write).
				pstride = 0
				bp = ws.b[:kcur*nr]
				src = &rawB{b: raw.b[pc*raw.ldb+jc:], ldb: raw.ldb}
			case fuse:
				// Full B panels are packed by the first MC block's micro-kernel
				// calls as they stream B; only a ragged last panel is packed here.
				full := ncur / nr
				bp = ws.b[:(ncur+nr-1)/nr*kcur*nr]
				if full*nr < ncur {
					packB(bp[full*kcur*nr:], raw.b, raw.ldb, pc, kcur, jc+full*nr, ncur-full*nr, nr)
				}
				src = &rawB{b: raw.b[pc*raw.ldb+jc:], ldb: raw.ldb}
			default:
				bp = bs.panels(kern, ws, pc, kcur, jc, ncur)
			}
			// Later KC blocks add onto what the earlier ones stored.
			accum, bt := true, float32(1)
			if pc == 0 {
				accum, bt = beta != 0, beta
			}
			for ic := r.i0; ic < r.i1; ic += kern.mc {
				mcur := min(kern.mc, r.i1-ic)
				ap := as.block(ws, kern, ic, mcur, pc, kcur)
				var bias []float32
				if pc == 0 && ws.bias != nil {
					bias = ws.bias[ic:]
				}
				macro(kern, ws, ap, bp, pstride, src, mcur, ncur, kcur, c[ic*ldc+jc:], ldc, bt, accum, bias)
				src = nil
			}
		}
	}
}

// macro runs the micro-kernel over an mcur×ncur block of C whose packed
// operands are ap and bp, B's panels pstride floats apart in bp. If src is
// not nil, the full panels of bp are not packed yet: the first tile of each
// packs its panel from src while computing. pstride 0 means one buffer for
// every panel (with src, and not aOuter): each is packed when its tiles
// come, a ragged last one here. Edge tiles go through ws.tile so that only
// the valid part of C is written. bias, when not nil, is the block's row
// bias, added to each tile as it is stored (the first KC block of
// SgemmPackedABias).
func macro(kern *kernel, ws *workspace, ap, bp []float32, pstride int, src *rawB, mcur, ncur, kcur int, c []float32, ldc int, beta float32, accum bool, bias []float32) {
	mr, nr := kern.mr, kern.nr
	if kern.aOuter {
		for ir := 0; ir < mcur; ir += mr {
			for jr := 0; jr < ncur; jr += nr {
				tile(kern, ws, ap, bp[jr/nr*pstride:], src, ir, jr, mcur, ncur, kcur, c, ldc, beta, accum, bias)
			}
		}
		return
	}
	for jr := 0; jr < ncur; jr += nr {
		if pstride == 0 && ncur-jr < nr {
			packB(bp, src.b, src.ldb, 0, kcur, jr, ncur-jr, nr)
		}
		ir := 0
		if full := mcur / mr; kern.microN != nil && src == nil && full > 0 && ncur-jr >= nr {
			// the block's full tiles of this panel in one call
			kern.microN(full, kcur, ap, bp[jr/nr*pstride:], c[jr:], ldc, beta, accum)
			if bias != nil {
				addBiasRows(c[jr:], ldc, bias, full*mr, nr)
			}
			ir = full * mr
		}
		for ; ir < mcur; ir += mr {
			tile(kern, ws, ap, bp[jr/nr*pstride:], src, ir, jr, mcur, ncur, kcur, c, ldc, beta, accum, bias)
		}
	}
}

// tile runs the micro-kernel on the tile at (ir, jr) of macro's block,
// whose packed B panel is bpan. An
// edge tile goes through ws.tile: its valid part of C is copied in (when
// accumulating), the kernel merges S + beta·C there as it does in C, and the
// valid part is copied back, so edge and inner tiles round alike.
func tile(kern *kernel, ws *workspace, ap, bpan []float32, src *rawB, ir, jr, mcur, ncur, kcur int, c []float32, ldc int, beta float32, accum bool, bias []float32) {
	mr, nr := kern.mr, kern.nr
	mm, nn := min(mr, mcur-ir), min(nr, ncur-jr)
	apan := ap[ir/mr*kcur*mr:]
	ct := c[ir*ldc+jr:]
	if bias != nil {
		// after the tile is stored, while it is in L1
		defer addBiasRows(ct, ldc, bias[ir:], mm, nn)
	}
	if mm == mr && nn == nr {
		if ir == 0 && src != nil {
			kern.microPack(kcur, apan, src.b[jr:], src.ldb, bpan, ct, ldc, beta, accum)
		} else {
			kern.micro(kcur, apan, bpan, ct, ldc, beta, accum)
		}
		return
	}
	// a last row panel of full width, not packing B: the first mm rows of
	// the tile, straight into C
	if mm < mr && nn == nr && kern.microRows != nil && (ir != 0 || src == nil) {
		kern.microRows(mm, kcur, apan, bpan, ct, ldc, beta, accum)
		return
	}
	// a last panel of at most nr/2 columns: the half tile (a ragged last
	// panel is packed beforehand, never by microPack)
	half := kern.microHalf != nil && nn <= nr/2
	if half && mm == mr && nn == nr/2 {
		kern.microHalf(kcur, apan, bpan, ct, ldc, beta, accum)
		return
	}
	t := ws.tile[:mr*nr]
	if accum {
		for i := 0; i < mm; i++ {
			copy(t[i*nr:i*nr+nn], ct[i*ldc:i*ldc+nn])
		}
	}
	switch {
	case ir == 0 && src != nil && nn == nr:
		kern.microPack(kcur, apan, src.b[jr:], src.ldb, bpan, t, nr, beta, accum)
	case half:
		kern.microHalf(kcur, apan, bpan, t, nr, beta, accum)
	default:
		kern.micro(kcur, apan, bpan, t, nr, beta, accum)
	}
	for i := 0; i < mm; i++ {
		copy(ct[i*ldc:i*ldc+nn], t[i*nr:i*nr+nn])
	}
}
