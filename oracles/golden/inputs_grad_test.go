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

// TestGradInputsRoundTrip: a backward case folder holds case.json and
// exactly the tensors the direction reads (dy among them), and the
// gradients a worker writes are read back by their tensor-table names;
// a missing, mis-shaped or extra-long gradient file is an error naming it.
func TestGradInputsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(float32(rng.Float64() - 0.5))
		}
		return v
	}
	for _, tc := range []struct {
		op   conv.Op
		desc string
	}{{conv.OpConv, "g2mb2ic4ih5oc6oh5kh3ph1"}, {conv.OpDeform, "mb1ic2ih4oc2oh4kh3ph1"}, {conv.OpDynamic, "mb2ic2iw5oc2ow5kw3pw1"}} {
		for _, dir := range []conv.Dir{conv.DirBwdD, conv.DirBwdW, conv.DirBwdWB} {
			p, err := conv.ParseDescriptor(tc.desc, tc.op)
			if err != nil {
				t.Fatal(err)
			}
			p.Dir, p.DG, p.Mask, p.E = dir, 1, true, 2
			in := conv.Inputs[float64]{X: fill(conv.Elems(p.SrcShape())), W: fill(conv.Elems(p.WeightShape())), B: fill(conv.Elems(p.BiasShape())),
				Offset: fill(conv.Elems(p.OffsetShape())), Mask: fill(conv.Elems(p.MaskShape())),
				RouteW: fill(conv.Elems(p.RouteWShape())), RouteB: fill(conv.Elems(p.RouteBShape()))}
			if tc.op != conv.OpDeform {
				in.Offset, in.Mask = nil, nil
			}
			if tc.op != conv.OpDynamic {
				in.RouteW, in.RouteB = nil, nil
			}
			dy := fill(conv.Elems(p.DstShape()))
			d := filepath.Join(t.TempDir(), "case")
			if err := WriteGradInputs(d, p, in, dy, "t"); err != nil {
				t.Fatalf("%s: %v", p.Command(), err)
			}
			specs, _ := p.Tensors()
			var want []string
			for _, s := range specs {
				if !s.Written {
					want = append(want, s.Name+".npy")
				}
			}
			want = append(want, "case.json")
			got, _ := readNames(d)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: folder holds %v, want %v", p.Command(), got, want)
			}
			cj, _ := os.ReadFile(filepath.Join(d, "case.json"))
			if !strings.Contains(string(cj), `"dir": "`+dir.String()+`"`) {
				t.Errorf("%s: case.json lacks the direction:\n%s", p.Command(), cj)
			}
			// The worker's side: every gradient, well formed.
			var first string
			for _, s := range specs {
				if s.Written {
					b, _ := encodeNpyFast(s.Shape, make([]float32, conv.Elems(s.Shape)))
					os.WriteFile(filepath.Join(d, s.Name+".npy"), b, 0o644)
					if first == "" {
						first = s.Name
					}
				}
			}
			g, err := ReadGradOutputs(d, p)
			if err != nil {
				t.Fatalf("%s: %v", p.Command(), err)
			}
			if err := g.Check(&p); err != nil {
				t.Errorf("%s: %v", p.Command(), err)
			}
			// Wrong shape, then missing: named.
			b, _ := encodeNpyFast([]int{1}, []float32{0})
			os.WriteFile(filepath.Join(d, first+".npy"), b, 0o644)
			if _, err := ReadGradOutputs(d, p); err == nil || !strings.Contains(err.Error(), first+".npy: shape") {
				t.Errorf("%s: mis-shaped %s.npy: %v", p.Command(), first, err)
			}
			os.Remove(filepath.Join(d, first+".npy"))
			if _, err := ReadGradOutputs(d, p); err == nil || !strings.Contains(err.Error(), first+".npy: missing") {
				t.Errorf("%s: missing %s.npy: %v", p.Command(), first, err)
			}
			// The folder is a reusable scratch folder.
			if err := WriteGradInputs(d, p, in, dy, "t"); err != nil {
				t.Errorf("%s: reusing the folder: %v", p.Command(), err)
			}
		}
	}
	p, _ := conv.ParseDescriptor("mb1ic1iw3oc1ow3kw1", conv.OpConv)
	if err := WriteGradInputs(t.TempDir(), p, conv.Inputs[float64]{}, nil, "t"); err == nil || !strings.Contains(err.Error(), "not a backward direction") {
		t.Errorf("forward problem: %v", err)
	}
	p.Dir = conv.DirBwdD
	if err := WriteGradInputs(t.TempDir(), p, conv.Inputs[float64]{W: []float64{1}}, []float64{1}, "t"); err == nil || !strings.Contains(err.Error(), "dy: 1 elements") {
		t.Errorf("short dy: %v", err)
	}
}
