package adversarial

// Order is one way of summing the terms aₖ·bₖ of an output (and its bias) in
// float32.
type Order struct {
	Name      string
	Block     int  // 0: one chain; b > 0: chains of b terms whose partial sums are then added in a chain
	Pairwise  bool // a balanced binary tree over the products (Block ignored)
	Reverse   bool // terms in reverse order
	FMA       bool // s = FMA32(a, b, s) instead of s = fl(s + fl(a·b))
	BiasFirst bool // the chain starts at the bias (oneDNN) instead of adding it last (torchvision, ONNX Runtime)
}

// Orders returns the summation orders the tests try: sequential, reversed,
// pairwise, blocked by 8 and 16, each with and without FMA, the bias first
// in some and last in others.
func Orders() []Order {
	base := []Order{
		{Name: "sequential", BiasFirst: true},
		{Name: "reversed", Reverse: true},
		{Name: "pairwise", Pairwise: true},
		{Name: "blocked8", Block: 8, BiasFirst: true},
		{Name: "blocked16", Block: 16},
	}
	var out []Order
	for _, o := range base {
		out = append(out, o)
		o.FMA = true
		o.Name += "+fma"
		o.BiasFirst = !o.BiasFirst
		out = append(out, o)
	}
	return out
}

// Dot returns Σₖ a[k]·b[k] + bias (bias only if hasBias) in float32 in order o.
func (o Order) Dot(a, b []float32, bias float32, hasBias bool) float32 {
	n := len(a)
	idx := func(k int) int {
		if o.Reverse {
			return n - 1 - k
		}
		return k
	}
	var s float32
	var biasDone bool
	switch {
	case o.Pairwise:
		s = o.tree(a, b, 0, n, idx)
	case o.Block > 0:
		for lo := 0; lo < n; lo += o.Block {
			var s0 float32
			if hasBias && o.BiasFirst && lo == 0 {
				s0, biasDone = bias, true
			}
			s = float32(s + o.chain(a, b, lo, min(lo+o.Block, n), idx, s0))
		}
	default:
		var s0 float32
		if hasBias && o.BiasFirst {
			s0, biasDone = bias, true
		}
		s = o.chain(a, b, 0, n, idx, s0)
	}
	if hasBias && !biasDone {
		s = float32(s + bias)
	}
	return s
}

// chain sums terms lo..hi−1 onto s0 one at a time.
func (o Order) chain(a, b []float32, lo, hi int, idx func(int) int, s0 float32) float32 {
	s := s0
	for k := lo; k < hi; k++ {
		i := idx(k)
		if o.FMA {
			s = FMA32(a[i], b[i], s)
		} else {
			s = float32(s + float32(a[i]*b[i]))
		}
	}
	return s
}

// tree sums terms lo..hi−1 pairwise; with FMA a leaf pair is FMA(a, b, fl(a·b)).
func (o Order) tree(a, b []float32, lo, hi int, idx func(int) int) float32 {
	switch hi - lo {
	case 0:
		return 0
	case 1:
		i := idx(lo)
		return float32(a[i] * b[i])
	case 2:
		i, j := idx(lo), idx(lo+1)
		if o.FMA {
			return FMA32(a[j], b[j], float32(a[i]*b[i]))
		}
		return float32(float32(a[i]*b[i]) + float32(a[j]*b[j]))
	}
	mid := lo + (hi-lo)/2
	return float32(o.tree(a, b, lo, mid, idx) + o.tree(a, b, mid, hi, idx))
}
