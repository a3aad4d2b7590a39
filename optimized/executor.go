package optimized

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convverify/convverify/optimized/gemm"
)

// executor is where a variant's work runs: the worker count, the goroutines
// that run its tasks, and where its buffers come from.
//
// A prepared plan (Plan) owns a persistent executor: its helper goroutines
// wait between runs (polling a while, then on channels: workerPool) and its
// buffers are allocated once, so a run allocates nothing. A one-shot call
// (Variant.Run) uses a transient one: helpers borrowed from idlePools and
// buffers borrowed from bufPool, both given back at the end of the call.
type executor struct {
	workers int
	pool    *workerPool // persistent helpers (plans with workers > 1), else nil
	oneShot bool
	pooled  []*[]float32      // buffers borrowed from bufPool (one-shot)
	gemm    []*gemm.Workspace // per worker, made on first use
}

var gemmPool sync.Pool // of *gemm.Workspace, for one-shot executors

// gemmWS is worker wk's GEMM workspace.
func (e *executor) gemmWS(wk int) *gemm.Workspace {
	return e.gemm[wk]
}

// useGemm gives every worker a GEMM workspace (at preparation) for
// products up to m×k times k×n: any worker may run any task, so each is
// sized for the largest.
func (e *executor) useGemm(m, n, k int) {
	defer func() {
		for _, ws := range e.gemm {
			ws.Reserve(m, n, k)
		}
	}()
	if e.gemm != nil {
		return
	}
	e.gemm = make([]*gemm.Workspace, e.workers)
	for i := range e.gemm {
		if e.oneShot {
			if ws, ok := gemmPool.Get().(*gemm.Workspace); ok {
				e.gemm[i] = ws
				continue
			}
		}
		e.gemm[i] = new(gemm.Workspace)
	}
}

func newOneShot(workers int) *executor {
	e := &executor{workers: max(1, workers), oneShot: true}
	if e.workers > 1 {
		e.pool = idlePools.get(e.workers - 1)
	}
	return e
}

// idlePools keeps the worker pools of finished one-shot calls, a few per
// helper count, for the next: a one-shot call that started goroutines per
// forEach woke an idle thread for each, about 100 µs apiece on the 2-vCPU
// VM (workerPool), and at 2 workers took 1.2–1.7× a plan's run on layers
// of 0.5–4 ms (deconv 2D 1.66×, where one worker's one-shot took 1.1×).
// A pool handed out is used by one call at a time; its helpers spin for
// helperSpin after each call and then park, as a plan's do.
var idlePools = poolCache{m: map[int][]*workerPool{}}

// maxIdlePools is the most pools idlePools keeps per helper count: enough
// for a few one-shot calls at once; a pool given back beyond it is closed.
const maxIdlePools = 4

type poolCache struct {
	sync.Mutex
	m map[int][]*workerPool
}

// get returns an idle pool of helpers helpers, or a new one.
func (c *poolCache) get(helpers int) *workerPool {
	c.Lock()
	if l := c.m[helpers]; len(l) > 0 {
		wp := l[len(l)-1]
		c.m[helpers] = l[:len(l)-1]
		c.Unlock()
		return wp
	}
	c.Unlock()
	return newWorkerPool(helpers)
}

// put keeps wp for a later get, or closes it.
func (c *poolCache) put(wp *workerPool) {
	helpers := len(wp.helpers)
	c.Lock()
	if l := c.m[helpers]; len(l) < maxIdlePools {
		c.m[helpers] = append(l, wp)
		c.Unlock()
		return
	}
	c.Unlock()
	wp.close()
}

func newPlanExecutor(workers int) *executor {
	e := &executor{workers: max(1, workers)}
	if e.workers > 1 {
		e.pool = newWorkerPool(e.workers - 1)
	}
	return e
}

// forEach runs f(worker, task) for every task in [0, n) (see forEach). In a
// plan f must be built once, at preparation: a closure made per run
// escapes to the helpers and allocates.
func (e *executor) forEach(n int, f func(worker, task int)) { e.runTasks(n, f, false) }

// forEachAffine is forEach where task i prefers worker ⌊i·W/n⌋ (W the
// workers that take part): each worker runs its own contiguous block of
// tasks first and then helps with the others' (see workerPool.drain). A
// variant that numbers two phases' tasks alike (a fill of input rows and the
// compute over the same rows) thus mostly reads on each core what that core
// wrote.
func (e *executor) forEachAffine(n int, f func(worker, task int)) { e.runTasks(n, f, true) }

// runTasks is forEach (affine false) and forEachAffine.
func (e *executor) runTasks(n int, f func(worker, task int), affine bool) {
	if e.pool == nil || n <= 1 {
		forEach(e.workers, n, f)
		return
	}
	if forEachHook != nil {
		forEachHook(n)
	}
	e.pool.run(n, f, affine)
}

// floats returns a buffer of n floats, zero on return (callers that need
// a zero background, such as padded volumes, rely on it and keep the
// padding zero across runs by writing only data slots).
func (e *executor) floats(n int) []float32 {
	b := e.scratch(n)
	if e.oneShot {
		clear(b)
	}
	return b
}

