//go:build !noasm

package optimized

import "golang.org/x/sys/cpu"

//go:noescape
func deinterleave2Rows(dst *float32, ph, ldd int, src *float32, soff, lds, rows int, masks *uint64, chunks int)

//go:noescape
func copyRowsAVX512(dst *float32, ldd int, src *float32, lds, n, rows int)

//go:noescape
func gather2RowsAVX512(dst *float32, ldd int, src *float32, lds, n, rows int)

//go:noescape
func zip2RowsAVX512(dst *float32, ldd int, a, b *float32, lds, n, rows int)

//go:noescape
func scatter2RowsAVX512(dst *float32, ldd int, src *float32, lds, n, rows int)

//go:noescape
func dwS2PlaneAVX512(out *float32, ow, oh int, x *float32, iw, ih, ph, pw int, zero *float32, masks *uint64, chunks int, w *float32, bias float32)

//go:noescape
func dwS1PlaneAVX512(out *float32, ow, oh int, x *float32, iw, ih, ph, pw int, zero *float32, masks *uint64, chunks int, w *float32, bias float32)

//go:noescape
func deinterleave2AVX2(even, odd, src *float32, n int)

// hasDeinterleaveAVX2 reports whether deinterleave2AVX2 runs here.
var hasDeinterleaveAVX2 = cpu.X86.HasAVX2
