package optimized

// SetBlockedFast replaces Best's test of whether the blocked kernel runs
// in assembly, until restore is called.
func SetBlockedFast(fast bool) (restore func()) {
	old := blockedFast
	blockedFast = func() bool { return fast }
	return func() { blockedFast = old }
}

// RowsAsm reports whether direct-rows' AVX-512 kernels run here (Best
// chooses it only then).
func RowsAsm() bool { return rowsAVX512() }
