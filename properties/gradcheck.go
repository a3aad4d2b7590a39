package properties

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/reference"
)

// GradientCheck is one comparison of a reference gradient with an oracle
// that shares no code with it, as `convverify check --dir` prints it.
type GradientCheck struct {
	Name  string
	Diff  float64 // the largest |reference − oracle| (over elements, or of one scalar)
	Bound float64 // what Diff may reach at that element under the stated rounding bound
	Ratio float64 // the largest Diff/Bound; ≤ 1 passes
	Skip  string  // why the check did not apply
	Err   error   // the oracle refused
}

// OK reports whether the check passed (a skipped check passes).
func (c GradientCheck) OK() bool {
	return c.Skip != "" || (c.Err == nil && c.Ratio <= 1)
}

func (c GradientCheck) String() string {
	switch {
	case c.Skip != "":
		return fmt.Sprintf("skip  %-52s %s", c.Name, c.Skip)
	case c.Err != nil:
		return fmt.Sprintf("FAIL  %-52s %v", c.Name, c.Err)
	}
	status := "ok  "
	if !c.OK() {
		status = "FAIL"
	}
	return fmt.Sprintf("%s  %-52s |diff| %.3g, bound %.3g (ratio %.3g)", status, c.Name, c.Diff, c.Bound, c.Ratio)
}

// scalarCheck compares two numbers under a bound.
func scalarCheck(name string, got, want, bound float64) GradientCheck {
	d := math.Abs(got - want)
	r := d / bound
	if d == 0 {
		r = 0
	}
	if math.IsNaN(d) {
		r = math.Inf(1)
	}
	return GradientCheck{Name: name, Diff: d, Bound: bound, Ratio: r}
}

// vectorCheck compares got with want elementwise, element i under bound[i].
func vectorCheck(name string, got, want, bound []float64) GradientCheck {
	c := GradientCheck{Name: name}
	if len(got) != len(want) {
		c.Err = fmt.Errorf("%d elements, want %d", len(got), len(want))
		return c
	}
	for i := range got {
		s := scalarCheck(name, got[i], want[i], bound[i])
		if s.Ratio > c.Ratio || i == 0 || math.IsNaN(s.Diff) {
			c.Diff, c.Bound, c.Ratio = s.Diff, s.Bound, s.Ratio
		}
	}
	return c
}

