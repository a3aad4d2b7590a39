package adversarial

import (
	"path/filepath"
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles/golden"
	"github.com/convverify/convverify/reference"
)

// The fresh torchvision deform_conv2d cases of testdata/torchvision
// (scripts/torchvision-deform-goldens.py) are within the bound of the
// reference, and many of them are not within the bound that ignores the
// float32 rounding of positions and bilinear weights (Σ|term| alone): the
// false failure of issue 8, kept as a check that the sampling term matters.
func TestTorchvisionDeformGoldens(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/torchvision/tv_deform_*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases in testdata/torchvision (%v)", err)
	}
	worst, oldFails := 0.0, 0
	for _, d := range dirs {
		c, err := golden.Load(d)
		if err != nil {
			t.Fatal(err)
		}
		p := &c.Problem
		exp, err := reference.Forward(p, c.In, nil)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		b := conv.DefaultBound(p)
		v := conv.Compare(c.Want.Data, exp, reference.Magnitude(p, c.In), b, p.DstShape())
		if !v.OK() {
			t.Errorf("%s (%s): %v", d, p.Command(), v)
		}
		worst = max(worst, v.Ratio)
		if old := conv.Compare(c.Want.Data, exp, reference.SumMagnitude(p, c.In), b, p.DstShape()); !old.OK() {
			oldFails++
		}
	}
	t.Logf("%d cases, largest |err|/bound %.3g; %d would fail without the sampling term", len(dirs), worst, oldFails)
	if oldFails == 0 {
		t.Errorf("no case needs the sampling term: the cases no longer show issue 8's false failure")
	}
}
