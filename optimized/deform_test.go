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
	type sampler = func([]float32, int, int, []float32, int, int, []int32, []float32, int, int)
	kernels := map[string]sampler{}
	if hasDeformAsm {
		kernels["avx512"] = deformPanelAsm
	}
	if hasDeformAVX2 {
		kernels["avx2"] = deformPanelAVX2 // 8 × 8 blocks, the rest in Go
	}
	if len(kernels) == 0 {
		t.Skip("no assembly sampler on this machine or build")
	}
	for name, kernel := range kernels {
		t.Run(name, func(t *testing.T) { testDeformPanel(t, kernel) })
	}
}

func testDeformPanel(t *testing.T, kernel func([]float32, int, int, []float32, int, int, []int32, []float32, int, int)) {
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
		want, got := run(deformPanelGo), run(kernel)
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

// TestDeformTapsAsmMatchesGo: the assembly tap-table row gives
// deformTapsGo's bits (bases, weights, flags) on rapid's offsets (inside,
// on the border, outside, NaN and ±Inf), masks or none, tails of the
// 8-lane loop, and leaves the table past n and past each weight row alone.
func TestDeformTapsAsmMatchesGo(t *testing.T) {
	if !hasDeformAsm {
		t.Skip("no assembly sampler on this machine or build")
	}
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 40).Draw(rt, "n")
		ih, iw := rapid.IntRange(1, 6).Draw(rt, "ih"), rapid.IntRange(1, 6).Draw(rt, "iw")
		ws := n + rapid.IntRange(0, 9).Draw(rt, "ws_extra")
		special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -1, 0, float32(ih), float32(iw), 1e-30, -0.5}
		off := func(label string) []float32 {
			s := make([]float32, n)
			for i := range s {
				if rapid.IntRange(0, 5).Draw(rt, label+"_kind") == 0 {
					s[i] = rapid.SampledFrom(special).Draw(rt, label+"_special")
				} else {
					s[i] = float32(rapid.IntRange(-600, 600).Draw(rt, label)) / 128
				}
			}
			return s
		}
		offY, offX := off("offy"), off("offx")
		var mask []float32
		if rapid.Bool().Draw(rt, "mask") {
			mask = make([]float32, n)
			for i := range mask {
				mask[i] = rapid.Float32Range(-2, 2).Draw(rt, "m")
			}
		}
		rowY, colX := make([]float64, n), make([]float64, n)
		for i := range rowY {
			rowY[i] = float64(rapid.IntRange(0, ih).Draw(rt, "oh"))
			colX[i] = float64(rapid.IntRange(0, iw).Draw(rt, "ow"))
		}
		dy, dx := float64(rapid.IntRange(-2, 2).Draw(rt, "dy")), float64(rapid.IntRange(-2, 2).Draw(rt, "dx"))
		run := func(f func([]int32, []float32, int, []float32, []float32, []float32, []float64, []float64, float64, float64, float64, float64, int) int) ([]int32, []float32, int) {
			base := make([]int32, n+3)
			w := make([]float32, 4*ws+3)
			for i := range base {
				base[i] = -7
			}
			for i := range w {
				w[i] = float32(math.NaN())
			}
			flags := f(base, w, ws, offY, offX, mask, rowY, colX, dy, dx, float64(ih), float64(iw), iw+2)
			return base, w, flags
		}
		bg, wg, fg := run(deformTapsAsm)
		bw, ww, fw := run(deformTapsGo)
		if fg != fw {
			rt.Fatalf("flags: asm %b, Go %b", fg, fw)
		}
		for i := range bw {
			if bg[i] != bw[i] {
				rt.Fatalf("base[%d]: asm %d, Go %d", i, bg[i], bw[i])
			}
		}
		for i := range ww {
			if math.Float32bits(wg[i]) != math.Float32bits(ww[i]) {
				rt.Fatalf("w[%d] (row %d, column %d): asm %v, Go %v", i, i/ws, i%ws, wg[i], ww[i])
			}
		}
	})
}

// BenchmarkDeformPad times the channel-interleaved bordered copy of the
// benchmark layer's input (one image, 32 channels of 28×28).
func BenchmarkDeformPad(b *testing.B) {
	p := BenchProblems()[8].Problem
	ex := newPlanExecutor(1)
	defer ex.release()
	in := BenchInputs(&p, 1)
	d := newDeform(ex, &p, in.W, in.B)
	d.in = in
	for b.Loop() {
		for y := 0; y < p.MB*p.I[1]; y++ {
			d.runPad(0, y)
		}
	}
}

// TestDeformPadAsmMatchesGo: the assembly block transpose writes exactly
// deformPadGo's nx × nc block (the rest of dst keeps its NaN poison).
func TestDeformPadAsmMatchesGo(t *testing.T) {
	if !hasDeformAsm {
		t.Skip("no assembly sampler on this machine or build")
	}
	rapid.Check(t, func(rt *rapid.T) {
		nx, nc := rapid.IntRange(1, 16).Draw(rt, "nx"), rapid.IntRange(1, 16).Draw(rt, "nc")
		ldd, lds := nc+rapid.IntRange(0, 20).Draw(rt, "ldd_extra"), nx+rapid.IntRange(0, 20).Draw(rt, "lds_extra")
		src := make([]float32, (nc-1)*lds+nx)
		for i := range src {
			src[i] = float32(i) + 0.5
		}
		run := func(f func([]float32, int, []float32, int, int, int)) []float32 {
			dst := make([]float32, (nx-1)*ldd+nc+ldd)
			for i := range dst {
				dst[i] = float32(math.NaN())
			}
			f(dst, ldd, src, lds, nx, nc)
			return dst
		}
		want, got := run(deformPadGo), run(deformPadAsm)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				rt.Fatalf("dst[%d] (pixel %d, channel %d): asm %v, Go %v", i, i/ldd, i%ldd, got[i], want[i])
			}
		}
	})
}
