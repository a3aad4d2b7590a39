package optimized

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// TestDeformPanelAsmMatchesGo: the assembly sampler gives deformPanelGo's
// bits on rapid's channel counts (one block, several, a masked tail),
// store widths, strides and tap tables, writes exactly the nc rows of sw
// columns it is asked for (the rest of dst keeps its NaN poison).
func TestDeformPanelAsmMatchesGo(t *testing.T) {
	if !hasDeformAsm {
		t.Skip("no assembly sampler on this machine or build")
	}
	rapid.Check(t, func(rt *rapid.T) {
		nc := rapid.IntRange(1, 40).Draw(rt, "nc")
		cs := nc + rapid.IntRange(0, 5).Draw(rt, "extra_channels")
		sw := rapid.IntRange(1, 16).Draw(rt, "sw")
		ldd := sw + rapid.IntRange(0, 40).Draw(rt, "ldd_extra")
		ph, pw := rapid.IntRange(2, 6).Draw(rt, "ph"), rapid.IntRange(2, 7).Draw(rt, "pw")
		ws := 16 + rapid.IntRange(0, 20).Draw(rt, "ws_extra")
		// the image: pixels × cs channels; the sampler reads channels
		// [0, nc) of x, which starts at channel cs − nc of the first pixel
		skip := cs - nc
		img := make([]float32, ph*pw*cs)
		for i := range img {
			img[i] = float32(rapid.IntRange(-1000, 1000).Draw(rt, "x")) / 64
		}
		x := img[skip:]
		base := make([]int32, 16)
		w := make([]float32, 4*ws)
		for j := range base {
			// the top-left neighbour of a 2×2 cell inside the image
			base[j] = int32(rapid.IntRange(0, ph-2).Draw(rt, "y")*pw + rapid.IntRange(0, pw-2).Draw(rt, "xcol"))
			for i := 0; i < 4; i++ {
				w[i*ws+j] = rapid.Float32Range(-2, 2).Draw(rt, "w")
			}
		}
		run := func(f func([]float32, int, int, []float32, int, int, []int32, []float32, int, int)) []float32 {
			dst := make([]float32, (nc-1)*ldd+sw+ldd)
			for i := range dst {
				dst[i] = float32(math.NaN())
			}
			f(dst, ldd, sw, x, cs, pw, base, w, ws, nc)
			return dst
		}
		want, got := run(deformPanelGo), run(deformPanelAsm)
		for i := range want {
			c, j := i/ldd, i%ldd
			written := c < nc && j < sw
			if written == math.IsNaN(float64(got[i])) {
				rt.Fatalf("dst[%d] (channel %d, column %d): %v; written=%v", i, c, j, got[i], written)
			}
			if written && math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				rt.Fatalf("channel %d column %d: asm %v, Go %v", c, j, got[i], want[i])
			}
		}
	})
}

// TestDeformTileBounds: the column tiles cover [0, osp) in order, none
// empty, as many as ceil(osp/colTile) (Tasks counts them so), at the
// production and the test tile sizes; at the production size the inner
// boundaries fall on 48-column panels.
func TestDeformTileBounds(t *testing.T) {
	for _, ct := range []int{DefaultTiles.ColTile, SmallTiles.ColTile, 100} {
		old := SetTiles(Tiles{ColTile: ct})
		for osp := 1; osp <= 40*ct; osp += 1 + osp/7 {
			tiles := ceilDiv(osp, colTile)
			b := deformTileBounds(osp, tiles)
			if len(b) != tiles+1 || b[0] != 0 || b[tiles] != osp {
				t.Fatalf("colTile %d, osp %d: bounds %v", ct, osp, b)
			}
			for i := 0; i < tiles; i++ {
				if b[i+1] <= b[i] || b[i+1]-b[i] > colTile+48 {
					t.Fatalf("colTile %d, osp %d: tile %d is [%d, %d)", ct, osp, i, b[i], b[i+1])
				}
				if ct == DefaultTiles.ColTile && i > 0 && b[i]%48 != 0 {
					t.Fatalf("osp %d: boundary %d off the 48-column panels", osp, b[i])
				}
			}
		}
		SetTiles(old)
	}
}
