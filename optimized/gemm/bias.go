package gemm

// The row bias of a product C = A·B + bias (SgemmPackedABias): added to
// each tile of C right after the first KC block's micro-kernel stored it,
// while the tile is in L1, instead of a pass that fills C with the bias
// before a beta = 1 product. Either way each element is rounded once as
// S + bias after the first KC block (the kernels merge S + 1·C by one
// fused multiply-add, which rounds the same sum once), so the two give the
// same bits. The fill pass was 4–14% of a 1×1 convolution's time with
// the AVX-512 kernels. With the AVX2 kernels (addBiasRowsAVX2) the two
// ran alike (paired, one core, Zen 3: pointwise 1×1 layers at 56², 112²,
// 14² and 7², 0.97–1.02); the add is kept there so that both kernel sets
// take the same path (gemm/bias-per-tile), which the tests demand.

// addBiasRowsAsm is the assembly addBiasRows where the CPU has it, else
// nil (then the products that would use it fill C first: BiasFused).
var addBiasRowsAsm func(c []float32, ldc int, bias []float32, rows, cols int)

// BiasFused reports whether SgemmPackedABias adds the bias per tile: with
// the assembly add, or with the Go add where the product runs the
// portable kernel anyway (-tags noasm: correct and slow, and the build
// that must take every path). Else (an assembly kernel without the
// assembly add) a caller does better to fill C with the bias and run
// SgemmPackedA with beta = 1, which gives the same bits: a scalar add per
// tile would cost more than the fill.
func BiasFused() bool { return addBiasRowsAsm != nil || active() == portable }

// addBiasRows sets c[i·ldc + j] += bias[i] for i < rows, j < cols.
func addBiasRows(c []float32, ldc int, bias []float32, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	_ = c[(rows-1)*ldc+cols-1]
	_ = bias[rows-1]
	if addBiasRowsAsm != nil {
		addBiasRowsAsm(c, ldc, bias, rows, cols)
		return
	}
	addBiasRowsGo(c, ldc, bias, rows, cols)
}

func addBiasRowsGo(c []float32, ldc int, bias []float32, rows, cols int) {
	for i := 0; i < rows; i++ {
		b := bias[i]
		row := c[i*ldc : i*ldc+cols]
		for j := range row {
			row[j] += b
		}
	}
}
