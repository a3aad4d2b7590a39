package golden

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"
)

// TestWriteInputsReadOutput: the inputs written for a worker load back as a
// golden case once y.npy is added, the fast encoder writes what numpy's
// encoder does, and a scratch folder with a foreign file is refused.
func TestWriteInputsReadOutput(t *testing.T) {
	p, err := conv.ParseDescriptor("mb2ic4ih5oc4oh5kh3ph1", conv.OpDeform)
	if err != nil {
		t.Fatal(err)
	}
	p.DG, p.Mask = 2, true
	rng := rand.New(rand.NewPCG(1, 1))
	f32 := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(float32(rng.Float64()*2 - 1))
		}
		return s
	}
	in := conv.Inputs[float64]{X: f32(conv.Elems(p.SrcShape())), W: f32(conv.Elems(p.WeightShape())), B: f32(conv.Elems(p.BiasShape())),
		Offset: f32(conv.Elems(p.OffsetShape())), Mask: f32(conv.Elems(p.MaskShape()))}
	dir := filepath.Join(t.TempDir(), "case")
	for range 2 { // the second write reuses the scratch folder
		if err := WriteInputs(dir, p, in, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ReadOutput(dir, p.DstShape()); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("no y.npy: %v", err)
	}
	y := f32(conv.Elems(p.DstShape()))
	yb, _ := encodeNpyFast(p.DstShape(), conv.ConvertSlice[float32](y))
	slow, _ := encodeNpy(p.DstShape(), conv.ConvertSlice[float32](y))
	if !slices.Equal(yb, slow) {
		t.Errorf("encodeNpyFast differs from encodeNpy")
	}
	os.WriteFile(filepath.Join(dir, "y.npy"), yb, 0o644)
	got, err := ReadOutput(dir, p.DstShape())
	if err != nil || !slices.Equal(conv.ConvertSlice[float64](got), y) {
		t.Fatalf("ReadOutput: %v", err)
	}
	c, err := LoadGoldenFormat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Problem.DG != 2 || !c.Problem.Mask || !slices.Equal(c.In.Offset, in.Offset) {
		t.Errorf("loaded back as %s", c.Problem.Command())
	}
	if _, err := ReadOutput(dir, []int{2, 4, 5, 4}); err == nil || !strings.Contains(err.Error(), "want [2 4 5 4]") {
		t.Errorf("wrong shape: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644)
	if err := WriteInputs(dir, p, in, "x"); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("foreign file in the scratch folder: %v", err)
	}
}
