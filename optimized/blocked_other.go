//go:build noasm || !amd64

package optimized

const hasBlockedAsm = false

func blockedAsm(mr int, c, bias, x []float32, offs []int, w []float32, k, accum int, mask uint64, pf, ldc int) {
	panic("unreachable")
}