// scratch returns a buffer of n floats whose contents are arbitrary: for
// a workspace that every run writes in full before reading (im2col
// columns, GEMM outputs), which a one-shot call need not clear.
func (e *executor) scratch(n int) []float32 {
	if !e.oneShot {
		return make([]float32, n)
	}
	b := getBuf(n)
	if cap(*b) < n {
		*b = make([]float32, n)
	}
	*b = (*b)[:n]
	e.pooled = append(e.pooled, b)
	return *b
}

// packA packs the m×k weights a (leading dimension lda) for the GEMM in
// a buffer of the executor's (gemm.PackAInto): a one-shot call borrows
// it from the pool instead of taking a new slice per call.
func (e *executor) packA(m, k int, a []float32, lda int) *gemm.PackedA {
	return gemm.PackAInto(e.scratch(gemm.PackedALen(m, k)), m, k, a, lda)
}

// perWorker returns one scratch buffer of n floats per worker.
func (e *executor) perWorker(n int) [][]float32 {
	s := make([][]float32, e.workers)
	for i := range s {
		s[i] = e.scratch(n)
	}
	return s
}

// perWorkerZero is perWorker with every buffer zero on return.
func (e *executor) perWorkerZero(n int) [][]float32 {
	s := make([][]float32, e.workers)
	for i := range s {
		s[i] = e.floats(n)
	}
	return s
}

// release gives the borrowed buffers back (one-shot) and stops the helper
// goroutines; the executor must not be used afterwards.
func (e *executor) release() {
	for _, b := range e.pooled {
		bufPool.Put(b)
	}
	e.pooled = nil
	if e.oneShot {
		for _, ws := range e.gemm {
			gemmPool.Put(ws)
		}
	}
	e.gemm = nil
	if e.pool != nil {
		if e.oneShot {
			idlePools.put(e.pool)
		} else {
			e.pool.close()
		}
		e.pool = nil
	}
}

// workerPool is a fixed set of helper goroutines that run forEach's tasks
// with the calling goroutine, allocating nothing per call.
//
// Why the helpers spin: a helper blocked on a channel is a parked thread,
// and waking it is the operating system's (on a virtual machine, the
// hypervisor's) business. On the 2-vCPU development VM the woken helper
// began its first task about 100 µs after the send, so two 100 µs tasks
// took 208 µs and the caller ran both; 2-worker layers of a few
// milliseconds gained 1.3× instead of 1.9×. So after each call a helper
// polls for the next one for helperSpin, yielding its processor every few
// polls, and parks only when that passes without work, or at once when
// another pool starts a call (poolEpoch: in a network the next layer's
// plan has helpers of its own, and a helper spinning for the previous one
// would hold the processor they need). The caller likewise polls for the
// helpers' end instead of sleeping on a WaitGroup.
type workerPool struct {
	// The call, in one cache line that only the caller writes: job is
	// gen<<16 | helpers in it (a helper that sees gen change joins when
	// its index is within the count); f, n and parts are written before
	// job is stored, which orders them before the helpers' reads. The
	// call's tasks are parts blocks, [b·n/parts, (b+1)·n/parts): one
	// shared by all, or (affine) one a worker. used is how many blocks
	// the previous call had (see claims).
	job         atomic.Uint64
	f           func(worker, task int)
	n           int
	parts, used int
	_           [24]byte
	// left counts the helpers still in the call, on a line of its own:
	// the helpers write it as they finish while others may still be
	// reading the call's line.
	left atomic.Int64
	_    [56]byte
	// claims holds each block's claim count, a cache line each (in an
	// affine call every worker claims from its own), tagged with the call
	// that counts in it (claim).
	claims  []paddedCount
	helpers []poolHelper
	closed  atomic.Bool
	_       [12]byte // whole lines, so that the allocator aligns the first (TestWorkerPoolLayout)
}

// paddedCount is a block's claims: the call's tag (its gen, modulo
// 2^claimTagBits) above claimCountBits bits of count.
type paddedCount struct {
	atomic.Uint64
	_ [56]byte
}

const (
	claimCountBits = 40 // tasks a block: more would take days to run
	claimTagBits   = 64 - claimCountBits
)

// claimTag is the tag of job's call in its blocks' claim counts.
func claimTag(job uint64) uint64 { return job >> 16 & (1<<claimTagBits - 1) }

// claim returns the next index of the call tagged tag in block c: the
// first claim of the call starts the count afresh instead of the caller
// clearing every block before it. Why: the counts are lines the workers
// wrote in the previous call, and the caller's clear moved each to the
// caller's core and back to its worker's on every call (with poolEpoch's
// bump, see run: BenchmarkWorkerPoolRun, two workers, 0.89 against 1.01
// µs a call of 2 tasks and 1.01 against 1.31 of 32 affine ones, medians
// of 6 alternated runs on the 2-vCPU Zen 5 in a noisy period, p = 0.09
// and 0.02; more lines move with more workers). A block whose tag is not
// this call's holds the previous call's count: run clears a block the
// previous call did not use, so an older tag cannot match this one.
func (c *paddedCount) claim(tag uint64) int64 {
	for {
		v := c.Load()
		if v>>claimCountBits != tag {
			if c.CompareAndSwap(v, tag<<claimCountBits|1) {
				return 0
			}
			continue // another worker started the count
		}
		return int64(c.Add(1)&(1<<claimCountBits-1)) - 1
	}
}

