package convtest

import "github.com/convverify/convverify/conv"

// Regressions returns the fixed problems Run checks on every run, before the
// random ones: shapes that once exposed a bug, or that reach a corner a
// random draw reaches seldom, at sizes that cross the production block
// sizes of a fast implementation. Every op has some, so an op with a single
// implementation is checked against the reference here too, not only
// against itself.
func Regressions() []conv.Problem {
	var ps []conv.Problem
	add := func(p conv.Problem) {
		mustResolve(&p) // a conv's end padding made tight, so its descriptor reproduces it
		ps = append(ps, p)
	}
	// Two images, two groups, asymmetric and negative end padding.
	c := conv.New(conv.OpConv, 2)
	c.MB, c.G, c.IC, c.OC = 2, 2, 6, 4
	c.I, c.K = [3]int{1, 7, 9}, [3]int{1, 3, 3}
	c.PBegin, c.PEnd = [3]int{0, 1, 2}, [3]int{0, 0, -1}
	add(c)
	// 3D, per-axis stride and dilation.
	c3 := conv.New(conv.OpConv, 3)
	c3.IC, c3.OC = 3, 5
	c3.I, c3.K, c3.S, c3.Dil = [3]int{4, 5, 6}, [3]int{2, 3, 2}, [3]int{1, 2, 1}, [3]int{1, 1, 2}
	c3.PBegin, c3.PEnd = [3]int{1, 1, 0}, [3]int{0, 2, 1}
	add(c3)
	// 3D gather im2col over more than one 512-column tile: a tile starts
	// inside a later depth slice (a tile-start bug hid here).
	v := conv.New(conv.OpConv, 3)
	v.IC, v.OC = 1, 2
	v.I, v.K, v.S = [3]int{19, 19, 19}, [3]int{3, 3, 3}, [3]int{2, 2, 2}
	add(v)
	// Dilated kernels at stride 1 in 2D and 3D, the FFT's corner (a kernel
	// placed by its undilated extent hid here).
	fd := conv.New(conv.OpConv, 2)
	fd.MB, fd.IC, fd.OC = 2, 2, 3
	fd.I, fd.K, fd.Dil, fd.PBegin, fd.PEnd = [3]int{1, 9, 8}, [3]int{1, 3, 2}, [3]int{1, 2, 3}, [3]int{0, 2, 1}, [3]int{0, 2, 2}
	add(fd)
	fd3 := conv.New(conv.OpConv, 3)
	fd3.IC, fd3.OC = 2, 2
	fd3.I, fd3.K, fd3.Dil, fd3.PBegin, fd3.PEnd = [3]int{6, 5, 7}, [3]int{2, 2, 3}, [3]int{2, 3, 1}, [3]int{1, 0, 1}, [3]int{1, 0, 1}
	add(fd3)
	// Dilation with stride 2.
	ds := conv.New(conv.OpConv, 2)
	ds.IC, ds.OC = 3, 4
	ds.I, ds.K, ds.S, ds.Dil, ds.PBegin, ds.PEnd = [3]int{1, 11, 10}, [3]int{1, 3, 3}, [3]int{1, 2, 2}, [3]int{1, 2, 2}, [3]int{0, 2, 2}, [3]int{0, 2, 2}
	add(ds)
	// Depthwise with a channel multiplier, stride 2 on one axis.
	dw := conv.New(conv.OpConv, 2)
	dw.G, dw.IC, dw.OC = 3, 3, 6
	dw.I, dw.K, dw.S = [3]int{1, 6, 7}, [3]int{1, 3, 3}, [3]int{1, 2, 1}
	dw.PBegin, dw.PEnd = [3]int{0, 1, 1}, [3]int{0, 1, 1}
	add(dw)
	// Depthwise 3×3 at stride 2 on both axes (the path from the input
	// rows): two images, 19 outputs a row (a chunk of 16 and a
	// masked tail).
	d2 := conv.New(conv.OpConv, 2)
	d2.MB, d2.G, d2.IC, d2.OC = 2, 3, 3, 3
	d2.I, d2.K, d2.S = [3]int{1, 13, 37}, [3]int{1, 3, 3}, [3]int{1, 2, 2}
	d2.PBegin, d2.PEnd = [3]int{0, 1, 1}, [3]int{0, 1, 1}
	add(d2)
	// Depthwise, a 3×5 kernel (so the window path, not the 3×3 one from
	// the input rows), two images, 19 output rows: a last window of 1 row
	// under the test tiles' windows of 3 (the census demands that
	// remainder with several images).
	d1 := conv.New(conv.OpConv, 2)
	d1.MB, d1.G, d1.IC, d1.OC = 2, 2, 2, 2
	d1.I, d1.K = [3]int{1, 19, 21}, [3]int{1, 3, 5}
	d1.PBegin, d1.PEnd = [3]int{0, 1, 2}, [3]int{0, 1, 2}
	add(d1)
	// Depthwise, a 5×3 kernel, 9 rows of padding above and below 4 input
	// rows: under the test tiles' windows of 3 output rows, the first
	// windows read padding only (the census demands that path, and the
	// random rounds drew it rarely enough that CI's six missed it once).
	dp := conv.New(conv.OpConv, 2)
	dp.G, dp.IC, dp.OC = 2, 2, 2
	dp.I, dp.K = [3]int{1, 4, 40}, [3]int{1, 5, 3}
	dp.PBegin, dp.PEnd = [3]int{0, 9, 1}, [3]int{0, 9, 1}
	add(dp)
	// Depthwise 3×3 at stride 1 (the path from the input rows), two
	// images, 19 outputs a row: a chunk of 16 and a masked tail.
	d3 := conv.New(conv.OpConv, 2)
	d3.MB, d3.G, d3.IC, d3.OC = 2, 3, 3, 3
	d3.I, d3.K = [3]int{1, 9, 19}, [3]int{1, 3, 3}
	d3.PBegin, d3.PEnd = [3]int{0, 1, 1}, [3]int{0, 1, 1}
	add(d3)
	// Depthwise, one channel, a 3×5 kernel, a narrow plane of 5 output
	// rows: one window for the whole plane under the test tiles (more rows
	// than their windows of 3, fewer bytes than their 1 KiB).
	d0 := conv.New(conv.OpConv, 2)
	d0.G, d0.IC, d0.OC = 1, 1, 1
	d0.I, d0.K = [3]int{1, 5, 6}, [3]int{1, 3, 5}
	d0.PBegin, d0.PEnd = [3]int{0, 1, 2}, [3]int{0, 1, 2}
	add(d0)
	// Unit stride, 2×5 outputs: im2col-gemm's padded-grid (wide) path,
	// whose one row block of the test tiles is cut into single rows for
	// the workers (its row split).
	ws := conv.New(conv.OpConv, 2)
	ws.IC, ws.OC = 2, 1
	ws.I, ws.K = [3]int{1, 3, 5}, [3]int{1, 2, 1}
	add(ws)
	// Pointwise, 17 input channels (past a 16-wide block), stride 2.
	pw := conv.New(conv.OpConv, 1)
	pw.IC, pw.OC = 17, 5
	pw.I, pw.S, pw.PEnd = [3]int{1, 1, 9}, [3]int{1, 1, 2}, [3]int{0, 0, -1}
	add(pw)
	// Pointwise, 7 output positions and 8 channels, one image: on three
	// workers the GEMM's panels split three ways and the ragged last
	// position is cut by output channels (im2col/panel-rest; the random
	// rounds reach it seldom: only 6 and 7 positions split evenly there).
	pr := conv.New(conv.OpConv, 2)
	pr.IC, pr.OC = 3, 8
	pr.I = [3]int{1, 1, 7}
	add(pr)
	// Winograd-shaped, odd output (edge tiles), several chunks.
	wg := conv.New(conv.OpConv, 2)
	wg.MB, wg.G, wg.IC, wg.OC = 2, 2, 4, 6
	wg.I, wg.K, wg.PBegin, wg.PEnd = [3]int{1, 9, 11}, [3]int{1, 3, 3}, [3]int{0, 1, 1}, [3]int{0, 1, 1}
	add(wg)
	// Deconv in every rank: output padding, dilation, padding wider than
	// the kernel with negative end padding.
	for _, r := range []int{1, 2, 3} {
		d := conv.New(conv.OpDeconv, r)
		d.MB, d.G, d.IC, d.OC = 2, 2, 4, 6
		for _, a := range d.Axes() {
			d.I[a], d.K[a], d.S[a], d.Dil[a] = 3, 3, 2, 1+a%2
			d.PBegin[a], d.PEnd[a] = 1, 0 // output padding 1
		}
		d.PBegin[2], d.PEnd[2] = 5, -2
		add(d)
	}
	// 3D deconv, one image and group, 4×4×4 at stride 2: deconv-rows' own
	// padded volume per worker in every depth plane (the census demands
	// the path; the random rounds reach it only at several workers).
	d3d := conv.New(conv.OpDeconv, 3)
	d3d.IC, d3d.OC = 3, 4
	for a := range 3 {
		d3d.I[a], d3d.K[a], d3d.S[a], d3d.PBegin[a], d3d.PEnd[a] = 3, 4, 2, 1, 1
	}
	add(d3d)
	// End padding so negative that every scatter target misses the output.
	far := conv.New(conv.OpDeconv, 1)
	far.IC, far.OC = 2, 3
	far.I, far.K, far.PBegin, far.PEnd = [3]int{1, 1, 2}, [3]int{1, 1, 2}, [3]int{0, 0, 4}, [3]int{0, 0, -4}
	add(far)
	// Deform: two images, two offset groups and a mask together (a mask
	// stride bug hid here), groups, stride 2 on one axis.
	df := conv.New(conv.OpDeform, 2)
	df.MB, df.G, df.IC, df.OC, df.DG, df.Mask = 2, 2, 4, 4, 2, true
	df.I, df.K, df.S = [3]int{1, 5, 6}, [3]int{1, 3, 2}, [3]int{1, 1, 2}
	df.PBegin, df.PEnd = [3]int{0, 1, 1}, [3]int{0, 1, 0}
	add(df)
	// Deform, dilated, no mask, three offset groups, over several column tiles.
	df2 := conv.New(conv.OpDeform, 2)
	df2.MB, df2.IC, df2.OC, df2.DG = 2, 3, 2, 3
	df2.I, df2.K, df2.Dil, df2.PBegin, df2.PEnd = [3]int{1, 24, 25}, [3]int{1, 3, 3}, [3]int{1, 2, 1}, [3]int{0, 2, 1}, [3]int{0, 2, 1}
	add(df2)
	// Dynamic: softmax routing over three experts, three images, groups.
	dy := conv.New(conv.OpDynamic, 2)
	dy.MB, dy.G, dy.IC, dy.OC, dy.E = 3, 2, 4, 6, 3
	dy.Routing, dy.Temperature = conv.RoutingSoftmax, 0.7
	dy.I, dy.K = [3]int{1, 5, 5}, [3]int{1, 3, 3}
	dy.PBegin, dy.PEnd = [3]int{0, 1, 1}, [3]int{0, 1, 1}
	add(dy)
	// Dynamic 3D, sigmoid routing, strided and dilated.
	dy3 := conv.New(conv.OpDynamic, 3)
	dy3.MB, dy3.IC, dy3.OC, dy3.E = 2, 2, 3, 2
	dy3.I, dy3.K, dy3.S, dy3.Dil = [3]int{5, 6, 7}, [3]int{2, 3, 3}, [3]int{2, 1, 2}, [3]int{1, 2, 1}
	dy3.PBegin, dy3.PEnd = [3]int{0, 2, 1}, [3]int{0, 2, 1}
	add(dy3)
	// Dynamic 3D, softmax routing, two images: the corner the properties'
	// required paths name (dynamic/softmax under 3D and a batch), which
	// random draws reach about once in 200.
	dys := conv.New(conv.OpDynamic, 3)
	dys.MB, dys.IC, dys.OC, dys.E = 2, 3, 2, 3
	dys.Routing, dys.Temperature = conv.RoutingSoftmax, 0.5
	dys.I, dys.K = [3]int{4, 5, 6}, [3]int{2, 3, 3}
	dys.PBegin, dys.PEnd = [3]int{1, 1, 1}, [3]int{0, 1, 1}
	add(dys)
	return ps
}
