//go:build !noasm

package optimized

import "golang.org/x/sys/cpu"

//go:noescape
func multiTapAVX512(out *float32, n, rows, ldo int, base *float32, ldb int, offs *int, w *float32, taps int, bias float32)

//go:noescape
func multiTapAVX2(out *float32, n, rows, ldo int, base *float32, ldb int, offs *int, w *float32, taps int, bias float32)

// hasMultiTapAsm reports whether the AVX-512 kernels of this family run:
// the row kernel's, and those of the depthwise 3×3 and channels-last
// paths and the row copies (deinterleave.go), which have no AVX2 form.
var hasMultiTapAsm = cpu.X86.HasAVX512F

// bestMultiTapISA is the best row kernel this machine runs: AVX-512, else
// AVX2+FMA, else Go.
func bestMultiTapISA() multiTapISAKind {
	switch {
	case cpu.X86.HasAVX512F:
		return multiTapAVX512ISA
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return multiTapAVX2ISA
	}
	return multiTapGoISA
}

// multiTapCanRun reports whether this machine and build run isa's row kernel.
func multiTapCanRun(isa multiTapISAKind) bool {
	switch isa {
	case multiTapAVX512ISA:
		return cpu.X86.HasAVX512F
	case multiTapAVX2ISA:
		return cpu.X86.HasAVX2 && cpu.X86.HasFMA
	}
	return true
}

func multiTapAsm(isa multiTapISAKind, out []float32, n, rows, ldo int, base []float32, ldb int, offs []int, w []float32, bias float32) {
	if isa == multiTapAVX2ISA {
		multiTapAVX2(&out[0], n, rows, ldo, &base[0], ldb, &offs[0], &w[0], len(offs), bias)
		return
	}
	multiTapAVX512(&out[0], n, rows, ldo, &base[0], ldb, &offs[0], &w[0], len(offs), bias)
}

//go:noescape
func dwS2PlaneAVX2(out *float32, ow, oh int, x *float32, iw, ih, ph, pw int, zero *float32, chunks *int32, n int, w *float32, bias float32)
