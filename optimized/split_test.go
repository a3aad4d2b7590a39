package optimized

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized/gemm"
)

// TestColSplitCovers: colSplit's tiles cover the n positions, none empty,
// for any base, target and balance; with balance on more than one worker
// its tasks end no later (rangeMakespan) than colTile's tiles would, and
// ResNet-50's 28² planes on two workers are two even tiles, not 512 and 272.
func TestColSplitCovers(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 20000).Draw(rt, "n")
		base := rapid.IntRange(1, 8).Draw(rt, "base")
		target := rapid.IntRange(1, 16).Draw(rt, "target")
		balance := rapid.Bool().Draw(rt, "balance")
		ct, tiles := colSplit(base, n, 64, target, balance)
		if ct < 1 || ct > colTile || tiles != ceilDiv(n, ct) || (tiles-1)*ct >= n {
			rt.Fatalf("colSplit(%d, %d, 64, %d, %v) = %d, %d", base, n, target, balance, ct, tiles)
		}
		if balance && target > 1 && base*ceilDiv(n, colTile) >= target {
			if got, old := rangeMakespan(n, ct, base, target), rangeMakespan(n, colTile, base, target); got > old {
				rt.Fatalf("colSplit(%d, %d, 64, %d) = tiles of %d: makespan %d, colTile's %d", base, n, target, ct, got, old)
			}
		}
	})
	if ct, tiles := colSplit(1, 784, 128, 2, true); tiles != 2 || 784-ct > ct || ct-(784-ct) > colUnit() {
		t.Errorf("colSplit(1, 784, 128, 2) = %d, %d; want two even tiles", ct, tiles)
	}
}

// TestGemmSplitEven: convGemm's output-channel blocks cover the channels,
// are no more than the target asks of the GEMM unless least forbids it, hold
// whole register tiles but the last, and the largest is within a tile of an
// even share (the rule that made 512→128 four blocks of 42, 42, 42 and 2 on
// two workers fails it).
func TestGemmSplitEven(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		base := rapid.IntRange(1, 8).Draw(rt, "base")
		target := rapid.IntRange(1, 16).Draw(rt, "target")
		unit := rapid.IntRange(1, 48).Draw(rt, "unit")
		least := unit * rapid.IntRange(1, 4).Draw(rt, "least-tiles")
		ocg := rapid.IntRange(1, 2048).Draw(rt, "ocg")
		rows, blocks := gemmSplitEven(base, ocg, least, unit, target)
		if rows < 1 || blocks != ceilDiv(ocg, rows) || (blocks-1)*rows >= ocg {
			rt.Fatalf("gemmSplitEven(%d, %d, %d, %d, %d) = %d, %d: not a cover", base, ocg, least, unit, target, rows, blocks)
		}
		if blocks == 1 {
			return
		}
		want := ceilDiv(target, base)
		if rows%unit != 0 || rows < least {
			rt.Fatalf("gemmSplitEven(%d, %d, %d, %d, %d) = %d rows: not whole tiles of at least %d", base, ocg, least, unit, target, rows, least)
		}
		if rows > least && (blocks > want || rows >= ceilDiv(ocg, want)+unit) {
			rt.Fatalf("gemmSplitEven(%d, %d, %d, %d, %d) = %d blocks of %d: want %d, even within a tile", base, ocg, least, unit, target, blocks, rows, want)
		}
	})
	if rows, blocks := gemmSplitEven(1, 128, 42, 14, 2); blocks != 2 || rows != 70 {
		t.Errorf("gemmSplitEven(1, 128, 42, 14, 2) = %d, %d; want two blocks of 70 and 58", rows, blocks)
	}
}

// TestFillSplitCovers: the fill's tasks write every row of every channel
// of every image exactly once, for any problem and worker count.
func TestFillSplitCovers(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var p conv.Problem
		p.MB = rapid.IntRange(1, 4).Draw(rt, "mb")
		p.G = rapid.IntRange(1, 6).Draw(rt, "g")
		p.IC = p.G * rapid.IntRange(1, 40).Draw(rt, "icg")
		workers := rapid.IntRange(1, 20).Draw(rt, "workers")
		rows := rapid.IntRange(1, 40).Draw(rt, "rows")
		f := newFillSplit(&p, workers, rapid.Bool().Draw(rt, "by-rows"))
		seen := make([]int, p.MB*p.IC*rows)
		for task := range f.tasks(&p) {
			nc0, nc1, r0, r1 := f.task(&p, task, rows)
			for nc := nc0; nc < nc1; nc++ {
				for r := r0; r < r1; r++ {
					seen[nc*rows+r]++
				}
			}
		}
		for i, c := range seen {
			if c != 1 {
				rt.Fatalf("workers %d: channel %d row %d filled %d times", workers, i/rows, i%rows, c)
			}
		}
	})
}