// CheckGradients computes the reference gradients of p.Dir (a backward
// direction) at in along dy and checks each against the oracles that apply:
//
//   - BWD_D: the adjoint identity ⟨dy, F(x)⟩ = ⟨dx, x⟩ (conv, deconv,
//     deform), dx = Mᵀ·dy with the dense matrix (when it fits
//     oracles.MaxMatrixElems), and central differences for deform's offsets
//     and mask and for a dynamic conv's dx;
//   - BWD_W, BWD_WB: ⟨dy, F(w, b)⟩ = ⟨dw, w⟩ + ⟨db, b⟩ (every op), dw off the
//     weight-labelled matrix (conv, deconv), central differences for a
//     dynamic conv's experts, bias and routing layer.
//
// The bounds are those of the properties (adjointBound, directional): float64
// rounding derived from the sums' lengths and magnitudes. rng draws the
// finite differences' directions.
func CheckGradients(p *conv.Problem, in conv.Inputs[float64], dy []float64, rng *rand.Rand) ([]GradientCheck, error) {
	g, err := reference.Backward(p, in, dy)
	if err != nil {
		return nil, err
	}
	var out []GradientCheck
	noBias := in
	noBias.B = nil
	if p.Dir == conv.DirBwdD {
		if p.Op != conv.OpDynamic {
			out = append(out, scalarCheck("adjoint ⟨dy, F(x)⟩ = ⟨dx, x⟩",
				dot(g.DX, in.X), dot(dy, refForward(p, noBias)), adjointBound(p, noBias, dy)))
			out = append(out, matrixDataCheck(p, in, dy, g.DX))
		}
		switch p.Op {
		case conv.OpDeform:
			out = append(out, fdCheck(p, in, dy, in.Offset, g.DOffset, deformStep, rng, "d(offset)", offsetKeep(p, in.Offset, deformStep), setOffset))
			if p.Mask {
				out = append(out, fdCheck(p, in, dy, in.Mask, g.DMask, deformStep, rng, "d(mask)", maskKeep(p, in.Offset, deformStep), setMask))
			}
		case conv.OpDynamic:
			out = append(out, fdCheck(p, in, dy, in.X, g.DX, dynamicStep, rng, "dx", nil, setX))
		}
		return out, nil
	}
	withB := in
	var db []float64
	if p.Dir == conv.DirBwdWB {
		db = g.DB
	} else {
		withB.B = nil // BWD_W: the identity in w alone
	}
	out = append(out, scalarCheck("adjoint ⟨dy, F(w, b)⟩ = ⟨dw, w⟩ + ⟨db, b⟩",
		dot(g.DW, in.W)+dot(db, withB.B), dot(dy, refForward(p, withB)), adjointBound(p, withB, dy)))
	switch p.Op {
	case conv.OpConv, conv.OpDeconv:
		c := GradientCheck{Name: "dw against the weight-labelled matrix"}
		if err := oracles.CheckMatrixSize(p); err != nil {
			c.Skip = err.Error()
		} else {
			want, err := oracles.BackwardWeightsByMatrix(p, in, dy)
			mag, err2 := oracles.BackwardWeightsByMatrix(p, conv.Inputs[float64]{X: absAll(in.X), W: in.W, B: in.B}, absAll(dy))
			if err == nil {
				err = err2
			}
			if err != nil {
				c.Err = err
			} else {
				n := p.MB * conv.Spatial(p.O)
				bound := make([]float64, len(mag))
				for i, m := range mag {
					bound[i] = tol64(n, m)
				}
				c = vectorCheck(c.Name, g.DW, want, bound)
			}
		}
		out = append(out, c)
	case conv.OpDynamic:
		out = append(out,
			fdCheck(p, in, dy, in.W, g.DW, dynamicStep, rng, "d(experts)", nil, setW),
			fdCheck(p, in, dy, in.RouteW, g.DRouteW, dynamicStep, rng, "d(route_w)", nil, setRouteW),
			fdCheck(p, in, dy, in.RouteB, g.DRouteB, dynamicStep, rng, "d(route_b)", nil, setRouteB))
		if p.Dir == conv.DirBwdWB && in.B != nil {
			out = append(out, fdCheck(p, in, dy, in.B, g.DB, dynamicStep, rng, "d(bias)", nil, setB))
		}
	}
	return out, nil
}

// matrixDataCheck compares dx with Mᵀ·dy elementwise: element i of either
// sums at most OC·ΠO products (the matrix side; the reference sums fewer),
// of total magnitude (|M|ᵀ·|dy|)ᵢ, and |M| is the matrix of |w| (and |mask|:
// the bilinear weights are ≥ 0), so the bound is tol64(OC·ΠO, (|M|ᵀ|dy|)ᵢ).
func matrixDataCheck(p *conv.Problem, in conv.Inputs[float64], dy, dx []float64) GradientCheck {
	c := GradientCheck{Name: "dx against Mᵀ·dy (dense matrix)"}
	if err := oracles.CheckMatrixSize(p); err != nil {
		c.Skip = err.Error()
		return c
	}
	want, err := oracles.BackwardDataByMatrix(p, in, dy)
	if err != nil {
		c.Err = err
		return c
	}
	abs := in
	abs.W = absAll(in.W)
	if in.Mask != nil {
		abs.Mask = absAll(in.Mask)
	}
	mag, err := oracles.BackwardDataByMatrix(p, abs, absAll(dy))
	if err != nil {
		c.Err = err
		return c
	}
	n := p.OC * conv.Spatial(p.O)
	bound := make([]float64, len(mag))
	for i, m := range mag {
		bound[i] = tol64(n, m)
	}
	return vectorCheck(c.Name, dx, want, bound)
}

