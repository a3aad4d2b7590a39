//go:build !noasm

package gemm

import "golang.org/x/sys/cpu"

//go:noescape
func peak512(iters int)

//go:noescape
func peak256(iters int)

var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func peakUnit() string {
	switch {
	case cpu.X86.HasAVX512F:
		return "avx512"
	case hasAVX2FMA:
		return "avx2"
	}
	return "portable"
}

func peakProbe(iters int) {
	switch peakUnit() {
	case "avx512":
		peak512(iters)
	case "avx2":
		peak256(iters)
	default:
		peakGo(iters)
	}
}

func peakProbeAVX2(iters int) {
	if hasAVX2FMA {
		peak256(iters)
		return
	}
	peakGo(iters)
}
