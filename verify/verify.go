// Package verify is the engine behind `convverify check`: it runs the
// reference, every oracle and every registered variant on one problem, or the
// reference and the variants on golden cases computed elsewhere, and judges
// each with the comparator.
package verify

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/oracles/golden"
	"github.com/convverify/convverify/reference"
)

// Line is one judgement: an implementation against its truth.
//
// The column order is fixed in every kind of line: a line named "A vs B"
// judges A, the implementation, against B, the side trusted as the truth, and
// prints B's value as exp (expected) and A's as got. So "reference vs golden"
// has the golden file's value under exp and the reference's under got, and
// "variant X vs golden" the golden's under exp and the variant's under got.
// Lines named without "vs" (Random's "variant X") are against the reference.
type Line struct {
	Name    string       // what was checked, e.g. "oracle matrix vs reference"
	Verdict conv.Verdict // meaningful when Err == nil and Skip == ""
	Exact   bool         // the bound was zero: bit-exact equality was demanded
	Skip    string       // why the check did not apply
	Err     error        // the implementation refused or failed
	Note    string       // said once after the line, e.g. which side is suspect
}

// OK reports whether the line passed (a skipped line passes).
func (l Line) OK() bool { return l.Skip != "" || (l.Err == nil && l.Verdict.OK()) }

func (l Line) String() string {
	switch {
	case l.Skip != "":
		return fmt.Sprintf("skip  %-48s %s", l.Name, l.Skip)
	case l.Err != nil:
		return fmt.Sprintf("FAIL  %-48s %v", l.Name, l.Err)
	}
	v := l.Verdict
	status := "ok  "
	if !v.OK() {
		status = "FAIL"
	}
	mode := "bound"
	if l.Exact {
		mode = "exact"
	}
	s := fmt.Sprintf("%s  %-48s max|err| %-9.3g worst %s exp %.9g got %.9g |err| %.3g %s %.3g (%d/%d outside)",
		status, l.Name, v.MaxErr, v.Index(), v.Exp, v.Got, v.Err, mode, v.Limit, v.Failed, v.N)
	if l.Note != "" {
		s += ": " + l.Note
	}
	return s
}

// u64PerU32 scales conv.Bound (written for float32's u = 2⁻²⁴) to float64's u = 2⁻⁵³.
const u64PerU32 = 0x1p-29

// float64Bound is the bound for an oracle that accumulates the same terms in float64.
func float64Bound(p *conv.Problem, c float64) conv.Bound {
	return conv.Bound{C: c * u64PerU32, N: p.AccumLength(), Abs: 1e-300}
}

// roundToFloat32 makes every input exactly representable in float32, so the
// float64 reference and a float32 implementation see the same numbers.
func roundToFloat32(in conv.Inputs[float64]) conv.Inputs[float64] {
	return conv.ConvertInputs[float64](conv.ConvertInputs[float32](in))
}

// Progress is told the name of each stage as it starts (the reference, an
// oracle, a variant), so a long check can show where it is and a timeout can
// say what was running. It may be nil.
type Progress func(stage string)

func (f Progress) stage(s string) {
	if f != nil {
		f(s)
	}
}

