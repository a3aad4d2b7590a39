package adversarial

import "math"

// Sampler is one float32 evaluation of a deformable tap's column value
// mask·bilinear(x, p) (x one channel plane, row-major ih×iw).
type Sampler struct {
	Name string
	// Position: how p = (o·s − pad) + k·d + Δ is formed in float32.
	//   0: torchvision: the integer o·s − pad + k·d, then + Δ (one rounding);
	//   1: ONNX Runtime: float(o·s) + float(k·d − pad), then + Δ (one rounding);
	//   2: offset first: (float(o·s − pad) + Δ) + float(k·d) (two roundings).
	Position int
	// FMA evaluates the four-neighbour sum as an FMA chain (what a compiler
	// may contract w1·v1 + w2·v2 + … into).
	FMA bool
	// ZeroWeights: ONNX Runtime zeroes the weight of an outside neighbour and
	// reads a safe pixel; torchvision reads 0 for it. Same value in exact
	// arithmetic; in float32 it changes which products exist.
	ZeroWeights bool
}

// Samplers returns the torchvision and ONNX Runtime orders, with and without
// FMA, and the two-rounding position order.
func Samplers() []Sampler {
	return []Sampler{
		{Name: "torchvision", Position: 0},
		{Name: "torchvision+fma", Position: 0, FMA: true},
		{Name: "onnxruntime", Position: 1, ZeroWeights: true},
		{Name: "onnxruntime+fma", Position: 1, ZeroWeights: true, FMA: true},
		{Name: "offset-first", Position: 2},
	}
}

// position returns the float32 sampling position on one axis.
func (s Sampler) position(o, stride, pad, k, dil int, off float32) float32 {
	switch s.Position {
	case 1:
		return float32(float32(o*stride)+float32(k*dil-pad)) + off
	case 2:
		return float32(float32(o*stride-pad)+off) + float32(k*dil)
	}
	return float32(o*stride-pad+k*dil) + off
}

// bilinear interpolates plane (ih×iw) at (h, w) in float32 as
// torchvision's bilinear_interpolate and ONNX Runtime's sampling plan do.
func (s Sampler) bilinear(plane []float32, ih, iw int, h, w float32) float32 {
	if h <= -1 || float32(ih) <= h || w <= -1 || float32(iw) <= w {
		return 0
	}
	hl, wl := int(math.Floor(float64(h))), int(math.Floor(float64(w)))
	hh1, wh1 := hl+1, wl+1
	lh := float32(h - float32(hl))
	lw := float32(w - float32(wl))
	hh := float32(1 - lh)
	hw := float32(1 - lw)
	wt := [4]float32{float32(hh * hw), float32(hh * lw), float32(lh * hw), float32(lh * lw)}
	ok := [4]bool{hl >= 0 && wl >= 0, hl >= 0 && wh1 <= iw-1, hh1 <= ih-1 && wl >= 0, hh1 <= ih-1 && wh1 <= iw-1}
	rc := [4][2]int{{hl, wl}, {hl, wh1}, {hh1, wl}, {hh1, wh1}}
	var v [4]float32
	for i := range v {
		if ok[i] {
			v[i] = plane[rc[i][0]*iw+rc[i][1]]
		} else if s.ZeroWeights {
			wt[i] = 0
			v[i] = plane[0] // a safe pixel, multiplied by 0
		}
	}
	if s.FMA {
		acc := float32(wt[0] * v[0])
		for i := 1; i < 4; i++ {
			acc = FMA32(wt[i], v[i], acc)
		}
		return acc
	}
	return float32(float32(float32(float32(wt[0]*v[0])+float32(wt[1]*v[1]))+float32(wt[2]*v[2])) + float32(wt[3]*v[3]))
}