// TestBalancedCut: balancedCut gives at least rangeCut's ranges and ends
// no later than they would on the workers (rangeMakespan), and 10 blocks
// for 4 tasks on 2 workers end at 5 blocks a worker, not rangeCut's 6.
func TestBalancedCut(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 300).Draw(rt, "n")
		want := rapid.IntRange(1, 32).Draw(rt, "want")
		copies := rapid.IntRange(1, 8).Draw(rt, "copies")
		workers := rapid.IntRange(1, 16).Draw(rt, "workers")
		macs := rapid.IntRange(1, 1<<22).Draw(rt, "macs")
		per, old := balancedCut(n, want, copies, workers, macs), rangeCut(n, want, macs)
		if per < 1 || per > old {
			rt.Fatalf("balancedCut(%d, %d, %d, %d, %d) = %d, rangeCut's %d", n, want, copies, workers, macs, per, old)
		}
		if a, b := rangeMakespan(n, per, copies, workers), rangeMakespan(n, old, copies, workers); a > b {
			rt.Fatalf("balancedCut(%d, %d, %d, %d, %d) = %d: makespan %d, rangeCut's %d: %d", n, want, copies, workers, macs, per, a, old, b)
		}
	})
	if per := balancedCut(10, 4, 1, 2, 1<<21); rangeMakespan(10, per, 1, 2) != 5 {
		t.Errorf("balancedCut(10 blocks, 4 tasks, 2 workers) = %d a range: makespan %d, want 5", per, rangeMakespan(10, per, 1, 2))
	}
	if m := rangeMakespan(7, 2, 1, 2); m != 4 {
		t.Errorf("rangeMakespan(7, 2, 1, 2) = %d, want 4 (2+2 and 2+1)", m)
	}
}

// TestRowsSplitSteals: direct-rows' split covers its blocks and segments
// and ends no later on the workers (rowsGeom.makespan) than splitTarget's
// cut would, for any layer and worker count; and the benchmark's 3×3, 1×1
// and 11×11 layers at batch 1 get eight tasks a worker on two workers
// (rowsStealTarget), so that stealing can move work off a slowed core:
// splitTarget's two a worker fail it.
func TestRowsSplitSteals(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := conv.New(conv.OpConv, 2)
		p.MB = rapid.IntRange(1, 3).Draw(rt, "mb")
		p.IC, p.OC = rapid.IntRange(1, 512).Draw(rt, "ic"), rapid.IntRange(1, 512).Draw(rt, "oc")
		p.I = [3]int{1, rapid.IntRange(1, 64).Draw(rt, "ih"), rapid.IntRange(1, 64).Draw(rt, "iw")}
		k := rapid.SampledFrom([]int{1, 3, 5}).Draw(rt, "k")
		p.K = [3]int{1, k, k}
		p.PBegin, p.PEnd = [3]int{0, k / 2, k / 2}, [3]int{0, k / 2, k / 2}
		if err := p.Resolve(); err != nil {
			rt.Skip(err)
		}
		workers := rapid.IntRange(1, 16).Draw(rt, "workers")
		b := newBlockedGeom(&p, workers)
		g := newRowsGeom(&p, &b, workers)
		if g.obChunks*g.obPer < g.nob || (g.obChunks-1)*g.obPer >= g.nob || g.chunks*g.tilesPer < g.ntiles || (g.chunks-1)*g.tilesPer >= g.ntiles {
			rt.Fatalf("%v on %d workers: %d×%d blocks for %d, %d×%d segments for %d", &p, workers, g.obChunks, g.obPer, g.nob, g.chunks, g.tilesPer, g.ntiles)
		}
		base := p.MB * p.G * b.nslice
		coarse := g
		coarse.obPer, coarse.tilesPer = rowsCut(&p, &b, &g, base, splitTarget(workers), workers)
		if a, c := g.makespan(base, workers), coarse.makespan(base, workers); a > c {
			rt.Fatalf("%v on %d workers: makespan %d, splitTarget's cut %d", &p, workers, a, c)
		}
	})
	for _, d := range []string{"mb1ic64ih56oc64oh56kh3ph1", "mb1ic256ih56oc64oh56kh1", "mb1ic16ih64oc16oh64kh11ph5"} {
		p, err := conv.ParseDescriptor(d, conv.OpConv)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := rowsSplit(&p, 2); n < 16 {
			t.Errorf("direct-rows on %s, 2 workers: %d tasks, want ≥ 16", d, n)
		}
	}
}

// TestOwnHeldTakeRows: after takeRows, every row a task reads was filled
// in its run, by this call or an earlier one of the same run, whatever
// order the tasks come in (a worker's own block ascending, stolen tasks
// anywhere); and a worker's next task in its block fills only the rows
// past what it holds.
func TestOwnHeldTakeRows(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var h ownHeld
		filled := map[int]bool{} // rows filled in the current run
		run := int64(1)
		for i, n := 0, rapid.IntRange(1, 30).Draw(rt, "calls"); i < n; i++ {
			if rapid.IntRange(0, 9).Draw(rt, "new-run") == 0 {
				run++
				clear(filled)
			}
			r0 := rapid.IntRange(0, 40).Draw(rt, "r0")
			r1 := r0 + rapid.IntRange(0, 12).Draw(rt, "rows")
			f0, f1 := h.takeRows(run, r0, r1)
			for r := f0; r < f1; r++ {
				filled[r] = true
			}
			for r := r0; r < r1; r++ {
				if !filled[r] {
					rt.Fatalf("run %d: rows [%d, %d) read, row %d never filled in the run (filled [%d, %d) now)", run, r0, r1, r, f0, f1)
				}
			}
		}
	})
	var h ownHeld
	h.takeRows(1, 0, 10)
	if f0, f1 := h.takeRows(1, 8, 18); f0 != 10 || f1 != 18 {
		t.Errorf("the next task's rows [8, 18) after [0, 10): filled [%d, %d), want [10, 18)", f0, f1)
	}
}