// Random checks p on inputs drawn from seed: the reference against the dense
// matrix and FFT oracles, the integer fill bit-exactly, and every registered
// variant that supports p. Budget bounds the memory of the problem's tensors.
func Random(p *conv.Problem, seed uint64, budget int64, progress Progress) ([]Line, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := p.CheckBudget(8, budget); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x636f6e76))
	progress.stage("fill")
	in := roundToFloat32(oracles.RandomFill(p, rng))
	progress.stage("reference")
	exp, err := reference.Forward(p, in, nil)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	progress.stage("magnitudes for the bound")
	mag := reference.Magnitude(p, in)
	shape := p.DstShape()
	var lines []Line

	matrixSkip := oracles.CheckMatrixSize(p)
	fftSkip := oracles.FFTSupports(p)
	if matrixSkip != nil {
		lines = append(lines, Line{Name: "oracle matrix vs reference", Skip: matrixSkip.Error()})
	} else {
		progress.stage("oracle matrix")
		y, err := oracles.ByMatrix(p, in)
		lines = append(lines, judge64("oracle matrix vs reference", y, err, exp, mag, float64Bound(p, 2), shape))
	}
	if fftSkip != nil {
		lines = append(lines, Line{Name: "oracle fft vs reference", Skip: fftSkip.Error()})
	} else {
		progress.stage("oracle fft")
		b, err := oracles.FFTBound(p, in)
		var y []float64
		if err == nil {
			y, err = oracles.ByFFT(p, in)
		}
		lines = append(lines, judge64("oracle fft vs reference", y, err, exp, mag, b, shape))
	}

	progress.stage("integer fill: reference")
	inI, exact := oracles.IntFill(p, rng)
	expI, err := reference.Forward(p, inI, nil)
	if err != nil {
		return nil, fmt.Errorf("reference (integer fill): %w", err)
	}
	if exact {
		progress.stage("integer fill: oracles")
		lines = append(lines, exactOracles(p, inI, expI, matrixSkip, fftSkip)...)
	}

	lines = append(lines, variants(p, in, exp, mag, 1, progress)...)
	if exact {
		for _, v := range optimized.For(p) {
			if !v.Exact {
				continue
			}
			progress.stage("integer fill: variant " + v.Name)
			l := runVariant(v, p, inI, expI, nil, conv.Bound{}, 1)
			l.Name += ", integer fill"
			l.Exact = true
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// exactOracles compares the reference on an integer fill with the oracles
// for equality. The matrix oracle sums the same integers in float64, so it is
// exact. The FFT is not, but when its error bound is below ½ the nearest
// integer to its result is the exact sum, so its rounded result must equal
// the reference too.
func exactOracles(p *conv.Problem, in conv.Inputs[float64], exp []float64, matrixSkip, fftSkip error) []Line {
	shape := p.DstShape()
	var lines []Line
	if matrixSkip == nil {
		y, err := oracles.ByMatrix(p, in)
		l := judge64("oracle matrix vs reference, integer fill", y, err, exp, nil, conv.Bound{}, shape)
		l.Exact = true
		lines = append(lines, l)
	}
	if fftSkip == nil {
		b, err := oracles.FFTBound(p, in)
		if err != nil || b.At(0) >= 0.5 || !integerValued(exp) {
			return lines
		}
		y, err := oracles.ByFFT(p, in)
		for i := range y {
			y[i] = math.Round(y[i])
		}
		l := judge64("oracle fft (rounded) vs reference, integer fill", y, err, exp, nil, conv.Bound{}, shape)
		l.Exact = true
		lines = append(lines, l)
	}
	return lines
}

func integerValued(s []float64) bool {
	for _, v := range s {
		if v != math.Trunc(v) {
			return false
		}
	}
	return true
}

// Variants runs every registered variant that supports p on in and judges it
// against exp with the variant's own bound.
func Variants(p *conv.Problem, in conv.Inputs[float64], exp, mag []float64, workers int) []Line {
	return variants(p, in, exp, mag, workers, nil)
}

func variants(p *conv.Problem, in conv.Inputs[float64], exp, mag []float64, workers int, progress Progress) []Line {
	var lines []Line
	for _, v := range optimized.All() {
		if !supportsOp(v, p.Op) {
			continue
		}
		if why := v.Supports(p); why != nil {
			lines = append(lines, Line{Name: "variant " + v.Name, Skip: why.Error()})
			continue
		}
		progress.stage("variant " + v.Name)
		b, scale := v.Judge(p, mag)
		lines = append(lines, runVariant(v, p, in, exp, scale, b, workers))
	}
	return lines
}

func supportsOp(v optimized.Variant, op conv.Op) bool {
	for _, o := range v.Ops {
		if o == op {
			return true
		}
	}
	return false
}

// runVariant runs v on p into a NaN-poisoned, guarded output
// (convtest.RunGuarded, the one guarded run) and judges it against exp.
func runVariant(v optimized.Variant, p *conv.Problem, in conv.Inputs[float64], exp, mag []float64, b conv.Bound, workers int) Line {
	name := "variant " + v.Name
	in32 := conv.ConvertInputs[float32](in)
	out, err := convtest.RunGuarded(len(exp), func(out []float32) error { return v.Run(p, in32, out, workers) })
	if err != nil {
		return Line{Name: name, Err: err}
	}
	return Line{Name: name, Verdict: conv.Compare(out, exp, mag, b, p.DstShape())}
}

func judge64(name string, got []float64, err error, exp, mag []float64, b conv.Bound, shape []int) Line {
	if err != nil {
		return Line{Name: name, Err: err}
	}
	return Line{Name: name, Verdict: conv.Compare(got, exp, mag, b, shape)}
}

// Names of the lines Golden returns first.
const (
	// ReferenceVsGolden judges the reference (got) against the case's
	// expected output (exp).
	ReferenceVsGolden = "reference vs golden"
)

// Golden checks one case computed elsewhere. First the reference is judged
// against the golden output (ReferenceVsGolden: exp = golden, got =
// reference). If they agree, every variant that supports the problem is
// judged against the golden output ("variant X vs golden"), whose own float32
// rounding adds one direct-accumulation bound to the variant's.
//
// If they disagree, the golden file is the suspect (the reference is checked
// against two oracles on every problem): the reference line fails once and
// its Note says so, and the variants are judged against the reference
// instead ("variant X vs reference", with their own bound), so one wrong
// y.npy does not blame every variant.
func Golden(c golden.Case) []Line {
	p := &c.Problem
	if err := c.Want.CheckShape("y", p.DstShape()); err != nil {
		return []Line{{Name: "golden shape", Err: err}}
	}
	exp, err := reference.Forward(p, c.In, nil)
	if err != nil {
		return []Line{{Name: "reference", Err: err}}
	}
	mag := reference.Magnitude(p, c.In)
	ref := Line{Name: ReferenceVsGolden,
		Verdict: conv.Compare(exp, c.Want.Data, mag, conv.DefaultBound(p), p.DstShape())}
	truth, against, extra := c.Want.Data, "golden", 1.0
	if !ref.OK() {
		file := c.WantFile
		if file == "" {
			file = "the golden output"
		}
		ref.Note = fmt.Sprintf("%s disagrees with the reference; suspecting the golden file, the variants are judged against the reference", file)
		truth, against, extra = exp, "reference", 0
	}
	lines := []Line{ref}
	for _, v := range optimized.For(p) {
		b, scale := v.Judge(p, mag)
		b.C += extra
		l := runVariant(v, p, c.In, truth, scale, b, 1)
		l.Name += " vs " + against
		lines = append(lines, l)
	}
	return lines
}

// ReferenceCase draws float32-representable inputs for p from seed and
// computes the output with the reference: a golden case for other projects.
func ReferenceCase(p *conv.Problem, seed uint64, budget int64, progress Progress) (golden.Case, error) {
	if err := p.Validate(); err != nil {
		return golden.Case{}, err
	}
	if err := p.CheckBudget(8, budget); err != nil {
		return golden.Case{}, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x636f6e76))
	progress.stage("fill")
	in := roundToFloat32(oracles.RandomFill(p, rng))
	progress.stage("reference")
	y, err := reference.Forward(p, in, nil)
	if err != nil {
		return golden.Case{}, err
	}
	// The case stores float32: round the output as a float32 kernel would.
	y = conv.ConvertSlice[float64](conv.ConvertSlice[float32](y))
	return golden.Case{Name: p.Descriptor(), Source: "convverify reference", Problem: *p, In: in,
		Want: conv.Tensor[float64]{Shape: p.DstShape(), Data: y}}, nil
}
