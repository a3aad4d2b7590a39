package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/oracles/golden"
	"github.com/convverify/convverify/properties"
	"github.com/convverify/convverify/reference"
	"github.com/convverify/convverify/verify"
)

// Gradient bounds (issue 12; docs/bounds.md, "Gradients").
//
// A gradient element is a sum of N products, so a float32 implementation
// is within
//
//	|g̃ − g| ≤ C·γ_N·mag + 10⁻³⁰,   mag = reference.GradMagnitude,
//
// N = convtest.GradAccumLength(p, grad) per gradient (dx: OCG·taps for
// conv and deconv; dw: MB·ΠO, or MB·ΠI for deconv; db: MB·ΠO; the deform
// and dynamic counts there), C the variant's BoundC (at least 1). These are
// the harness's own bounds (convtest.GradBound), so a variant is held to
// the same bound here as in `go test ./optimized/...`.
//
// Against a golden file the truth itself carries an error:
//   - The golden files store float32. A golden computed exactly or in
//     float64 and rounded once when stored (scripts/torch-autograd-goldens.py)
//     is off by at most u·|g| ≤ u·mag (|g| ≤ Σ|term| ≤ mag), one more γ_N·mag
//     at most (N·u ≥ u): a variant is judged against the golden with C + 1,
//     as verify.Golden does for y.
//   - The float64 computation behind the golden (torch autograd in float64)
//     and the float64 reference each add at most γ_N(2⁻⁵³)·mag, 2⁻²⁹ of the
//     float32 γ_N·mag: nothing significant. So "reference vs golden" is
//     held to C = 1: the golden's rounding u·|g| plus those 2⁻²⁹ terms is
//     within γ_N·mag.
//   - A golden computed in float32 by another framework would be off by up
//     to γ_N·mag itself; C = 1 does not cover that in the worst case, and a
//     failure then blames the golden file first (the Note), never a variant.

// runGradVariant runs v on p with workers goroutines into guarded,
// NaN-poisoned gradients (convtest.RunGradGuarded) and judges each gradient
// against truth (per name) with v's bound (convtest.GradBound), C raised by
// extra[name]. suffix follows the variant's name in each line (" vs golden").
func runGradVariant(v optimized.GradVariant, p *conv.Problem, in32 conv.Inputs[float32], dy32 []float32, workers int,
	names []string, truth, mag conv.Grads[float64], extra map[string]float64, suffix func(name string) string) []verify.Line {
	impl := convtest.GradVariant(v)
	label := "variant " + v.Name
	if workers > 1 {
		label += fmt.Sprintf(", %d workers", workers)
	}
	got, err := convtest.RunGradGuarded(impl, p, in32, dy32, workers)
	if err != nil {
		return []verify.Line{{Name: label, Err: err}}
	}
	var lines []verify.Line
	for _, name := range names {
		m := *mag.Field(name)
		b, scale := convtest.GradBound(impl, p, name, m)
		b.C += extra[name]
		shape, _ := p.TensorShape(name)
		lines = append(lines, verify.Line{Name: label + suffix(name),
			Verdict: conv.Compare(*got.Field(name), *truth.Field(name), scale, b, shape)})
	}
	return lines
}

// gradGolden checks one backward golden case (issue 12). First, per
// gradient, the float64 reference (reference.Backward) against the golden
// file ("reference vs golden dx": exp = golden, got = reference). Then every
// registered gradient variant that supports the problem, run in float32 on
// the case's inputs, against the golden file ("variant X vs golden dx").
//
// As for y (verify.Golden): a gradient whose golden file disagrees with the
// reference fails once, its Note names the file as the suspect, and the
// variants are judged against the reference for that gradient instead
// ("variant X vs reference dx"), so one wrong dx.npy blames no variant.
// It returns the lines and the number of variants run.
func gradGolden(c golden.Case) ([]verify.Line, int) {
	p := &c.Problem
	names, err := p.Writes()
	if err != nil {
		return []verify.Line{{Name: "gradients", Err: err}}, 0
	}
	ref, err := reference.Backward(p, c.In, c.DY)
	if err != nil {
		return []verify.Line{{Name: "reference", Err: err}}, 0
	}
	mag, err := reference.GradMagnitude(p, c.In, c.DY)
	if err != nil {
		return []verify.Line{{Name: "reference magnitude", Err: err}}, 0
	}
	var lines []verify.Line
	truth := c.Grads
	against := map[string]string{}
	extra := map[string]float64{}
	for _, name := range names {
		m := *mag.Field(name)
		shape, _ := p.TensorShape(name)
		l := verify.Line{Name: verify.ReferenceVsGolden + " " + name,
			Verdict: conv.Compare(*ref.Field(name), *c.Grads.Field(name), m, convtest.DefaultGradBound(p, name, m), shape)}
		against[name], extra[name] = "golden", 1
		if !l.OK() {
			file := c.File(name)
			if file == "" {
				file = "the golden " + name
			}
			l.Note = fmt.Sprintf("%s disagrees with the reference; suspecting the golden file, the variants are judged against the reference", file)
			*truth.Field(name) = *ref.Field(name)
			against[name], extra[name] = "reference", 0
		}
		lines = append(lines, l)
	}
	vs := optimized.GradFor(p)
	if len(vs) == 0 {
		return lines, 0
	}
	in32 := conv.ConvertInputs[float32](c.In)
	dy32 := conv.ConvertSlice[float32](c.DY)
	suffix := func(name string) string { return " vs " + against[name] + " " + name }
	for _, v := range vs {
		lines = append(lines, runGradVariant(v, p, in32, dy32, 1, names, truth, mag, extra, suffix)...)
	}
	return lines, len(vs)
}

