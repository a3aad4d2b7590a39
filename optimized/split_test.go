package optimized

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
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