// TestGemmCutCovers: convGemm's tasks of an (image, group) compute every
// output position of every channel exactly once, whatever the shape and
// workers, and where panelSplit's ragged last tile is cut by channels, the
// affine blocks of the workers give each worker one full tile and at most
// one block of the rest: on random draws at the test tiles, and on four
// fixed ones that cut a rest (random draws seldom do: an odd count of at
// most 11 positions whose pairs the workers divide). At the production
// tiles MobileNet's 512→512 1×1 at 14² on two workers is two tiles of 96
// positions and the last 4 positions in two blocks of channels (1 and 3
// workers are what the conformance harness compares bit for bit; the bits
// are the tiles').
func TestGemmCutCovers(t *testing.T) {
	defer SetTiles(SetTiles(SmallTiles)) // whose 11-position tiles reach panelSplit at these sizes
	problem := func(ic, iw, oc int) conv.Problem {
		p := conv.New(conv.OpConv, 2)
		p.IC, p.OC, p.I = ic, oc, [3]int{1, 1, iw}
		if err := p.Resolve(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rapid.Check(t, func(rt *rapid.T) {
		p := problem(rapid.IntRange(1, 64).Draw(rt, "ic"), rapid.IntRange(1, 40).Draw(rt, "iw"), rapid.IntRange(1, 64).Draw(rt, "oc"))
		if msg := checkGemmCut(&p, rapid.IntRange(1, 16).Draw(rt, "workers")); msg != "" {
			rt.Fatal(msg)
		}
	})
	for _, c := range []struct{ ic, iw, oc, workers int }{{3, 7, 8, 3}, {4, 5, 9, 2}, {2, 9, 12, 4}, {1, 11, 7, 5}} {
		p := problem(c.ic, c.iw, c.oc)
		if gc := convGemmBlocks(&p, c.workers); gc.restBlocks == 0 {
			t.Errorf("%s on %d workers: %+v, no ragged last tile cut by channels", p.Descriptor(), c.workers, gc)
		}
		if msg := checkGemmCut(&p, c.workers); msg != "" {
			t.Error(msg)
		}
	}
	SetTiles(DefaultTiles)
	if _, nr, trans := gemm.Tile(512, 196, 512); nr != 48 || trans {
		return // the pure-Go tiles (noasm): no 48-column panels
	}
	p, _ := conv.ParseDescriptor("mb1ic512ih14oc512oh14kh1", conv.OpConv)
	if gc := convGemmBlocks(&p, 2); gc.ct != 96 || gc.tiles != 3 || gc.restBlocks != 2 || gc.perImage() != 4 {
		t.Errorf("512→512 at 14² on two workers: %+v; want tiles of 96, the last 4 positions in two blocks", gc)
	}
}

// checkGemmCut is TestGemmCutCovers' check of p's cut on workers: "" if
// it holds, else what failed.
func checkGemmCut(p *conv.Problem, workers int) string {
	gc := convGemmBlocks(p, workers)
	osp, ocg := conv.Spatial(p.O), p.OCG()
	seen := make([]int, osp*ocg)
	n := gc.perImage()
	for i := range n {
		tl, blk := gc.locate(i)
		o0, rows := gc.block(blk, ocg)
		if (blk >= gc.mblocks) != (gc.restBlocks > 0 && tl == gc.tiles-1) {
			return fmt.Sprintf("%s, %d workers: task %d: tile %d of %d with block %d (%d whole-tile blocks)", p.Descriptor(), workers, i, tl, gc.tiles, blk, gc.mblocks)
		}
		for o := o0; o < o0+rows; o++ {
			for j := tl * gc.ct; j < min(osp, (tl+1)*gc.ct); j++ {
				seen[o*osp+j]++
			}
		}
	}
	for i, c := range seen {
		if c != 1 {
			return fmt.Sprintf("%s, %d workers, %+v: channel %d position %d computed %d times", p.Descriptor(), workers, gc, i/osp, i%osp, c)
		}
	}
	if gc.restBlocks == 0 {
		return ""
	}
	for w := range workers {
		whole, rest := 0, 0
		for i := w * n / workers; i < (w+1)*n/workers; i++ {
			if _, blk := gc.locate(i); blk >= gc.mblocks {
				rest++
			} else {
				whole++
			}
		}
		if whole != 1 || rest > 1 {
			return fmt.Sprintf("%s, %d workers, %+v: worker %d's block has %d whole tiles and %d rest blocks", p.Descriptor(), workers, gc, w, whole, rest)
		}
	}
	return ""
}
