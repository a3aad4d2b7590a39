//go:build noasm || !amd64

package optimized

func blockedBestISA() blockedISAKind { return blockedGoISA }

func blockedCanRun(isa blockedISAKind) bool { return isa == blockedGoISA }

func blockedAsm(isa blockedISAKind, mr, T int, c, bias, x []float32, offs []int, w []float32, k, accum, n, pf, ldc int) {
	panic("unreachable")
}
