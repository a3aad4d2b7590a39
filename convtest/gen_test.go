package convtest

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// TestProblemGenValid checks every draw validates and that its descriptor
// round-trips, so a shrunk counterexample's printed command reproduces it.
func TestProblemGenValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := ProblemGen().Draw(t, "p")
		if err := p.Validate(); err != nil {
			t.Fatalf("%#v: %v", p, err)
		}
		if p.Op == conv.OpConv || p.Op == conv.OpDeconv {
			q, err := conv.ParseDescriptor(p.Descriptor(), p.Op)
			if err != nil {
				t.Fatalf("%#v: descriptor does not parse: %v", p, err)
			}
			if q.O != p.O || q.PBegin != p.PBegin || q.PEnd != p.PEnd {
				t.Fatalf("%#v: descriptor round trip gives %#v", p, q)
			}
		}
		if p.MACs() > MACBudget {
			t.Fatalf("%#v: %d MACs is too big for a fast property", p, p.MACs())
		}
		if cells := conv.Elems(p.SrcShape()) * conv.Elems(p.DstShape()); cells > MatrixBudget {
			t.Fatalf("%#v: a dense matrix of %d entries is too big", p, cells)
		}
	})
}

// TestProblemGenCoverage checks the generator reaches the shapes it promises.
func TestProblemGenCoverage(t *testing.T) {
	seen := map[string]bool{}
	g := ProblemGen()
	for i := 0; i < 3000; i++ {
		p := g.Example(i)
		for _, a := range p.Axes() {
			if p.I[a] == 1 {
				seen["1×1 spatial"] = true
			}
			if p.K[a] > p.I[a] {
				seen["kernel > input"] = true
			}
			if p.S[a] > p.K[a] {
				seen["stride > kernel"] = true
			}
			if p.Dil[a] == 4 {
				seen["dilation 4"] = true
			}
			if p.PEnd[a] < 0 {
				seen["negative end padding"] = true
			}
		}
		if p.IsDepthwise() {
			seen["depthwise"] = true
		}
		strided := false
		for _, a := range p.Axes() {
			strided = strided || p.S[a] == 2
		}
		if p.IsDilated() && strided {
			seen["dilation with stride 2"] = true
		}
		if p.Rank == 3 {
			if p.S[0] != p.S[1] || p.S[1] != p.S[2] {
				seen["per-axis strides in 3D"] = true
			}
			if conv.Spatial(p.I) >= 512 && p.IC <= 2 {
				seen["3D input ≥ 8³ at ≤ 2 channels"] = true
			}
			if conv.Spatial(p.O) > 64 {
				seen["3D output > 4³"] = true
			}
		}
		if p.Op == conv.OpDeform && p.MB > 1 && p.DG > 1 && p.Mask {
			seen["deform batch+offset groups+mask"] = true
		}
		seen["op "+p.Op.String()] = true
		seen["rank "+string(rune('0'+p.Rank))] = true
	}
	for _, want := range []string{"1×1 spatial", "kernel > input", "stride > kernel", "dilation 4",
		"negative end padding", "depthwise", "op conv", "op deconv", "op deform", "op dynamic",
		"rank 1", "rank 2", "rank 3", "dilation with stride 2", "per-axis strides in 3D",
		"3D input ≥ 8³ at ≤ 2 channels", "3D output > 4³", "deform batch+offset groups+mask"} {
		if !seen[want] {
			t.Errorf("generator never drew %s in 3000 examples", want)
		}
	}
}
