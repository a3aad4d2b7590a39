package optimized_test

import (
	"math"
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
)

// deformLayers are deformable problems at the production tile sizes that
// the small drawn problems do not reach: the benchmark layer (two balanced
// column tiles, 16-channel blocks), offset groups of 20 channels (a block
// and a masked tail of the sampler) split into several chunks of tap
// tables, groups that cut an offset group, stride and dilation.
var deformLayers = []struct {
	desc string
	dg   int
	mask bool
}{
	{"mb1ic32ih28oc32oh28kh3ph1", 1, true},
	{"mb2ic40ih23iw30oc12oh12ow15kh3kw2sh2sw2dh2ph2pw1", 2, true},
	{"mb1g2ic36ih40iw45oc10oh40ow45kh3kw3ph1pw1", 6, false},
}

// TestDeformLayersConform runs the suite's checks (real fill against the
// reference under Judge's bound, 1 and 3 workers bit for bit, linearity,
// the exact integer fill) on deformLayers, one-shot and planned.
func TestDeformLayersConform(t *testing.T) {
	v, _ := optimized.Lookup("deform-im2col")
	for i, l := range deformLayers {
		p := deformLayer(t, l.desc, l.dg, l.mask)
		for _, impl := range []convtest.Impl{convtest.Variant(v), convtest.PlanVariant(v)} {
			if f := convtest.Check(impl, &p, uint64(10+i), i%2 == 0); f != nil {
				t.Fatalf("%s %s: %s", impl.Name(), l.desc, f.Message)
			}
		}
	}
}

// TestDeformPlanRunAllocatesNothing: a planned run of the benchmark layer
// allocates nothing and gives the same bits on 1, 2 and 3 workers.
func TestDeformPlanRunAllocatesNothing(t *testing.T) {
	v, _ := optimized.Lookup("deform-im2col")
	p := deformLayer(t, deformLayers[0].desc, 1, true)
	in := optimized.BenchInputs(&p, 3)
	var first []float32
	for _, workers := range []int{1, 2, 3} {
		pl, err := v.Prepare(&p, in.W, in.B, workers)
		if err != nil {
			t.Fatal(err)
		}
		run := conv.Inputs[float32]{X: in.X, Offset: in.Offset, Mask: in.Mask}
		out := make([]float32, conv.Elems(p.DstShape()))
		if err := pl.Run(run, out); err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(5, func() { pl.Run(run, out) }); a != 0 {
			t.Errorf("%d workers: %v allocations per planned run", workers, a)
		}
		pl.Close()
		if first == nil {
			first = out
			continue
		}
		for i := range out {
			if math.Float32bits(out[i]) != math.Float32bits(first[i]) {
				t.Fatalf("%d workers: element %d is %v, 1 worker %v", workers, i, out[i], first[i])
			}
		}
	}
}

func deformLayer(t *testing.T, desc string, dg int, mask bool) conv.Problem {
	t.Helper()
	p, err := conv.ParseDescriptor(desc, conv.OpDeform)
	if err != nil {
		t.Fatal(err)
	}
	p.DG, p.Mask = dg, mask
	if err := p.Validate(); err != nil {
		t.Fatalf("%s: %v", desc, err)
	}
	return p
}
