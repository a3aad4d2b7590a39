//go:build noasm || !amd64

package optimized

func rowsFMA(P int, c, init []float32, ldi int, x []float32, offs []int, w []float32, k int) {
	panic("unreachable")
}

func rowsStoreAsm(P int, c, out []float32, osp, chans int) { panic("unreachable") }
