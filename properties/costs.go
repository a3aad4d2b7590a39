package properties

import (
	"runtime"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

// PropCostsCounted: for a 2D conv with one group and one sample, section 14's
// formulas against what the reference does and allocates:
//
//   - FLOPs 2·KH·KW·Cin·Cout·Hout·Wout = 2·(taps the reference visits);
//     benchdnn's count (taps that land inside the unpadded input) is at most
//     that, equal exactly when no tap reads padding;
//   - Params KH·KW·Cin·Cout = the weight elements allocated (bias adds Cout);
//   - Memory Cout·Hout·Wout·bytes = the output the reference allocates, which
//     is measured (float64, so 8 bytes) with runtime.MemStats. The input is
//     not in the Q&A's formula although a forward pass must hold it.
func PropCostsCounted(t *rapid.T) {
	p := ProblemGen(conv.OpConv).Filter(func(p conv.Problem) bool { return p.Rank == 2 }).Draw(t, "p")
	p.G, p.MB = 1, 1
	p = rapid.Just(p).Draw(t, "p")
	rng := RNG(t)
	x, w := normals(rng, conv.Elems(p.SrcShape())), normals(rng, conv.Elems(p.WeightShape()))
	var c reference.Counter
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	y := refConv(&p, x, w, nil, &c)
	runtime.ReadMemStats(&after)
	k2 := int64(p.K[conv.H] * p.K[conv.W])
	// Hout·Wout from the size formula, per axis, not from the output length:
	// the memory check below compares the reference's output with it.
	var hw int64 = 1
	for _, a := range []int{conv.H, conv.W} {
		hw *= int64(conv.OutSize(p.I[a], p.K[a], p.S[a], p.PBegin[a], p.PEnd[a], p.Dil[a]))
	}
	if hw != int64(conv.Spatial(p.O)) {
		t.Fatalf("OutSize gives Hout·Wout = %d, the problem's output %v has %d", hw, p.O, conv.Spatial(p.O))
	}
	flops := 2 * k2 * int64(p.IC) * int64(p.OC) * hw
	if 2*c.Taps != flops || flops != 2*p.MACs() {
		t.Fatalf("FLOPs formula %d, counted 2·%d, 2·MACs() %d", flops, c.Taps, 2*p.MACs())
	}
	if c.MACs > c.Taps || (c.MACs == c.Taps) != (p.BenchdnnMACs() == p.MACs()) {
		t.Fatalf("in-bounds MACs %d vs taps %d disagree with BenchdnnMACs %d vs MACs %d", c.MACs, c.Taps, p.BenchdnnMACs(), p.MACs())
	}
	if int64(len(w)) != k2*int64(p.IC*p.OC) || p.Params(false) != len(w) || p.Params(true) != len(w)+p.OC {
		t.Fatalf("params: %d weights allocated, formula K²·Cin·Cout = %d, Params %d, with bias %d", len(w), k2*int64(p.IC*p.OC), p.Params(false), p.Params(true))
	}
	bytes := int64(p.OC) * hw * 8
	if int64(len(y))*8 != bytes || int64(conv.Elems(p.DstShape()))*8 != bytes {
		t.Fatalf("the reference wrote %d outputs, DstShape %v holds %d, formula Cout·Hout·Wout = %d", len(y), p.DstShape(), conv.Elems(p.DstShape()), int64(p.OC)*hw)
	}
	got := int64(after.TotalAlloc - before.TotalAlloc)
	// The allocator rounds up to a size class (≤ 12.5 %) or to whole pages.
	if got < bytes || got > bytes+bytes/8+8192 {
		t.Fatalf("the reference allocated %d bytes for an output of %d bytes", got, bytes)
	}
}
