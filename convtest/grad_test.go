package convtest

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

// refGrad is a GradImpl made of the float64 reference rounded to float32
// (correct, within any bound), with an optional mutation of its result.
type refGrad struct {
	mutate func(p *conv.Problem, g conv.Grads[float32], full []float32)
}

func (refGrad) Name() string                 { return "reference-grad" }
func (refGrad) Ops() []conv.Op               { return []conv.Op{conv.OpConv, conv.OpDeconv} }
func (refGrad) Dirs() []conv.Dir             { return []conv.Dir{conv.DirBwdD, conv.DirBwdW, conv.DirBwdWB} }
func (refGrad) Supports(*conv.Problem) error { return nil }
func (r refGrad) Backward(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32]) error {
	exp, err := reference.Backward(p, conv.ConvertInputs[float64](in), conv.ConvertSlice[float64](dy))
	if err != nil {
		return err
	}
	names, _ := p.Writes()
	for _, n := range names {
		copy(*g.Field(n), conv.ConvertSlice[float32](*exp.Field(n)))
	}
	if r.mutate != nil {
		first := *g.Field(names[0])
		// the slice and the element after it: a write there must hit a guard
		r.mutate(p, g, unsafe.Slice(&first[0], len(first)+1))
	}
	return nil
}

func gradTestProblem(t *testing.T, d conv.Dir) conv.Problem {
	t.Helper()
	p := conv.New(conv.OpConv, 2)
	p.MB, p.G, p.IC, p.OC = 2, 2, 4, 6
	p.I, p.K, p.S = [3]int{1, 7, 6}, [3]int{1, 3, 2}, [3]int{1, 2, 1}
	p.PBegin, p.PEnd = [3]int{0, 1, 1}, [3]int{0, 1, 0}
	if err := ResolveTight(&p); err != nil {
		t.Fatal(err)
	}
	p.Dir = d
	return p
}

// TestCheckGradCatches: CheckGrad passes the rounded reference and fails
// each planted fault, naming the check and the gradient.
func TestCheckGradCatches(t *testing.T) {
	for _, d := range []conv.Dir{conv.DirBwdD, conv.DirBwdW, conv.DirBwdWB} {
		p := gradTestProblem(t, d)
		if f := CheckGrad(refGrad{}, &p, 1); f != nil {
			t.Fatalf("%v: the reference fails: %v", d, f)
		}
	}
	cases := []struct {
		name, want string
		dir        conv.Dir
		mutate     func(p *conv.Problem, g conv.Grads[float32], full []float32)
	}{
		{"unwritten element", "NaN", conv.DirBwdD, func(_ *conv.Problem, g conv.Grads[float32], _ []float32) { g.DX[3] = nan32() }},
		{"wrong element", "dx", conv.DirBwdD, func(_ *conv.Problem, g conv.Grads[float32], _ []float32) { g.DX[len(g.DX)-1] += 1e-3 }},
		{"past the end", "past", conv.DirBwdW, func(_ *conv.Problem, _ conv.Grads[float32], full []float32) { full[len(full)-1] = 0 }},
		{"db of one image", "db", conv.DirBwdWB, func(p *conv.Problem, g conv.Grads[float32], _ []float32) { g.DB[0] *= 0.5 }},
	}
	for _, c := range cases {
		p := gradTestProblem(t, c.dir)
		f := CheckGrad(refGrad{mutate: c.mutate}, &p, 1)
		if f == nil {
			t.Errorf("%s: not caught", c.name)
			continue
		}
		if !strings.Contains(f.Message, c.want) || !strings.Contains(f.Message, "--dir "+c.dir.String()) {
			t.Errorf("%s: message %q does not name %q and the direction", c.name, f.Message, c.want)
		}
	}
}

func nan32() float32 {
	var z float32
	return z / z
}

// TestGradAccumLength: the counts of docs/bounds.md for conv and deconv.
func TestGradAccumLength(t *testing.T) {
	p := gradTestProblem(t, conv.DirBwdWB)
	osp := conv.Spatial(p.O)
	for name, want := range map[string]int{"dx": 3 * 6, "dw": 2 * osp, "db": 2 * osp} {
		if got := GradAccumLength(&p, name); got != want {
			t.Errorf("conv %s: N = %d, want %d", name, got, want)
		}
	}
	d := conv.New(conv.OpDeconv, 1)
	d.MB, d.IC, d.OC, d.I, d.K, d.S = 3, 2, 5, [3]int{1, 1, 4}, [3]int{1, 1, 3}, [3]int{1, 1, 2}
	if err := d.Resolve(); err != nil {
		t.Fatal(err)
	}
	if got := GradAccumLength(&d, "dw"); got != 3*4 {
		t.Errorf("deconv dw: N = %d, want MB·Spatial(I) = 12", got)
	}
}
