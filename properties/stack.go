package properties

import (
	"fmt"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// ComposeKernels returns the single kernel of two stacked stride-1, unpadded,
// undilated convolutions without a nonlinearity between them: first maps c0
// to c1 channels with kernel size k1, second c1 to c2 with k2 (per axis,
// [D, H, W]); weights [C_out, C_in, K…]. For cross-correlation,
//
//	W[o, i, c] = Σ_m Σ_{a + b = c} second[o, m, b] · first[m, i, a],
//
// the full convolution of the kernels, of size k1 + k2 − 1 per axis.
func ComposeKernels(first []float64, c0, c1 int, k1 [3]int, second []float64, c2 int, k2 [3]int) ([]float64, [3]int) {
	var k [3]int
	for a := range k {
		k[a] = k1[a] + k2[a] - 1
	}
	w := make([]float64, c2*c0*conv.Spatial(k))
	for o := 0; o < c2; o++ {
		for m := 0; m < c1; m++ {
			each3(k2, func(bd, bh, bw int) {
				s := second[at(c1, k2, o, m, bd, bh, bw)]
				if s == 0 {
					return
				}
				for i := 0; i < c0; i++ {
					each3(k1, func(ad, ah, aw int) {
						w[at(c0, k, o, i, ad+bd, ah+bh, aw+bw)] += s * first[at(c0, k1, m, i, ad, ah, aw)]
					})
				}
			})
		}
	}
	return w, k
}

// PropStackedKernelsConvolve: n stacked convolutions with no nonlinearity are
// exactly one convolution whose kernel is the n kernels convolved, of size
// Σ(k−1) + 1, which is also conv.ReceptiveField of the stack. For n layers of
// 3×3 on C channels that is one (2n+1)×(2n+1) kernel: two 3×3 hold 18·C²
// weights against 25·C² for the 5×5 they equal, three hold 27·C² against 49·C².
func PropStackedKernelsConvolve(t *rapid.T) {
	rank := rapid.IntRange(1, 2).Draw(t, "rank")
	n := rapid.IntRange(2, 3).Draw(t, "layers")
	rng := RNG(t)
	chans := []int{rapid.IntRange(1, 3).Draw(t, "c0")}
	x0 := conv.New(conv.OpConv, rank)
	total := [3]int{1, 1, 1}
	var ks [][3]int
	for l := 0; l < n; l++ {
		chans = append(chans, rapid.IntRange(1, 3).Draw(t, "c"))
		k := [3]int{1, 1, 1}
		for _, a := range x0.Axes() {
			k[a] = rapid.IntRange(1, 4).Draw(t, "k")
			total[a] += k[a] - 1
		}
		ks = append(ks, k)
	}
	var size [3]int
	for a := range size {
		size[a] = 1
	}
	for _, a := range x0.Axes() {
		size[a] = total[a] + rapid.IntRange(0, 5).Draw(t, "extra")
	}
	x := ints(rng, chans[0]*conv.Spatial(size), 3)
	y, cur := x, size
	var comp []float64
	compK := [3]int{1, 1, 1}
	weights := 0
	for l := 0; l < n; l++ {
		p := conv.New(conv.OpConv, rank)
		p.IC, p.OC, p.I, p.K = chans[l], chans[l+1], cur, ks[l]
		if err := p.Resolve(); err != nil {
			t.Fatalf("layer %d: %v", l, err)
		}
		w := ints(rng, conv.Elems(p.WeightShape()), 2)
		weights += len(w)
		y, cur = refConv(&p, y, w, nil, nil), p.O
		if l == 0 {
			comp, compK = w, ks[0]
		} else {
			comp, compK = ComposeKernels(comp, chans[0], chans[l], compK, w, chans[l+1], ks[l])
		}
	}
	one := conv.New(conv.OpConv, rank)
	one.IC, one.OC, one.I, one.K = chans[0], chans[n], size, compK
	if err := one.Resolve(); err != nil {
		t.Fatalf("composed conv: %v", err)
	}
	equalExact(t, fmt.Sprintf("one conv with the %d kernels convolved", n), one.DstShape(), refConv(&one, x, comp, nil, nil), y)
	layers := make([]conv.Layer, n)
	for l := range layers {
		layers[l] = conv.Layer{K: ks[l][conv.W], S: 1, Dil: 1}
	}
	if rf := conv.ReceptiveField(layers); rf[n-1].Size != compK[conv.W] {
		t.Fatalf("receptive field %d, composed kernel size %d", rf[n-1].Size, compK[conv.W])
	}
	all3 := true
	for _, k := range ks {
		for _, a := range one.Axes() {
			all3 = all3 && k[a] == 3
		}
	}
	if all3 && rank == 2 {
		eq := true
		for _, c := range chans {
			eq = eq && c == chans[0]
		}
		c2 := chans[0] * chans[0]
		if eq && (weights != 9*n*c2 || len(comp) != (2*n+1)*(2*n+1)*c2) {
			t.Fatalf("%d stacked 3×3 on C=%d: %d weights (want 9n·C² = %d), composed %d (want (2n+1)²·C² = %d)",
				n, chans[0], weights, 9*n*c2, len(comp), (2*n+1)*(2*n+1)*c2)
		}
	}
}

// LayerGen draws one layer of a receptive-field stack: a plain conv, a
// dilated conv, a pooling window (k = s) or a strided conv, each with some
// begin padding.
func LayerGen() *rapid.Generator[conv.Layer] {
	return rapid.Custom(func(t *rapid.T) conv.Layer {
		var l conv.Layer
		switch rapid.IntRange(0, 3).Draw(t, "kind") {
		case 0: // plain
			l = conv.Layer{K: rapid.IntRange(1, 5).Draw(t, "k"), S: 1, Dil: 1}
		case 1: // dilated
			l = conv.Layer{K: rapid.IntRange(2, 3).Draw(t, "k"), S: 1, Dil: rapid.IntRange(2, 4).Draw(t, "dil")}
		case 2: // pooling
			k := rapid.IntRange(2, 3).Draw(t, "k")
			l = conv.Layer{K: k, S: k, Dil: 1}
		default: // strided conv
			l = conv.Layer{K: rapid.IntRange(1, 4).Draw(t, "k"), S: 2, Dil: 1}
		}
		l.P = rapid.IntRange(0, conv.ExtKernel(l.K, l.Dil)-1).Draw(t, "p")
		return l
	})
}

// PropReceptiveFieldMeasured: for a random 1D stack of conv, dilated, pooling
// and strided layers, the input positions that can influence one final unit
// are found by pulling an impulse at that unit back through the stack with
// the adjoint (reference.Deconv, all-ones kernels, so nothing cancels). Their
// span equals conv.ReceptiveField's Size, centred where its Start and Jump say.
func PropReceptiveFieldMeasured(t *rapid.T) {
	layers := rapid.SliceOfN(LayerGen(), 1, 5).Draw(t, "layers")
	f := conv.ReceptiveField(layers)
	last := f[len(f)-1]
	if last.Jump > 64 {
		t.Skip("stack too strided for a small input")
	}
	n := 2*last.Size + 4*last.Jump + 8
	probs := make([]conv.Problem, len(layers))
	size := n
	for i, l := range layers {
		p := conv.New(conv.OpConv, 1)
		p.I[conv.W], p.K[conv.W], p.S[conv.W], p.Dil[conv.W], p.PBegin[conv.W] = size, l.K, l.S, l.Dil, l.P
		ext := p.ExtK(conv.W)
		o := conv.OutSize(size, l.K, l.S, l.P, l.P, l.Dil)
		if o < 1 {
			t.Skip("stack shrinks the input to nothing")
		}
		p.PEnd[conv.W] = (o-1)*l.S - size + ext - l.P
		if err := p.Resolve(); err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		probs[i] = p
		size = p.O[conv.W]
	}
	// A unit whose whole theoretical field lies inside the input.
	unit := -1
	for u := 0; u < size; u++ {
		c := last.Start + float64(u*last.Jump)
		lo := c - float64(last.Size-1)/2
		if lo >= 0 && lo+float64(last.Size-1) <= float64(n-1) {
			unit = u
			break
		}
	}
	if unit < 0 {
		t.Fatalf("no unit of %d has its field of %d inside the input of %d", size, last.Size, n)
	}
	g := make([]float64, size)
	g[unit] = 1
	for i := len(probs) - 1; i >= 0; i-- {
		p := probs[i]
		d := p
		d.Op, d.I, d.O = conv.OpDeconv, p.O, p.I
		if err := d.Validate(); err != nil {
			t.Fatalf("adjoint of layer %d: %v", i, err)
		}
		ones := make([]float64, p.K[conv.W])
		for j := range ones {
			ones[j] = 1
		}
		g = refDeconv(&d, g, ones, nil, nil)
	}
	lo, hi := -1, -1
	for i, v := range g {
		if v != 0 {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	wantLo := last.Start + float64(unit*last.Jump) - float64(last.Size-1)/2
	if lo < 0 || hi-lo+1 != last.Size || float64(lo) != wantLo {
		t.Fatalf("unit %d: impulse support [%d, %d] (span %d), formula: span %d from %g (jump %d, start %g)",
			unit, lo, hi, hi-lo+1, last.Size, wantLo, last.Jump, last.Start)
	}
}

// PropReceptiveFieldEnlargers: in any stack, a larger kernel, a larger
// dilation (of a kernel with more than one tap) and an inserted pooling layer
// each make the final receptive field strictly larger: section 4's three ways.
func PropReceptiveFieldEnlargers(t *rapid.T) {
	layers := rapid.SliceOfN(LayerGen(), 1, 6).Draw(t, "layers")
	i := rapid.IntRange(0, len(layers)-1).Draw(t, "at")
	rf := func(ls []conv.Layer) int { f := conv.ReceptiveField(ls); return f[len(f)-1].Size }
	base := rf(layers)
	mod := func(f func(*conv.Layer)) []conv.Layer {
		c := append([]conv.Layer(nil), layers...)
		f(&c[i])
		return c
	}
	if got := rf(mod(func(l *conv.Layer) { l.K++ })); got <= base {
		t.Fatalf("kernel %d→%d at layer %d: field %d → %d", layers[i].K, layers[i].K+1, i, base, got)
	}
	if layers[i].K > 1 {
		if got := rf(mod(func(l *conv.Layer) { l.Dil++ })); got <= base {
			t.Fatalf("dilation %d→%d at layer %d: field %d → %d", layers[i].Dil, layers[i].Dil+1, i, base, got)
		}
	}
	pooled := append(append(append([]conv.Layer(nil), layers[:i]...), conv.Layer{K: 2, S: 2, Dil: 1}), layers[i:]...)
	if got := rf(pooled); got <= base {
		t.Fatalf("2×2 pooling before layer %d: field %d → %d", i, base, got)
	}
}
