package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAddBiasRows checks the row-bias add, the assembly where this CPU has
// it and the Go loop, at every column count 1–40 (the 16-wide vectors and
// every masked tail) and a few row counts, rows ldc = cols + 3 apart: each
// element it must touch gets exactly c + bias[row], and the gaps between
// rows and the guards around C keep their NaN poison.
func TestAddBiasRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	impls := []struct {
		name string
		f    func(c []float32, ldc int, bias []float32, rows, cols int)
	}{{"go", addBiasRowsGo}}
	if addBiasRowsAsm != nil {
		impls = append(impls, struct {
			name string
			f    func(c []float32, ldc int, bias []float32, rows, cols int)
		}{"asm", addBiasRowsAsm})
	}
	const guard = 16
	nan := float32(math.NaN())
	for _, im := range impls {
		for _, rows := range []int{1, 2, 7, 14} {
			for cols := 1; cols <= 40; cols++ {
				ldc := cols + 3
				buf := make([]float32, (rows-1)*ldc+cols+2*guard)
				for i := range buf {
					buf[i] = nan
				}
				c := buf[guard : guard+(rows-1)*ldc+cols]
				for i := 0; i < rows; i++ {
					for j := 0; j < cols; j++ {
						c[i*ldc+j] = float32(rng.IntN(201) - 100)
					}
				}
				c0 := append([]float32(nil), buf...)
				bias := make([]float32, rows+1)
				for i := range bias {
					bias[i] = float32(rng.IntN(21) - 10)
				}
				bias[rows] = nan // past the last row: never read
				im.f(c, ldc, bias, rows, cols)
				for p, v := range buf {
					want := c0[p]
					if q := p - guard; q >= 0 && q < len(c) && q%ldc < cols {
						want = c0[p] + bias[q/ldc]
					}
					if math.Float32bits(v) != math.Float32bits(want) {
						t.Fatalf("%s rows=%d cols=%d: word %d = %v, want %v", im.name, rows, cols, p, v, want)
					}
				}
			}
		}
	}
}

// TestSgemmPackedABias: C = A·B + bias by SgemmPackedABias has the bits of
// filling C with the bias and running SgemmPackedA with beta = 1, on every
// tile family's shapes (m multiples of 14, 8, 7 and not; n of 32 and 48
// columns and not, n = 49 for the transposed 7×48 tile; k over one and
// several KC blocks), with the bias fused and with it forced off; C's rows
// lie ldc = n + 5 apart and the gaps keep their NaN poison.
func TestSgemmPackedABias(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	nan := float32(math.NaN())
	run := func(t *testing.T) {
		var ws Workspace
		for _, m := range []int{1, 7, 8, 14, 29, 64, 70} {
			for _, n := range []int{1, 17, 32, 49, 96, 130} {
				for _, k := range []int{1, 5, 256, 300, 600} {
					a, b := randSlice(rng, m*k), randSlice(rng, k*n)
					bias := randSlice(rng, m)
					pa := PackA(m, k, a, k)
					ldc := n + 5
					got := make([]float32, (m-1)*ldc+n)
					for i := range got {
						got[i] = nan
					}
					want := append([]float32(nil), got...)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							want[i*ldc+j] = bias[i]
							got[i*ldc+j] = nan
						}
					}
					ws.SgemmPackedA(pa, n, b, n, 1, want, ldc)
					ws.SgemmPackedABias(pa, n, b, n, bias, got, ldc)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("m=%d n=%d k=%d (%s): word %d = %v, want %v", m, n, k, pa.kernelFor(n).name, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
	t.Run("fused", run)
	if addBiasRowsAsm != nil {
		old := addBiasRowsAsm
		addBiasRowsAsm = nil
		defer func() { addBiasRowsAsm = old }()
		t.Run("filled", run)
	}
}
