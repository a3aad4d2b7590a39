//go:build !noasm

package optimized

//go:noescape
func dwTapsAVX512(out *float32, n int, in *float32, offs *int, taps int, w, b *float32)

//go:noescape
func dwPackAVX512(buf, x *float32, chOff *int, isp int, dst *int32)

//go:noescape
func dwUnpackAVX512(out, tmp *float32, chOff *int, nc, osp int, src *int32)
