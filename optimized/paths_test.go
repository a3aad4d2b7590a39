package optimized

import (
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"
)

// TestPathNames: every counted path has its own name, PathHits lists them
// all, and ResetPathHits clears what hit counted.
func TestPathNames(t *testing.T) {
	seen := map[string]bool{}
	for i, name := range pathNames {
		if name == "" || seen[name] {
			t.Fatalf("path %d: name %q empty or repeated", i, name)
		}
		seen[name] = true
	}
	ResetPathHits()
	hit(pathRowFull64)
	if n := PathHits()[pathNames[pathRowFull64]]; n < 1 {
		t.Fatalf("hit not counted: %d", n)
	}
	ResetPathHits()
	h := PathHits()
	if len(h) != int(numPaths) {
		t.Fatalf("PathHits has %d names, want %d", len(h), numPaths)
	}
	for name, n := range h {
		if n != 0 {
			t.Fatalf("%s = %d after ResetPathHits", name, n)
		}
	}
}

// TestPathCombos: a path taken in a variant call is counted under the
// call's features, and PathHitsWith finds it by any subset of them.
func TestPathCombos(t *testing.T) {
	ResetPathHits()
	p := conv.New(conv.OpDeform, 2)
	p.MB, p.IC, p.OC, p.DG, p.Mask = 2, 2, 1, 2, true
	p.I, p.K, p.S, p.Dil = [3]int{1, 5, 5}, [3]int{1, 2, 2}, [3]int{1, 2, 1}, [3]int{1, 1, 2}
	if err := p.Resolve(); err != nil {
		t.Fatal(err)
	}
	v, _ := Lookup("deform-im2col")
	in := conv.Inputs[float32]{X: make([]float32, conv.Elems(p.SrcShape())), W: make([]float32, conv.Elems(p.WeightShape())),
		Offset: make([]float32, conv.Elems(p.OffsetShape())), Mask: make([]float32, conv.Elems(p.MaskShape()))}
	if err := v.Run(&p, in, make([]float32, conv.Elems(p.DstShape())), 3); err != nil {
		t.Fatal(err)
	}
	want := "2d batch dil+stride dilated mask offset-groups strided workers"
	if got := strings.Join(ProblemFeatures(&p, 3), " "); got != want {
		t.Fatalf("features %q, want %q", got, want)
	}
	if n := PathCombos()["deform/mask"][want]; n == 0 {
		t.Fatalf("deform/mask not counted under %q: %v", want, PathCombos()["deform/mask"])
	}
	if PathHitsWith("deform/mask", FeatureBatch, FeatureOffsetDG, FeatureMask) == 0 {
		t.Error("PathHitsWith misses a subset of the features")
	}
	if PathHitsWith("deform/mask", Feature3D) != 0 {
		t.Error("PathHitsWith counts a feature the call did not have")
	}
	ResetPathHits()
	if len(PathCombos()) != 0 {
		t.Error("ResetPathHits kept combinations")
	}
}
