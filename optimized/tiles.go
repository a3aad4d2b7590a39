package optimized

// The block sizes of the variants' tasks. Each is fixed by the problem
// alone, never by workers, so the GEMM calls and their summation order are
// the same whatever the parallel split. They are variables only so that
// tests can make them small (SetTiles(SmallTiles)): then every small drawn
// problem crosses a block remainder on every axis, which at the production
// sizes only large problems do.
var (
	// colTile is the number of output positions per im2col, deformable
	// im2col and col2im task, and bounds the rows of a wide im2col task.
	colTile = 512
	// ocBlock × rowBlock is direct-tiled's task: output channels × output rows.
	ocBlock  = 4
	rowBlock = 8
	// dwRows is the output-row block of depthwisePlane, and dwWhole the
	// window (bytes) up to which it takes a whole plane as one block
	// (dwBlockRows).
	dwRows  = 16
	dwWhole = 16 << 10
	// winoChunk is the number of Winograd tiles per task.
	winoChunk = 128
	// gemmRows is the output-channel block (GEMM rows, a multiple of it)
	// of a GEMM task when convGemm splits over output channels too (see
	// splitTarget): 42 is the least common multiple of the GEMM
	// micro-kernels' MR (14, 6, 2), so no block but the last has a row tail.
	// convGemm rounds it up to the M unit gemm.Tile reports for the layer
	// (gemmBlockRows): 48 where the 7×48ᵀ tile runs a 7×7 plane.
	gemmRows = 42
	// rowsNarrow is the largest input of a group, in bytes, on which the
	// AVX2 kernels take direct-rows' narrow tile (rowsShape): 2 MiB,
	// between the largest input measured faster on it (0.8 MB) and the
	// smallest measured slower (3.2 MB).
	rowsNarrow = 2 << 20
)

// Tiles are the block sizes of the variants' tasks.
type Tiles struct {
	ColTile    int // output positions per im2col / col2im / deform task
	OCBlock    int // output channels per direct-tiled task
	RowBlock   int // output rows per direct-tiled task
	DwRows     int // output rows per depthwise window
	DwWhole    int // bytes up to which a depthwise window holds the whole plane
	WinoChunk  int // Winograd tiles per task
	GemmRows   int // output channels per GEMM task when the GEMM splits over them
	RowsNarrow int // bytes of a group's input up to which direct-rows' AVX2 kernels take the narrow tile
}

// DefaultTiles are the production block sizes.
var DefaultTiles = Tiles{ColTile: 512, OCBlock: 4, RowBlock: 8, DwRows: 16, DwWhole: 16 << 10, WinoChunk: 128, GemmRows: 42, RowsNarrow: 2 << 20}

// SmallTiles are block sizes for tests: small, prime or odd and different
// from each other, so that problems of a few pixels and channels already
// span several blocks with a remainder in every rank (a 3D output of 2×2×3
// spans two column tiles, the second starting inside a later depth slice),
// while a wide im2col task (ColTile / padded row width rows) still holds
// several rows of a narrow image, and a narrow depthwise plane whose
// window fits 1 KiB is still one block (so both of dwBlockRows's choices
// are drawn), and a group's input past 1 KiB takes direct-rows' wide
// tile with the AVX2 kernels (both of rowsShape's choices are drawn).
var SmallTiles = Tiles{ColTile: 11, OCBlock: 3, RowBlock: 3, DwRows: 3, DwWhole: 1 << 10, WinoChunk: 3, GemmRows: 5, RowsNarrow: 1 << 10}

// CurrentTiles returns the block sizes in use.
func CurrentTiles() Tiles {
	return Tiles{ColTile: colTile, OCBlock: ocBlock, RowBlock: rowBlock, DwRows: dwRows, DwWhole: dwWhole, WinoChunk: winoChunk, GemmRows: gemmRows, RowsNarrow: rowsNarrow}
}

// SetTiles sets the block sizes (every field ≥ 1; a field ≤ 0 keeps its
// value) and returns the previous ones. It is for tests: it must not be
// called while a variant runs.
func SetTiles(t Tiles) Tiles {
	old := CurrentTiles()
	set := func(dst *int, v int) {
		if v >= 1 {
			*dst = v
		}
	}
	set(&colTile, t.ColTile)
	set(&ocBlock, t.OCBlock)
	set(&rowBlock, t.RowBlock)
	set(&dwRows, t.DwRows)
	set(&dwWhole, t.DwWhole)
	set(&winoChunk, t.WinoChunk)
	set(&gemmRows, t.GemmRows)
	set(&rowsNarrow, t.RowsNarrow)
	return old
}
