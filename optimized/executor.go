package optimized

import (
	"sync"

	"github.com/convverify/convverify/optimized/gemm"
	"sync/atomic"
)

// executor is where a variant's work runs: the worker count, the goroutines
// that run its tasks, and where its buffers come from.
//
// A prepared plan (Plan) owns a persistent executor: its helper goroutines
// wait on channels between runs and its buffers are allocated once, so a
// run allocates nothing. A one-shot call (Variant.Run) uses a transient
// one: goroutines started per forEach and buffers borrowed from bufPool
// and given back at the end of the call.
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

func newOneShot(workers int) *executor { return &executor{workers: max(1, workers), oneShot: true} }

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
func (e *executor) forEach(n int, f func(worker, task int)) {
	if e.pool == nil || n <= 1 {
		forEach(e.workers, n, f)
		return
	}
	e.pool.forEach(n, f)
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
		e.pool.close()
		e.pool = nil
	}
}

// workerPool is a fixed set of helper goroutines that run forEach's tasks
// with the calling goroutine. Waking them is a channel send and waiting a
// WaitGroup: no allocation per call, unlike starting goroutines.
type workerPool struct {
	wake   []chan struct{}
	wg     sync.WaitGroup
	closed sync.Once
	// the current call; written before the wake-up sends, which order it
	// before the helpers' reads
	f    func(worker, task int)
	n    int
	next atomic.Int64
}

func newWorkerPool(helpers int) *workerPool {
	wp := &workerPool{wake: make([]chan struct{}, helpers)}
	for i := range wp.wake {
		ch := make(chan struct{})
		wp.wake[i] = ch
		go func(w int) {
			for range ch {
				wp.drain(w)
				wp.wg.Done()
			}
		}(i + 1)
	}
	return wp
}

func (wp *workerPool) drain(w int) {
	for {
		i := int(wp.next.Add(1) - 1)
		if i >= wp.n {
			return
		}
		wp.f(w, i)
	}
}

func (wp *workerPool) forEach(n int, f func(worker, task int)) {
	helpers := min(len(wp.wake), n-1)
	wp.f, wp.n = f, n
	wp.next.Store(0)
	wp.wg.Add(helpers)
	for _, ch := range wp.wake[:helpers] {
		ch <- struct{}{}
	}
	wp.drain(0)
	wp.wg.Wait()
	wp.f = nil
}

// close stops the helpers (Plan.Close, or the plan's cleanup: either may
// come first, and both may come).
func (wp *workerPool) close() {
	wp.closed.Do(func() {
		for _, ch := range wp.wake {
			close(ch)
		}
	})
}
