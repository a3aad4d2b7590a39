package optimized

// SetBlockedFast replaces Best's test of whether the blocked kernel runs
// in assembly, until restore is called.
func SetBlockedFast(fast bool) (restore func()) {
	old := blockedFast
	blockedFast = func() bool { return fast }
	return func() { blockedFast = old }
}

// RowsISA names the row kernels in use, "avx512", "avx2" or "go": Best
// chooses the row variants only with assembly, and with AVX2 only on
// segments of rowsMinPosAVX2 outputs or more and never for 1×1.
func RowsISA() string {
	switch {
	case rowsAVX512():
		return "avx512"
	case rowsKernelsAsm():
		return "avx2"
	}
	return "go"
}
