package properties

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// Property is one identity as a rapid property.
type Property struct {
	Name string
	Doc  string
	// Check is the property body, for rapid.Check.
	Check func(*rapid.T)
	// Refutes marks a property that states a claim of the Q&A which is false:
	// rapid is expected to find a counterexample and shrink it, and the test
	// (and the report) pass when it does.
	Refutes bool
}

// All returns every property, in the order of the Q&A's sections.
func All() []Property {
	return []Property{
		{Name: "OraclesAgree", Doc: "reference = dense-matrix oracle = FFT oracle (stride 1), every op and rank; bit-exact on the integer fill", Check: PropOraclesAgree},
		{Name: "DeconvOutSize", Doc: "transposed output size s·(i−1) + d·(k−1) + 1 − p_begin − p_end equals the extent of the scatter, cropped", Check: PropDeconvOutSize},
		{Name: "Adjoint", Doc: "⟨conv(x), y⟩ = ⟨x, deconv(y)⟩ with the same weights", Check: PropAdjoint},
		{Name: "DeconvIsZeroInsertConv", Doc: "deconv = zero insertion (s−1 holes) + padding d·(k−1) − p + conv with the 180°-rotated kernel, in/out channels swapped", Check: PropDeconvIsZeroInsertConv},
		{Name: "DeconvRestoresShapeNotValues", Doc: "deconv(conv(x)) has x's shape but not its values", Check: PropDeconvRestoresShapeNotValues},
		{Name: "GroupedCost", Doc: "grouped conv has 1/G of the dense parameters and of the MACs counted by the reference", Check: PropGroupedCost},
		{Name: "GroupedIsConcat", Doc: "grouped conv = G independent convs on channel slices, concatenated", Check: PropGroupedIsConcat},
		{Name: "GroupedIsBlockDiagonal", Doc: "grouped conv = dense conv with a block-diagonal kernel", Check: PropGroupedIsBlockDiagonal},
		{Name: "Depthwise", Doc: "G = IC = OC is depthwise: each channel convolved with its own single kernel", Check: PropDepthwise},
		{Name: "PointwiseIsMatmul", Doc: "1×1 conv is a per-pixel matrix product over channels", Check: PropPointwiseIsMatmul},
		{Name: "SeparableCost", Doc: "depthwise separable MACs (counted) and parameters = dense × (1/N + 1/K²)", Check: PropSeparableCost},
		{Name: "SeparableIsFactoredConv", Doc: "depthwise separable = dense conv with the rank-1-per-channel kernel pw[n,m]·dw[m,k]", Check: PropSeparableIsFactoredConv},
		{Name: "StackedKernelsConvolve", Doc: "a linear stack of convs is one conv whose kernel is the kernels convolved; n 3×3 layers = one (2n+1)×(2n+1), 9n·C² vs (2n+1)²·C² weights", Check: PropStackedKernelsConvolve},
		{Name: "ReceptiveFieldMeasured", Doc: "conv.ReceptiveField = support of an impulse pulled back through a random stack of conv, dilated, pooling and strided layers", Check: PropReceptiveFieldMeasured},
		{Name: "ReceptiveFieldEnlargers", Doc: "dilation, pooling and a larger kernel each enlarge the receptive field", Check: PropReceptiveFieldEnlargers},
		{Name: "DilationIsInflatedKernel", Doc: "dilated conv = dense conv with a zero-inflated kernel of size d·(k−1)+1, d−1 zeros between taps", Check: PropDilationIsInflatedKernel},
		{Name: "UnitDepth3DIs2D", Doc: "3D conv with kd = id = 1 is 2D conv", Check: PropUnitDepth3DIs2D},
		{Name: "QA3DExample", Doc: "(4,4,4,1) ⊛ (2,2,2,1,1) → (3,3,3,1), Y(0,0,0,0) is the 8-term sum", Check: PropQA3DExample},
		{Name: "CostsCounted", Doc: "FLOPs 2·K²·Cin·Cout·Hout·Wout, params K²·Cin·Cout and output memory against counted work and allocated bytes", Check: PropCostsCounted},
		{Name: "Checkerboard", Doc: "deconv overlap (ones in, ones kernel) is uniform in the interior exactly when s divides k; resize+conv always is", Check: PropCheckerboard},
		{Name: "EffectiveReceptiveField", Doc: "the gradient of the centre output of n stacked 1D/2D positive kernels (by the adjoint) fills exactly the field, and its cumulants add per layer (spread ~√n, field ~n, Gaussian limit)", Check: PropEffectiveReceptiveField},
		{Name: "ShiftEquivariance", Doc: "stride 1: conv(shift(x)) = shift(conv(x)) away from borders", Check: PropShiftEquivariance},
		{Name: "StridedShiftEquivariance", Doc: "claim: equivariance to a one-pixel shift at any stride (false for stride > 1)", Check: PropStridedShiftEquivariance, Refutes: true},
		{Name: "TranslationInvariance", Doc: "claim (section 16): conv(shift(x)) = conv(x) (false: it is equivariant, not invariant)", Check: PropTranslationInvariance, Refutes: true},
		{Name: "LinearInX", Doc: "conv, deconv, deform are linear in x", Check: PropLinearInX},
		{Name: "LinearInW", Doc: "every op is linear in its weights (a dynamic conv's experts)", Check: PropLinearInW},
		{Name: "DynamicLinearInX", Doc: "claim: a dynamic conv is linear in x (false: the routing depends on x)", Check: PropDynamicLinearInX, Refutes: true},
		{Name: "DeformZeroOffsets", Doc: "deformable conv with zero offsets and unit mask is standard conv", Check: PropDeformZeroOffsets},
		{Name: "DeformIntegerShift", Doc: "deformable conv with one integer offset everywhere is conv of the shifted input", Check: PropDeformIntegerShift},
		{Name: "DynamicMixedKernel", Doc: "dynamic conv = per-sample conv with the routed mixture of experts", Check: PropDynamicMixedKernel},
		{Name: "DynamicOneExpert", Doc: "one expert with softmax routing (α = 1) is standard conv", Check: PropDynamicOneExpert},
		{Name: "BackwardAdjointData", Doc: "gradients: ⟨dy, F(x)⟩ = ⟨dx, x⟩ for conv, deconv, deform (BWD_D reference against the forward reference, float64 rounding bound)", Check: PropBackwardAdjointData},
		{Name: "BackwardAdjointWeights", Doc: "gradients: ⟨dy, F(w, b)⟩ = ⟨dw, w⟩ + ⟨db, b⟩ for every op (BWD_WB reference, float64 rounding bound)", Check: PropBackwardAdjointWeights},
		{Name: "BackwardIsMatrixTransposed", Doc: "gradients: dx = Mᵀ·dy with the dense-matrix oracle (conv, deconv, deform), dw read off the weight-labelled matrix; exact on integers", Check: PropBackwardIsMatrixTransposed},
		{Name: "BackwardDataIsMirrorForward", Doc: "gradients: BWD_D of conv = forward deconv, and BWD_D of deconv = forward conv, exact on integers (section 7 as a backward pass)", Check: PropBackwardDataIsMirrorForward},
		{Name: "BackwardWeightsPointwiseIsMatmul", Doc: "gradients: dw of a 1×1 conv = dy·xᵀ over batch and pixels", Check: PropBackwardWeightsPointwiseIsMatmul},
		{Name: "BackwardGroupedIsBlockDiagonal", Doc: "gradients: grouped dx and dw = dense ones with a block-diagonal kernel / its diagonal blocks", Check: PropBackwardGroupedIsBlockDiagonal},
		{Name: "BackwardDataZeroWhereUnread", Doc: "gradients: dx of a strided, dilated, cropped conv is 0 exactly where the forward pass never reads", Check: PropBackwardDataZeroWhereUnread},
		{Name: "BackwardBiasIsSumOfDy", Doc: "gradients: db = Σ dy = the derivative of ⟨dy, F⟩ in b (conv, deconv, deform)", Check: PropBackwardBiasIsSumOfDy},
		{Name: "BackwardDeformFiniteDifferences", Doc: "gradients: deform d(offset), d(mask) against central differences away from the bilinear kinks", Check: PropBackwardDeformFiniteDifferences},
		{Name: "BackwardDynamicFiniteDifferences", Doc: "gradients: dynamic dx, d(experts), d(bias), d(route_w), d(route_b) against central differences (sigmoid, softmax with T)", Check: PropBackwardDynamicFiniteDifferences},
		{Name: "VariantsMatchReference", Doc: "every optimized variant that supports a drawn problem matches the reference within conv.Bound (variants.go)", Check: PropVariantsMatchReference},
		{Name: "SeparableMatchesReference", Doc: "the optimized depthwise separable conv matches the reference (variants.go)", Check: PropSeparableMatchesReference},
	}
}

