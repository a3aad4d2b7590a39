// Package optimized holds the fast convolution implementations of convverify
// and the registry through which tests, checks and benchmarks find them.
//
// Every variant computes the same mathematical operation as the reference
// (see conv.Problem) in float32. They differ in how they order and transform
// the sums, which the registry records as an error factor (BoundC), whether
// integer inputs give bit-exact results (Exact), and whether the result
// depends on the number of workers (Deterministic).
//
// The variants (BoundC, Exact; every one is Deterministic):
//
//	im2col-gemm        conv      im2col/vol2col + packed GEMM; implicit at unit stride    1   exact
//	pointwise-gemm     conv 1×1  GEMM on the input itself (stride/padding: one-tap gather) 1   exact
//	direct-tiled       conv      oc blocks × row blocks, AVX-512 row kernel, any stride    1   exact
//	depthwise-direct   conv g=ic row kernel across width over L1 row windows (2D)         1   exact
//	winograd-f2x3      conv 3×3 s1 d1 2D, F(2×2,3×3), 16 GEMMs over tiles (normwise)       10
//	fft                conv s1   complex128 radix-2 FFT, correlation theorem              2
//	deconv-col2im      deconv    GEMM Wᵀ·X then col2im scatter-add                        1   exact
//	deconv-zeroinsert  deconv    zero insertion + flipped kernel + im2col-gemm            1   exact
//	deconv-subpixel    deconv    Π S stride-1 phase GEMMs (sub-pixel), implicit B         1   exact
//	deconv-blocked     deconv    sub-pixel phases on direct-blocked's kernel              1   exact
//	deform-im2col      deform    bilinear samples (float32) packed into GEMM B panels     1   exact
//	dynamic-mix        dynamic   routed kernel mix per sample + im2col-gemm               2   exact*
//	dynamic-grouped    dynamic   the batch as one grouped conv, G' = MB·G                 2   exact*
//	dynamic-blocked    dynamic   dynamic-grouped on direct-blocked (mix packed per run)   2   exact*
//	im2col-blas32      conv      im2col + gonum blas32.Gemm (baseline)                    1   exact
//	direct-blocked     conv      flat stride-phase planes, MR oc × 16·NV outputs kernel    1   exact
//	direct-rows        conv      the same planes, P outputs of a row × 32 oc kernel        1   exact
//	dynamic-rows       dynamic   dynamic-grouped on direct-rows (mix packed per run)      2   exact*
//	deconv-rows        deconv    sub-pixel phases on direct-rows' kernel                   1   exact
//
// (* on the integer fill, whose routing weights are dyadic.) Separable
// composes depthwise-direct and pointwise-gemm.
//
// Parallelism: every variant cuts its work into tasks fixed by the problem
// alone (batch × group × output-channel block × spatial tile) and hands them
// to at most workers goroutines; each output element is reduced inside one
// task, so the result never depends on workers.
//
// Choosing one: Best(p, workers) is the automatic choice, by the rule its
// doc states (from the measurements in benchdata/baseline-avx512.txt, never
// keyed to a layer); Tasks(v, p, workers) says how many independent tasks
// v's decomposition of p makes, and why when they are fewer than workers.
// check and the conformance harness still run every variant.
//
// Prepared execution: Variant.Prepare sets a variant up once for a problem
// and its weights (Winograd's weight transform, the kernel's FFT,
// deconvolution's transposed or flipped weights, copies of the rest) and
// returns a Plan that owns every workspace and, for workers > 1, a pool of
// helper goroutines, so that Plan.Run allocates nothing. Variant.Run is
// the same code prepared and run once, its workspaces borrowed from a pool.
//
// Code paths: PathHits counts, by name, the branches the variants took
// (row-kernel tails, block remainders, padding skips, edge tiles…), so that
// tests can check afterwards that their random problems reached each one;
// it counts from a process's first ResetPathHits on (the counters' atomic
// adds cost depthwise layers 3–8%, so production calls skip them).
//
// This package imports neither reference/ nor oracles/: a check that calls
// what it checks proves nothing.
package optimized

import (
	"fmt"
	"math"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized/gemm"
)

// Variant is one implementation of one or more ops.
type Variant struct {
	Name string
	Ops  []conv.Op
	// Supports returns nil if the variant handles p, else why not.
	Supports func(p *conv.Problem) error
	// Run computes p's op into out (len Elems(p.DstShape())). It writes every
	// element of out and nothing outside it, uses at most workers goroutines
	// (≤ 1 = the calling goroutine) and returns an error, never panics, for a
	// problem it does not support or inputs of the wrong size.
	Run func(p *conv.Problem, in conv.Inputs[float32], out []float32, workers int) error
	// BoundC is the variant's error factor relative to direct float32
	// accumulation (conv.Bound.C); each variant's constructor derives it.
	BoundC float64
	// Exact: on integer-filled inputs (every partial sum < 2^24) the result is bit-exact.
	Exact bool
	// Deterministic: the result does not depend on workers.
	Deterministic bool
	// Normwise: the BoundC bound holds per output plane, not per element:
	// the variant's transforms mix products that cancel in exact arithmetic
	// (Winograd), so an element's error scales with the largest magnitude
	// Σ|x·w| of its (image, output channel) plane rather than its own.
	Normwise bool
	// Kernel names the inner kernel the variant's time goes to, as it runs
	// on this machine (e.g. "gemm=avx512"), for benchmark reports. It is set
	// where the variant is registered; nil for a variant built elsewhere.
	Kernel func() string

	// prepare is Prepare's implementation (nil for a variant built elsewhere).
	prepare func(p *conv.Problem, w, b []float32, workers int) (*Plan, error)
}

