package optimized_test

import (
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/optimized/gemm"
)

// TestGemmBiasPerTile: the GEMM variants with prepared weights add the
// bias per tile as the GEMM stores it where the CPU has that in assembly
// (gemm.BiasFused); the harness's check (reference bound, poison, guards,
// 1 and 3 workers bit for bit) on problems with a bias, with edge tiles in
// both dimensions and deep enough for several KC blocks, and the path
// demanded.
func TestGemmBiasPerTile(t *testing.T) {
	smallTiles(t)
	optimized.ResetPathHits()
	for _, c := range []struct{ impl, desc string }{
		{"pointwise-gemm", "mb1ic300ih5iw7oc30oh5ow7kh1kw1"},
		{"pointwise-gemm", "mb2g2ic40ih9iw9oc58oh5ow5kh1kw1sh2sw2"},
		{"im2col-gemm", "mb1ic40ih6iw9oc29oh6ow9kh3kw3ph1pw1"},
	} {
		v, ok := optimized.Lookup(c.impl)
		if !ok {
			t.Fatalf("%s not registered", c.impl)
		}
		p, err := conv.ParseDescriptor(c.desc, conv.OpConv)
		if err != nil {
			t.Fatal(err)
		}
		if f := convtest.Check(convtest.Variant(v), &p, 11, true); f != nil {
			t.Fatalf("%s %s: %s", c.impl, c.desc, f.Message)
		}
	}
	if gemm.BiasFused() && optimized.PathHitsWith("gemm/bias-per-tile") == 0 {
		t.Error("path gemm/bias-per-tile never taken")
	}
}
