//go:build noasm || !amd64

package optimized

func dwTapsAVX512(out *float32, n int, in *float32, offs *int, taps int, w, b *float32) {
	panic("unreachable")
}

func dwPackAVX512(buf, x *float32, chOff *int, isp int, dst *int32) { panic("unreachable") }

func dwUnpackAVX512(out, tmp *float32, chOff *int, nc, osp int, src *int32) { panic("unreachable") }
