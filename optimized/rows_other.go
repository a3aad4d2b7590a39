//go:build noasm || !amd64

package optimized

func rowsFMA(oc, P int, c, init []float32, ldi int, x []float32, offs []int, w []float32, k int) {
	panic("unreachable")
}

func rowsFMAAVX2(oc, P int, c, init []float32, ldi int, x []float32, offs []int, w []float32, k int) {
	panic("unreachable")
}

func rowsStoreAsm(oc, P int, c, out []float32, osp, chans int) { panic("unreachable") }

func rowsStoreAVX2Asm(oc, P int, c, out []float32, osp, chans int) { panic("unreachable") }
