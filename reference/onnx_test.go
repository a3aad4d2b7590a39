package reference

import (
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles/golden"
)

// TestONNXGoldens: the 50 ONNX conformance goldens (testdata/onnx, see its
// SOURCE.md) — Conv, ConvTranspose and DeformConv outputs computed by the ONNX
// reference and by PyTorch — anchor the reference's semantics to the outside
// world; the rapid properties only tie the ops to each other. The loader is
// data plumbing (it imports conv only), so using it here checks nothing with
// itself.
func TestONNXGoldens(t *testing.T) {
	cases, err := golden.LoadONNX("../testdata/onnx")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 50 {
		t.Errorf("%d golden cases, want the 50 of SOURCE.md", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			p := &c.Problem
			got, err := Forward(p, c.In, nil)
			if err != nil {
				t.Fatal(err)
			}
			// The golden is a float32 result; judge it as we judge any, against
			// the float64 reference with the float32 accumulation bound.
			v := conv.Compare(c.Want.Data, got, Magnitude(p, c.In), conv.DefaultBound(p), p.DstShape())
			if !v.OK() {
				t.Errorf("%#v: golden vs reference %v", *p, v)
			}
		})
	}
}