// dedicatedTests maps the properties that TestProperties skips to the test
// of their own that runs them (with demands of its own, such as coverage of
// every variant's paths).
var dedicatedTests = map[string]string{
	"VariantsMatchReference":    "TestVariantsMatchReference",
	"SeparableMatchesReference": "TestSeparableMatchesReference",
}

// RunPattern is the `go test -run` pattern that runs the named property in
// this package's tests: its subtest of TestProperties, or its dedicated test.
// With -rapid.seed and -rapid.checks equal to Run's, rapid draws, finds and
// shrinks the same cases as Run.
func RunPattern(name string) string {
	if t, ok := dedicatedTests[name]; ok {
		return "^" + t + "$"
	}
	return "^TestProperties$/^" + name + "$"
}

// Lookup returns the property named name.
func Lookup(name string) (Property, bool) {
	for _, p := range All() {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}

// Outcome is the result of running one property outside `go test`.
type Outcome struct {
	// Failed reports that rapid found a counterexample.
	Failed bool
	// Message is rapid's failure message (empty when it passed).
	Message string
	// Draws are the values of the minimised counterexample, "label: value",
	// in draw order; a drawn problem prints as its reproducing command.
	Draws []string
	// Log is everything the minimised run logged besides the draws.
	Log []string
}

// OK reports whether the outcome is what the property expects: a pass, or a
// counterexample for a property that Refutes.
func (o Outcome) OK(p Property) bool { return o.Failed == p.Refutes }

// Counterexample returns the last draw whose label is label ("p" for a
// problem; a property that adjusts a drawn problem draws the adjusted one
// again under the same label), or "".
func (o Outcome) Counterexample(label string) string {
	v := ""
	for _, d := range o.Draws {
		if s, ok := strings.CutPrefix(d, label+": "); ok {
			v = s
		}
	}
	return v
}

var flagsOnce sync.Once

// Run runs a property with checks test cases from seed (rapid's own flags
// otherwise), outside `go test`, and returns what rapid found. It never
// writes fail files. rapid reads its settings from the flag package and
// testing.Short, so Run registers the testing flags once and sets rapid's for
// the duration of the call.
func Run(p Property, checks int, seed uint64) Outcome {
	flagsOnce.Do(func() {
		testing.Init()
		if !flag.Parsed() {
			_ = flag.CommandLine.Parse([]string{})
		}
	})
	restore := setFlags(map[string]string{
		"rapid.checks":     strconv.Itoa(checks),
		"rapid.seed":       strconv.FormatUint(seed, 10),
		"rapid.nofailfile": "true",
	})
	defer restore()
	tb := &recorder{name: "convverify/" + p.Name}
	func() {
		defer func() {
			if r := recover(); r != nil && r != errFailNow {
				tb.failed = true
				tb.msgs = append(tb.msgs, fmt.Sprint("panic: ", r))
			}
		}()
		rapid.Check(tb, p.Check)
	}()
	o := Outcome{Failed: tb.failed}
	for _, l := range tb.logs {
		if rest, ok := strings.CutPrefix(l, "[rapid] draw "); ok {
			o.Draws = append(o.Draws, rest)
		} else {
			o.Log = append(o.Log, l)
		}
	}
	o.Message = strings.Join(tb.msgs, "\n")
	return o
}

// setFlags sets flags by name and returns a function that restores them.
func setFlags(vals map[string]string) func() {
	old := map[string]string{}
	for k, v := range vals {
		f := flag.Lookup(k)
		if f == nil {
			continue
		}
		old[k] = f.Value.String()
		_ = f.Value.Set(v)
	}
	return func() {
		for k, v := range old {
			_ = flag.Lookup(k).Value.Set(v)
		}
	}
}

var errFailNow = fmt.Errorf("properties: FailNow")

// recorder is a rapid.TB that keeps what rapid reports instead of printing it.
type recorder struct {
	name   string
	failed bool
	logs   []string
	msgs   []string
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return r.name }
func (r *recorder) Failed() bool { return r.failed }
func (r *recorder) Fail()        { r.failed = true }
func (r *recorder) FailNow()     { r.failed = true; panic(errFailNow) }
func (r *recorder) SkipNow()     { panic(errFailNow) }
func (r *recorder) Log(a ...any) {
	r.logs = append(r.logs, strings.TrimSuffix(fmt.Sprintln(a...), "\n"))
}
func (r *recorder) Skip(a ...any) { r.Log(a...); r.SkipNow() }
func (r *recorder) Logf(f string, a ...any) {
	r.logs = append(r.logs, fmt.Sprintf(f, a...))
}
func (r *recorder) Skipf(f string, a ...any) { r.Logf(f, a...); r.SkipNow() }
func (r *recorder) Error(a ...any)           { r.failed = true; r.msgs = append(r.msgs, fmt.Sprint(a...)) }
func (r *recorder) Errorf(f string, a ...any) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(f, a...))
}
func (r *recorder) Fatal(a ...any)            { r.Error(a...); r.FailNow() }
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...); r.FailNow() }