// Handles reports whether v lists op.
func (v Variant) Handles(op conv.Op) bool {
	for _, o := range v.Ops {
		if o == op {
			return true
		}
	}
	return false
}

// rawVariant is a variant before the registry wraps its Run with the checks
// every variant shares (validation, support, input and output sizes).
type rawVariant struct {
	Variant
	// prep prepares the variant (see preparer); the one-shot Run is prep
	// on a transient executor, then its runner.
	prep preparer
}

var registry []Variant

func register(r rawVariant) {
	v := r.Variant
	sup := r.Supports
	prep := r.prep
	name := v.Name
	v.Supports = func(p *conv.Problem) error {
		if p == nil {
			return fmt.Errorf("%s: nil problem", name)
		}
		if err := p.Validate(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if !v.Handles(p.Op) {
			return fmt.Errorf("%s: op %v not handled", name, p.Op)
		}
		return sup(p)
	}
	v.Run = func(p *conv.Problem, in conv.Inputs[float32], out []float32, workers int) error {
		if err := v.Supports(p); err != nil {
			return err
		}
		if err := in.Check(p); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if want := conv.Elems(p.DstShape()); len(out) != want {
			return fmt.Errorf("%s: out: %d elements, want %d for shape %s", name, len(out), want, conv.ShapeString(p.DstShape()))
		}
		if err := p.CheckBudget(4, conv.DefaultBudget); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if workers < 1 {
			workers = 1
		}
		return countCombos(p, workers, func() error {
			ex := newOneShot(workers)
			defer ex.release()
			run, err := prep(ex, p, in.W, in.B)
			if err != nil {
				return err
			}
			run(in, out)
			return nil
		})
	}
	v.prepare = func(p *conv.Problem, w, b []float32, workers int) (*Plan, error) {
		return prepareWith(v, prep, p, w, b, workers)
	}
	registry = append(registry, v)
}

// All returns every registered variant, in registration order.
func All() []Variant { return append([]Variant(nil), registry...) }

// For returns the variants that support p.
func For(p *conv.Problem) []Variant {
	var vs []Variant
	for _, v := range registry {
		if v.Supports(p) == nil {
			vs = append(vs, v)
		}
	}
	return vs
}

// Lookup finds a variant by name.
func Lookup(name string) (Variant, bool) {
	for _, v := range registry {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}

// Kernel names the GEMM micro-kernel in use (gemm.Kernel()).
func Kernel() string { return gemm.Kernel() }

// The inner kernels a variant's time goes to (see Variant.Kernel).
var (
	gemmKernel   = func() string { return "gemm=" + Kernel() }
	rowKernel    = func() string { return "row=" + multiTapKernel() }
	fftKernel    = func() string { return "go complex128 FFT" }
	blas32Kernel = func() string { return "gonum blas32" }
)

// withKernel names r's inner kernel.
func withKernel(r rawVariant, kernel func() string) rawVariant {
	r.Kernel = kernel
	return r
}

func init() {
	register(withKernel(im2colGemmVariant(), gemmKernel))
	register(withKernel(pointwiseVariant(), gemmKernel))
	register(withKernel(directTiledVariant(), rowKernel))
	register(withKernel(depthwiseVariant(), rowKernel))
	register(withKernel(winogradVariant(), gemmKernel))
	register(withKernel(fftVariant(), fftKernel))
	register(withKernel(deconvCol2imVariant(), gemmKernel))
	register(withKernel(deconvZeroInsertVariant(), gemmKernel))
	register(withKernel(deconvSubpixelVariant(), gemmKernel))
	register(withKernel(deconvBlockedVariant(), blockedKernelName))
	register(withKernel(deformVariant(), gemmKernel))
	register(withKernel(dynamicMixVariant(), gemmKernel))
	register(withKernel(dynamicGroupedVariant(), gemmKernel))
	register(withKernel(dynamicBlockedVariant(), blockedKernelName))
	register(withKernel(im2colBlas32Variant(), blas32Kernel))
	register(withKernel(directBlockedVariant(), blockedKernelName))
	register(withKernel(directRowsVariant(), rowsKernelName))
	register(withKernel(dynamicRowsVariant(), rowsKernelName))
	register(withKernel(deconvRowsVariant(), rowsKernelName))
}

var nan32 = float32(math.NaN())
