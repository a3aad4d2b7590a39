// Package reference is the slow but obviously correct implementation of every
// convolution op of convverify: direct loops over the definitions, accumulating
// in float64, with no transformation of the inputs. Everything else is judged
// against it, so it trades speed for readability everywhere.
//
// Tensors are flat slices in NCDHW order (activations) and PyTorch layout
// (weights); see conv.Problem.WeightShape. Lower ranks use the same loops with
// size-1 D and H axes.
//
// Forward and Magnitude check their inputs and never panic on bad ones. The op
// functions (Conv, Deconv, Deform, Dynamic, Separable) assume a validated
// problem and inputs of the right lengths.
package reference

import "github.com/convverify/convverify/conv"

// Counter counts work actually executed. A nil *Counter counts nothing.
//
// For conv and dynamic, Taps == p.MACs() and MACs == p.BenchdnnMACs(); for
// deconv too (walking input positions instead of outputs); for deform both
// equal p.MACs() because sampling always executes. Bias adds are not counted.
type Counter struct {
	MACs int64 // multiply-adds executed (taps whose sample lies inside the unpadded input / whose scatter target lies inside the output)
	Taps int64 // (output, tap) pairs visited including those that land in padding (the dense count)
}

func (c *Counter) tap() {
	if c != nil {
		c.Taps++
	}
}

func (c *Counter) mac() {
	if c != nil {
		c.MACs++
	}
}

// at is the flat C-order index of element (n, c, d, h, w) in a tensor of
// shape [·, ch, sp[D], sp[H], sp[W]]. Activations, weights (as [OC, IC/G, K…]
// or [IC, OC/G, K…]), offsets and masks all have this shape.
func at(ch int, sp [3]int, n, c, d, h, w int) int {
	return (((n*ch+c)*sp[conv.D]+d)*sp[conv.H]+h)*sp[conv.W] + w
}

// inside reports whether 0 ≤ v < n.
func inside(v, n int) bool { return v >= 0 && v < n }
