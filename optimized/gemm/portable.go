package gemm

// The portable kernel's register tile. 4×16 keeps the accumulator array small
// enough that the compiler keeps each row's loads and stores in L1.
const (
	portMR = 4
	portNR = 16
)

var portable = &kernel{
	name: "portable",
	mr:   portMR, nr: portNR,
	kc: 256, mc: 32 * portMR, nc: 256 * portNR,
	micro: microPortable,
}

func microPortable(kc int, a, b, c []float32, ldc int, beta float32, accum bool) {
	var acc [portMR][portNR]float32
	a = a[:kc*portMR]
	b = b[:kc*portNR]
	for p := 0; p < kc; p++ {
		ap := (*[portMR]float32)(a[p*portMR:])
		bp := (*[portNR]float32)(b[p*portNR:])
		for i := range portMR {
			ai := ap[i]
			row := &acc[i]
			for j := range portNR {
				row[j] += ai * bp[j]
			}
		}
	}
	for i := range portMR {
		row := c[i*ldc : i*ldc+portNR]
		if !accum {
			copy(row, acc[i][:])
			continue
		}
		for j := range row {
			row[j] = acc[i][j] + beta*row[j]
		}
	}
}
