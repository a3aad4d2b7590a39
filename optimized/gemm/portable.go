package gemm

// The portable kernel's register tile: 8 scalar accumulators plus the 4 B and
// 2 A values fit the X registers the amd64 compiler allocates; a 4×4 tile
// spilled to the stack and ran 3× slower.
const (
	portMR = 2
	portNR = 4
)

var portable = &kernel{
	name: "portable",
	mr:   portMR, nr: portNR,
	kc: 256, mc: 64 * portMR, nc: 1024 * portNR,
	micro: microPortable,
}

func microPortable(kc int, a, b, c []float32, ldc int, beta float32, accum bool) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	a = a[:kc*portMR]
	b = b[:kc*portNR]
	for p := 0; p < kc; p++ {
		ap := (*[portMR]float32)(a[p*portMR:])
		bp := (*[portNR]float32)(b[p*portNR:])
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0 := ap[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := ap[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
	}
	acc := [portMR][portNR]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
	}
	for i := range portMR {
		row := (*[portNR]float32)(c[i*ldc:])
		if !accum {
			*row = acc[i]
			continue
		}
		for j := range row {
			row[j] = acc[i][j] + beta*row[j]
		}
	}
}