// The finite-difference steps, justified where the properties use them
// (PropBackwardDeformFiniteDifferences, PropBackwardDynamicFiniteDifferences).
const (
	deformStep  = 0x1p-10
	dynamicStep = 0x1p-17
)

// nearKink reports whether an offset puts its sample within 2·h of a cell
// edge of the bilinear interpolant (an integer row or column, where it has a
// kink): the grid positions are integers, so the sample's fractional part is
// the offset's. oracles.RandomFill makes one offset in eight whole on purpose.
func nearKink(v, h float64) bool {
	f := v - math.Floor(v)
	return !(f > 2*h && f < 1-2*h)
}

// offsetKeep and maskKeep say which offsets and mask elements deform's finite
// differences may move: those of taps whose two offsets (row, column: one
// sample) are both away from a kink. Along the rest the function is a
// polynomial of degree ≤ 2 and the central difference is exact but for
// rounding. Offsets are [MB, 2·DG·KH·KW, OH, OW], mask [MB, DG·KH·KW, OH, OW].
func offsetKeep(p *conv.Problem, offset []float64, h float64) func(int) bool {
	plane := p.O[conv.H] * p.O[conv.W]
	return func(i int) bool {
		j := i + plane // the column offset of a row offset (even channel)
		if (i/plane)%2 == 1 {
			j = i - plane
		}
		return !nearKink(offset[i], h) && !nearKink(offset[j], h)
	}
}

func maskKeep(p *conv.Problem, offset []float64, h float64) func(int) bool {
	plane, taps := p.O[conv.H]*p.O[conv.W], p.DG*p.Taps()
	return func(i int) bool {
		n, k, pix := i/(taps*plane), (i/plane)%taps, i%plane
		oy := (n*2*taps+2*k)*plane + pix
		return !nearKink(offset[oy], h) && !nearKink(offset[oy+plane], h)
	}
}

// fdCheck is directional (backward_fd.go) without rapid: it returns the
// comparison instead of failing. keep, when non-nil, says which coordinates
// the direction may move.
func fdCheck(p *conv.Problem, in conv.Inputs[float64], dy, theta, g []float64, h float64, rng *rand.Rand, what string, keep func(int) bool, set func(conv.Inputs[float64], []float64) conv.Inputs[float64]) GradientCheck {
	name := what + " against central differences"
	v := normals(rng, len(theta))
	for i := range v {
		v[i] = math.Max(-1, math.Min(1, v[i]))
		if keep != nil && !keep(i) {
			v[i] = 0
		}
	}
	f := func(s float64) float64 {
		th := make([]float64, len(theta))
		for i := range th {
			th[i] = theta[i] + s*v[i]
		}
		return dot(dy, refForward(p, set(in, th)))
	}
	d1 := (f(h) - f(-h)) / (2 * h)
	d2 := (f(2*h) - f(-2*h)) / (4 * h)
	n := sumLength(p)
	mag := dot(absAll(dy), sumMagnitudeAt(p, in))
	tol := 2*math.Abs(d2-d1) + 2*float64(n)*0x1p-53*mag/h + tol64(len(g), dot(absAll(g), absAll(v)))
	return scalarCheck(name, dot(g, v), d1, tol)
}

func setX(in conv.Inputs[float64], v []float64) conv.Inputs[float64]      { in.X = v; return in }
func setW(in conv.Inputs[float64], v []float64) conv.Inputs[float64]      { in.W = v; return in }
func setB(in conv.Inputs[float64], v []float64) conv.Inputs[float64]      { in.B = v; return in }
func setOffset(in conv.Inputs[float64], v []float64) conv.Inputs[float64] { in.Offset = v; return in }
func setMask(in conv.Inputs[float64], v []float64) conv.Inputs[float64]   { in.Mask = v; return in }
func setRouteW(in conv.Inputs[float64], v []float64) conv.Inputs[float64] { in.RouteW = v; return in }
func setRouteB(in conv.Inputs[float64], v []float64) conv.Inputs[float64] { in.RouteB = v; return in }
