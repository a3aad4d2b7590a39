//go:build !noasm

package optimized

//go:noescape
func deinterleave2Rows(dst *float32, ph, ldd int, src *float32, soff, lds, rows int, masks *uint64, chunks int)

//go:noescape
func prefetchLines(p *float32, n int)

// prefetch asks for x into L2 ahead of its use (see prefetchLines).
func prefetch(x []float32) {
	if len(x) > 0 {
		prefetchLines(&x[0], len(x))
	}
}

//go:noescape
func copyRowsAVX512(dst *float32, ldd int, src *float32, lds, n, rows int)
