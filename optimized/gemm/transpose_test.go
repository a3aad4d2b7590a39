package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTransposeEverySize checks transpose (the AVX-512 16×16 blocks where
// the machine has them, and the AVX2 ones where it has those, Go for the edges) at every size up to three blocks
// and one, around two block edges, with padded leading dimensions: each
// element lands at its transposed place and every other word of dst,
// including the padding between and after rows, keeps its guard.
func TestTransposeEverySize(t *testing.T) {
	testTransposeEverySize(t)
	if transposeBlocksAVX2 != nil {
		old := transposeBlocks
		transposeBlocks = transposeBlocksAVX2
		defer func() { transposeBlocks = old }()
		t.Run("avx2", testTransposeEverySize)
	}
}

func testTransposeEverySize(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	guard := float32(math.Float32frombits(0x7fc0beef)) // a NaN no transpose writes
	sizes := append(upTo(49), 63, 64, 65)
	for _, rows := range sizes {
		for _, cols := range sizes {
			lds, ldd := cols+3, rows+5
			src := randSlice(rng, rows*lds+7)
			dst := make([]float32, cols*ldd+9)
			for i := range dst {
				dst[i] = guard
			}
			transpose(dst, ldd, src, lds, rows, cols)
			for j := 0; j < cols; j++ {
				for i := 0; i < ldd; i++ {
					got := dst[j*ldd+i]
					if i < rows {
						if want := src[i*lds+j]; got != want {
							t.Fatalf("%d×%d: dst[%d·ldd+%d] = %v, want src[%d·lds+%d] = %v", rows, cols, j, i, got, i, j, want)
						}
					} else if math.Float32bits(got) != math.Float32bits(guard) {
						t.Fatalf("%d×%d: padding dst[%d·ldd+%d] overwritten: %v", rows, cols, j, i, got)
					}
				}
			}
			for i := cols * ldd; i < len(dst); i++ {
				if math.Float32bits(dst[i]) != math.Float32bits(guard) {
					t.Fatalf("%d×%d: guard after dst overwritten at %d", rows, cols, i)
				}
			}
		}
	}
}