// isReferenceLine says whether l judges the reference against a golden file.
func isReferenceLine(l verify.Line) bool {
	n := len(verify.ReferenceVsGolden)
	return len(l.Name) >= n && l.Name[:n] == verify.ReferenceVsGolden
}

// checkGradients is check for a backward direction (issue 12): the float64
// reference gradients against the oracles that share no code with them
// (properties.CheckGradients), then every registered optimized gradient
// variant (optimized.GradFor) in float32 against the reference under the
// bound above, once single-threaded and, with workers > 1, again with that
// many goroutines. It prints one line per check. The inputs are the forward
// check's fill (the same seed draws it) and dy follows from the same
// generator; both are rounded to float32, so the reference and the float32
// variants see the same numbers.
//
// The budget covers the gradient tensors too: every gradient has the shape
// of a tensor the forward pass holds, so value and gradient at float64 take
// at most 16 bytes per element of the forward tensors.
func checkGradients(p conv.Problem, seed uint64, budget int64, workers int) error {
	if err := p.CheckBudget(16, budget); err != nil {
		return err
	}
	stage("check", "fill")
	in, dy, rng := gradFill(&p, seed)
	stage("check", "reference gradients and oracles")
	checks, err := properties.CheckGradients(&p, in, dy, rng)
	if err != nil {
		return usagef("%v", err)
	}
	failed, total := 0, len(checks)
	for _, c := range checks {
		fmt.Fprintln(stdout, c)
		if !c.OK() {
			failed++
		}
	}
	vs := optimized.GradFor(&p)
	if len(vs) > 0 {
		stage("check", "reference gradients and magnitudes for the variants")
		lines, err := gradVariantLines(&p, in, dy, vs, workers)
		if err != nil {
			return err
		}
		for _, l := range lines {
			fmt.Fprintln(stdout, l)
			if !l.OK() {
				failed++
			}
		}
		total += len(lines)
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d of %d checks failed\n", failed, total)
		return errFailed
	}
	return nil
}

// gradVariantLines runs every variant in vs on p (float32 inputs in, dy)
// against the float64 reference, each gradient under the variant's bound,
// with 1 worker and, when workers > 1, with workers.
func gradVariantLines(p *conv.Problem, in conv.Inputs[float64], dy []float64, vs []optimized.GradVariant, workers int) ([]verify.Line, error) {
	names, err := p.Writes()
	if err != nil {
		return nil, err
	}
	ref, err := reference.Backward(p, in, dy)
	if err != nil {
		return nil, err
	}
	mag, err := reference.GradMagnitude(p, in, dy)
	if err != nil {
		return nil, err
	}
	in32, dy32 := conv.ConvertInputs[float32](in), conv.ConvertSlice[float32](dy)
	suffix := func(name string) string { return " " + name }
	var lines []verify.Line
	counts := []int{1}
	if workers > 1 {
		counts = append(counts, workers)
	}
	for _, w := range counts {
		for _, v := range vs {
			stage("check", "variant %s, %d workers", v.Name, w)
			lines = append(lines, runGradVariant(v, p, in32, dy32, w, names, ref, mag, nil, suffix)...)
		}
	}
	return lines, nil
}

// gradFill draws the inputs of a backward check or export from seed: the
// forward check's fill (oracles.RandomFill from the same generator) and dy
// uniform in [−1, 1] after it, all rounded to float32. It returns the
// generator for the checks that draw more.
func gradFill(p *conv.Problem, seed uint64) (conv.Inputs[float64], []float64, *rand.Rand) {
	rng := rand.New(rand.NewPCG(seed, 0x636f6e76))
	in := conv.ConvertInputs[float64](conv.ConvertInputs[float32](oracles.RandomFill(p, rng)))
	dy := make([]float64, conv.Elems(p.DstShape()))
	for i := range dy {
		dy[i] = float64(float32(2*rng.Float64() - 1))
	}
	return in, dy, rng
}

// exportGradCase is the golden case export writes for a backward direction:
// the inputs the direction reads and dy from the seed (gradFill, so `check
// --dir` with the same seed checks the same numbers), and the gradients it
// writes from the float64 reference, rounded to float32 as the format
// stores them.
func exportGradCase(p conv.Problem, seed uint64, budget int64) (golden.Case, error) {
	if err := p.Validate(); err != nil {
		return golden.Case{}, err
	}
	if err := p.CheckBudget(16, budget); err != nil {
		return golden.Case{}, err
	}
	stage("export", "fill")
	in, dy, _ := gradFill(&p, seed)
	specs, err := p.Tensors()
	if err != nil {
		return golden.Case{}, err
	}
	c := golden.Case{Name: p.Descriptor(), Source: "convverify reference", Problem: p, DY: dy}
	reads := map[string]bool{}
	for _, s := range specs {
		reads[s.Name] = !s.Written
	}
	keep := func(name string, v []float64) []float64 {
		if reads[name] {
			return v
		}
		return nil
	}
	c.In = conv.Inputs[float64]{X: keep("x", in.X), W: keep("w", in.W), B: keep("b", in.B),
		Offset: keep("offset", in.Offset), Mask: keep("mask", in.Mask), RouteW: keep("route_w", in.RouteW), RouteB: keep("route_b", in.RouteB)}
	stage("export", "reference gradients")
	g, err := reference.Backward(&p, c.In, dy)
	if err != nil {
		return golden.Case{}, err
	}
	for _, name := range conv.GradNames {
		if f := g.Field(name); *f != nil {
			*f = conv.ConvertSlice[float64](conv.ConvertSlice[float32](*f))
		}
	}
	c.Grads = g
	return c, nil
}
