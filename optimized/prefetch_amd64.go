//go:build !noasm

package optimized

// prefetchRowsWAsm is prefetch_amd64.s.
//
//go:noescape
func prefetchRowsWAsm(p *float32, stride, rows, lines int)

// prefetchRowsW asks for lines 64-byte lines from the start of p, in each
// of rows rows stride floats apart, for writing (PREFETCHW: Broadwell and
// later; earlier Intel CPUs execute its encoding as a NOP). The lines may
// run past p: prefetches never fault.
func prefetchRowsW(p []float32, stride, rows, lines int) {
	if len(p) > 0 {
		prefetchRowsWAsm(&p[0], stride, rows, lines)
	}
}
