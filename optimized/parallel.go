package optimized

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// vecAlign is one AVX-512 vector in float32s.
const vecAlign = 16

// alignVec drops the first elements of buf (fewer than vecAlign) so that it
// starts on a 64-byte boundary.
func alignVec(buf []float32) []float32 {
	if len(buf) == 0 {
		return buf
	}
	mis := int(uintptr(unsafe.Pointer(&buf[0])) % 64 / 4)
	return buf[(vecAlign-mis)%vecAlign:]
}

// forEach runs f(worker, task) for every task in [0, n) on at most workers
// goroutines (the caller's among them). The caller fixes the decomposition
// into tasks independently of workers and each output element belongs to one
// task, so which worker runs a task never changes the result. worker is in
// [0, min(workers, n)) and indexes per-worker scratch.
func forEach(workers, n int, f func(worker, task int)) {
	if forEachHook != nil {
		forEachHook(n)
	}
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	run := func(w int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			f(w, i)
		}
	}
	wg.Add(workers - 1)
	for w := 1; w < workers; w++ {
		go func(w int) {
			defer wg.Done()
			run(w)
		}(w)
	}
	run(0)
	wg.Wait()
}

// forEachHook, when set (by tests, never while a variant runs), is called
// with every forEach's task count: TestTasksMatchForEach checks Tasks
// against the decomposition the variants actually make.
var forEachHook func(n int)

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// bufPool holds float32 buffers that one-shot calls borrow for their
// workspaces (executor.floats), so that repeated calls do not allocate
// megabytes of im2col columns and padded copies each time.
var bufPool sync.Pool

// getBuf returns a pooled buffer (contents arbitrary), or a new one of cap n.
func getBuf(n int) *[]float32 {
	if b, ok := bufPool.Get().(*[]float32); ok {
		return b
	}
	b := make([]float32, n)
	return &b
}