// poolHelper is one helper's parking place: parked is 1 while it sleeps
// on wake (or is about to); a caller that swaps it to 0 owes it one send.
type poolHelper struct {
	parked atomic.Int32
	wake   chan struct{}
}

// helperSpin is how long an idle helper polls for the next call before it
// parks; poolEpoch counts calls of every pool.
var (
	helperSpin = 200 * time.Microsecond
	poolEpoch  atomic.Uint64
	lastPool   atomic.Pointer[workerPool] // the pool whose call bumped poolEpoch last (a closed one stays reachable until another runs)
)

// maxPoolHelpers is the most helpers job's count field holds.
const maxPoolHelpers = 1<<16 - 1

func newWorkerPool(helpers int) *workerPool {
	helpers = min(helpers, maxPoolHelpers)
	wp := &workerPool{helpers: make([]poolHelper, helpers), claims: make([]paddedCount, helpers+1)}
	for i := range wp.helpers {
		h := &wp.helpers[i]
		h.wake = make(chan struct{}, 1)
		go wp.serve(h, i+1)
	}
	return wp
}

// serve is helper w's loop: wait for a call, join it if counted in.
func (wp *workerPool) serve(h *poolHelper, w int) {
	var seen uint64
	for {
		job, ok := wp.await(h, seen)
		if !ok {
			return
		}
		seen = job >> 16
		if w <= int(job&maxPoolHelpers) {
			wp.drain(w, job)
			wp.left.Add(-1)
		}
	}
}

// await returns the first job whose gen differs from seen, spinning for
// helperSpin and then parked; false once the pool is closed.
func (wp *workerPool) await(h *poolHelper, seen uint64) (uint64, bool) {
	if runtime.GOMAXPROCS(0) > 1 {
		epoch := poolEpoch.Load()
		start := time.Now()
		for spins := 1; ; spins++ {
			if job := wp.job.Load(); job>>16 != seen {
				return job, true
			}
			if spins%64 == 0 {
				if wp.closed.Load() || poolEpoch.Load() != epoch || time.Since(start) > helperSpin {
					break
				}
				runtime.Gosched()
			}
		}
	}
	for {
		h.parked.Store(1)
		if job := wp.job.Load(); job>>16 != seen && h.parked.CompareAndSwap(1, 0) {
			return job, true
		}
		if wp.closed.Load() && h.parked.CompareAndSwap(1, 0) {
			return 0, false
		}
		if _, ok := <-h.wake; !ok {
			return 0, false
		}
		if job := wp.job.Load(); job>>16 != seen {
			return job, true
		}
	}
}

// drain runs worker w's share of the call job: its own block first (block
// w mod parts), then the others' in turn.
func (wp *workerPool) drain(w int, job uint64) {
	tag := claimTag(job)
	for k := range wp.parts {
		b := (w + k) % wp.parts
		lo, hi := b*wp.n/wp.parts, (b+1)*wp.n/wp.parts
		for {
			i := lo + int(wp.claims[b].claim(tag))
			if i >= hi {
				break
			}
			wp.f(w, i)
		}
	}
}

// run runs f over n tasks on the caller and the helpers: from one shared
// counter, or (affine) each worker from its own block first.
func (wp *workerPool) run(n int, f func(worker, task int), affine bool) {
	helpers := min(len(wp.helpers), n-1)
	wp.f, wp.n, wp.parts = f, n, 1
	if affine {
		wp.parts = helpers + 1
	}
	job := (wp.job.Load()>>16+1)<<16 | uint64(helpers)
	for i := wp.used; i < wp.parts; i++ {
		// unused by the last call: its tag may be an older call's
		wp.claims[i].Store(claimTag(job) << claimCountBits)
	}
	wp.used = wp.parts
	wp.left.Store(int64(helpers))
	wp.job.Store(job)
	// only when another pool ran since: a helper polls poolEpoch, and
	// bumping it on every call moved its line to the caller's core and
	// back each time
	if lastPool.Load() != wp {
		lastPool.Store(wp)
		poolEpoch.Add(1)
	}
	for i := range wp.helpers[:helpers] {
		if h := &wp.helpers[i]; h.parked.Load() == 1 && h.parked.CompareAndSwap(1, 0) {
			h.wake <- struct{}{}
		}
	}
	wp.drain(0, job)
	for spins := 1; wp.left.Load() != 0; spins++ {
		if spins%64 == 0 {
			runtime.Gosched()
		}
	}
	wp.f = nil
}

// close stops the helpers (Plan.Close, or the plan's cleanup: either may
// come first, and both may come).
func (wp *workerPool) close() {
	if wp.closed.Swap(true) {
		return
	}
	for i := range wp.helpers {
		close(wp.helpers[i].wake)
	}
}
