package optimized

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/convverify/convverify/conv"
	"pgregory.net/rapid"
)

// TestWorkerPoolRunsEveryTaskOnce drives plan pools through their three
// ways of waking a helper (still spinning, parked after helperSpin, parked
// because another pool started a call) and through closing: every call runs
// each task exactly once, on a worker index below min(workers, tasks), and
// returns only after the last one has finished.
func TestWorkerPoolRunsEveryTaskOnce(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		helpers := rapid.IntRange(1, 5).Draw(rt, "helpers")
		pools := []*workerPool{newWorkerPool(helpers), newWorkerPool(rapid.IntRange(1, 3).Draw(rt, "helpers2"))}
		defer pools[0].close()
		defer pools[1].close()
		calls := rapid.IntRange(1, 12).Draw(rt, "calls")
		for c := 0; c < calls; c++ {
			wp := pools[rapid.IntRange(0, 1).Draw(rt, "pool")]
			n := rapid.IntRange(2, 40).Draw(rt, "tasks")
			switch rapid.IntRange(0, 2).Draw(rt, "gap") {
			case 1: // helpers still spinning
				time.Sleep(20 * time.Microsecond)
			case 2: // helpers parked
				time.Sleep(helperSpin + time.Millisecond)
			}
			ran := make([]atomic.Int32, n)
			var running atomic.Int32
			limit := min(len(wp.helpers)+1, n)
			var bad atomic.Int32
			wp.run(n, func(w, i int) {
				running.Add(1)
				if w < 0 || w >= limit {
					bad.Store(int32(w) + 1000)
				}
				if i%3 == 0 {
					time.Sleep(10 * time.Microsecond)
				}
				ran[i].Add(1)
				running.Add(-1)
			}, rapid.Bool().Draw(rt, "affine"))
			if r := running.Load(); r != 0 {
				rt.Fatalf("call %d returned with %d tasks still running", c, r)
			}
			if b := bad.Load(); b != 0 {
				rt.Fatalf("call %d: worker %d outside [0, %d)", c, b-1000, limit)
			}
			for i := range ran {
				if k := ran[i].Load(); k != 1 {
					rt.Fatalf("call %d: task %d of %d ran %d times", c, i, n, k)
				}
			}
		}
	})
}

// TestClaimTagsDoNotAlias: a block that the last call did not use still
// holds the count of an older call, whose tag comes round again every
// 2^claimTagBits calls; run clears it, and every task of the call whose
// tag matches it still runs once. (Planted: without the clear, the
// blocks of the first call were taken as already claimed.)
func TestClaimTagsDoNotAlias(t *testing.T) {
	wp := newWorkerPool(2)
	defer wp.close()
	const n = 30
	ran := make([]atomic.Int32, n)
	count := func(_, i int) { ran[i].Add(1) }
	wp.run(n, count, true)  // three blocks, tagged with gen 1
	wp.run(n, count, false) // block 0 only, gen 2
	// as if 2^claimTagBits − 1 calls of one block had followed: the next
	// call's tag is gen 1's again
	wp.job.Store(1 << claimTagBits << 16)
	wp.run(n, count, true)
	for i := range ran {
		if k := ran[i].Load(); k != 3 {
			t.Errorf("task %d ran %d times in 3 calls", i, k)
		}
	}
}

// TestWorkerPoolLayout: the call's fields share a cache line that only
// the caller writes, left has one of its own, and each block's claims
// another (a worker's claims must not move the call's line).
func TestWorkerPoolLayout(t *testing.T) {
	var wp workerPool
	if o := unsafe.Offsetof(wp.parts); o >= 64 {
		t.Errorf("parts at byte %d, past the call's line", o)
	}
	if o := unsafe.Offsetof(wp.left); o != 64 {
		t.Errorf("left at byte %d, want 64", o)
	}
	if s := unsafe.Sizeof(wp); s%64 != 0 {
		t.Errorf("workerPool is %d bytes, not whole cache lines (its allocations are then not line-aligned)", s)
	}
	if s := unsafe.Sizeof(paddedCount{}); s != 64 {
		t.Errorf("paddedCount is %d bytes, want a cache line", s)
	}
}

// TestWorkerPoolsConcurrently: plans run from different goroutines at once
// (each plan from one) do not disturb one another's calls.
func TestWorkerPoolsConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			wp := newWorkerPool(g + 1)
			defer wp.close()
			for c := range 200 {
				n := 2 + (c*7+g)%17
				var sum atomic.Int64
				wp.run(n, func(_, i int) { sum.Add(int64(i + 1)) }, c%2 == 0)
				if s, want := sum.Load(), int64(n*(n+1)/2); s != want {
					t.Errorf("pool %d call %d: task sum %d, want %d", g, c, s, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestOneShotPoolsConcurrently: one-shot calls from several goroutines at
// once, at worker counts that share idlePools' pools, each give a plan's
// bits, and no pool is handed to two executors at a time (a pool's
// helpers would run two calls' tasks: the race detector and the results
// would see it). Afterwards the cache holds at most maxIdlePools pools
// per helper count.
func TestOneShotPoolsConcurrently(t *testing.T) {
	p, err := conv.ParseDescriptor("mb2ic5ih9oc7oh9kh3ph1", conv.OpConv)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := Lookup("direct-rows")
	in := BenchInputs(&p, 3)
	pl, err := v.Prepare(&p, in.W, in.B, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	want := make([]float32, dstLen(&p))
	if err := pl.Run(conv.Inputs[float32]{X: in.X}, want); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			out := make([]float32, len(want))
			for c := range 30 {
				if err := v.Run(&p, in, out, 2+(g+c)%3); err != nil {
					t.Error(err)
					return
				}
				if !slices.Equal(out, want) {
					t.Errorf("goroutine %d call %d: one-shot result differs from the plan's", g, c)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		// two calls on one pool wait on each other's helpers for ever
		t.Fatal("one-shot calls still running after a minute")
	}
	idlePools.Lock()
	defer idlePools.Unlock()
	for h, l := range idlePools.m {
		if len(l) > maxIdlePools {
			t.Errorf("%d idle pools of %d helpers, want at most %d", len(l), h, maxIdlePools)
		}
	}
}

// BenchmarkWorkerPoolRun: the fixed cost of a call of a pool with one
// helper whose tasks do almost nothing, what a small layer on two workers
// pays beside its arithmetic (run with -cpu 2: with one processor the
// helper does not spin):
//
//	go test ./optimized -run '^$' -bench WorkerPoolRun -cpu 2 -count 6
func BenchmarkWorkerPoolRun(b *testing.B) {
	for _, n := range []int{2, 32} {
		for _, affine := range []bool{false, true} {
			b.Run(fmt.Sprintf("tasks=%d/affine=%v", n, affine), func(b *testing.B) {
				wp := newWorkerPool(1)
				defer wp.close()
				var sink [2]struct {
					n int
					_ [56]byte
				}
				f := func(w, i int) { sink[w].n += i }
				for b.Loop() {
					wp.run(n, f, affine)
				}
			})
		}
	}
}
