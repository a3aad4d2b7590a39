package golden

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"
)

var update = flag.Bool("update", false, "regenerate testdata/golden from testdata/onnx")

const goldenDir = "../../testdata/golden"

// maxCaseBytes keeps the committed testdata small.
const maxCaseBytes = 300 << 10

// onnxCommit is the upstream commit the anchors come from (testdata/onnx/SOURCE.md).
const onnxCommit = "onnx/onnx@6be0677fc22e74563e6eb472f931513aefe5648d"

// The dynamic cases have no outside source, so they are built from outside
// conv goldens in a way that keeps the expected output outside-computed: the
// routing is constant (route_w = 0) and saturates or ties so that the mixed
// kernel Σₑ α[e]·w[e] is the ONNX kernel w to within 1e-15 relative, while the
// experts differ so that mixing bugs show.
//
//	sigmoid: route_b = [40, 40, −40] → α = [1, 1, 4.2e−18]; w = [2w, −w, 4w].
//	         softmax in its place gives ½w, reversed experts give 3w.
//	softmax: T = 1/64, route_b = [0, 0, −1] → r/T = [0, 0, −64] → α = [½, ½, 8e−29];
//	         w = [4w, −2w, 8w]. Ignoring T gives 2.09w, r·T gives 3.3w, reversed 3w.
var dynamicRecipes = []struct {
	name    string
	routing conv.Routing
	temp    float64
	routeB  []float64
	scale   []float64 // w[e] = scale[e]·w, b[e] = scale[e]·b; powers of two and −1 keep them exact
}{
	{"dynamic_sigmoid", conv.RoutingSigmoid, 1, []float64{40, 40, -40}, []float64{2, -1, 4}},
	{"dynamic_softmax", conv.RoutingSoftmax, 1.0 / 64, []float64{0, 0, -1}, []float64{4, -2, 8}},
}

// dynamicFrom builds a dynamic case from a 2D conv case (see dynamicRecipes).
func dynamicFrom(c Case, recipe int) Case {
	r := dynamicRecipes[recipe]
	p := c.Problem
	p.Op, p.E, p.Routing, p.Temperature = conv.OpDynamic, len(r.scale), r.routing, r.temp
	in := conv.Inputs[float64]{X: c.In.X, RouteW: make([]float64, p.E*p.IC), RouteB: r.routeB}
	for _, s := range r.scale {
		for _, v := range c.In.W {
			in.W = append(in.W, s*v)
		}
		for _, v := range c.In.B {
			in.B = append(in.B, s*v)
		}
	}
	return Case{
		Name:    r.name + "/" + c.Name,
		Source:  fmt.Sprintf("built from %s %s (%s): %s routing saturated so that the mixed kernel is the ONNX kernel", c.Source, c.Name, onnxCommit, r.routing),
		Problem: p,
		In:      in,
		Want:    c.Want,
	}
}

// mixedKernel is Σₑ α[e]·w[e] for the constant routing r = route_b (route_w = 0),
// using conv's Sigmoid and SoftmaxT (not reference code).
func mixedKernel(c Case) []float64 {
	p := c.Problem
	alpha := make([]float64, p.E)
	if p.Routing == conv.RoutingSoftmax {
		alpha = conv.SoftmaxT(c.In.RouteB, p.Temperature)
	} else {
		for e, r := range c.In.RouteB {
			alpha[e] = conv.Sigmoid(r)
		}
	}
	n := len(c.In.W) / p.E
	out := make([]float64, n)
	for e := 0; e < p.E; e++ {
		for i := range out {
			out[i] += alpha[e] * c.In.W[e*n+i]
		}
	}
	return out
}

// folderName is the testdata/golden folder of a case: its base name, prefixed
// by the recipe for dynamic cases.
func folderName(c Case) string {
	if i := strings.IndexByte(c.Name, '/'); i >= 0 && strings.HasPrefix(c.Name, "dynamic_") {
		return c.Name[:i] + "_" + baseName(c.Name)
	}
	return baseName(c.Name)
}

// TestGenerate rewrites testdata/golden from the ONNX anchors when run with
// -update: go test ./oracles/golden -run TestGenerate -update
func TestGenerate(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate testdata/golden")
	}
	cs, err := LoadONNX(onnxDir)
	if err != nil {
		t.Fatal(err)
	}
	var all []Case
	for _, c := range cs {
		g := c
		g.Source = fmt.Sprintf("%s %s (%s), converted", c.Source, c.Name, onnxCommit)
		all = append(all, g)
		if c.Problem.Op == conv.OpConv && c.Problem.Rank == 2 {
			for r := range dynamicRecipes {
				all = append(all, dynamicFrom(c, r))
			}
		}
	}
	// Only case folders live here (other packages glob testdata/golden/*);
	// the provenance notes are in TESTDATA.md beside this file.
	must(t, os.RemoveAll(goldenDir))
	seen := map[string]bool{}
	for _, c := range all {
		name := folderName(c)
		if seen[name] {
			t.Fatalf("two cases map to folder %s", name)
		}
		seen[name] = true
		if bytes := 4 * (len(c.In.X) + len(c.In.W) + len(c.In.B) + len(c.In.Offset) + len(c.In.Mask) + len(c.In.RouteW) + len(c.In.RouteB) + len(c.Want.Data)); bytes > maxCaseBytes {
			t.Logf("skip %s: %d bytes", name, bytes)
			continue
		}
		if err := Write(filepath.Join(goldenDir, name), c, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d folders", len(seen))
}

// TestGoldenFoldersLoad: every committed folder loads, and each one matches the
// outside data it was made from: converted cases carry the ONNX case's tensors
// bit for bit; dynamic cases carry its x and y, and their saturated routing
// mixes the experts back into its kernel and bias.
func TestGoldenFoldersLoad(t *testing.T) {
	dirs, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := LoadONNX(onnxDir)
	if err != nil {
		t.Fatal(err)
	}
	byBase := map[string]Case{}
	for _, c := range cs {
		byBase[baseName(c.Name)] = c
	}
	ops := map[conv.Op]int{}
	for _, d := range dirs {
		if !d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			continue
		}
		got, err := Load(filepath.Join(goldenDir, d.Name()))
		if err != nil {
			t.Errorf("%s: %v", d.Name(), err)
			continue
		}
		ops[got.Problem.Op]++
		base := d.Name()
		for _, r := range dynamicRecipes {
			base = strings.TrimPrefix(base, r.name+"_")
		}
		src, ok := byBase[base]
		if !ok {
			t.Errorf("%s: no ONNX case %s to compare with", d.Name(), base)
			continue
		}
		if !equalF(got.In.X, src.In.X) || !equalF(got.Want.Data, src.Want.Data) || !slices.Equal(got.Want.Shape, src.Want.Shape) {
			t.Errorf("%s: x or y differ from %s", d.Name(), src.Name)
		}
		if got.Problem.Op != conv.OpDynamic {
			if !sameGeometry(got.Problem, src.Problem) || got.Problem.DG != src.Problem.DG || got.Problem.Mask != src.Problem.Mask {
				t.Errorf("%s: %s, ONNX %s", d.Name(), got.Problem.Command(), src.Problem.Command())
			}
			if !equalF(got.In.W, src.In.W) || !equalF(got.In.B, src.In.B) || !equalF(got.In.Offset, src.In.Offset) || !equalF(got.In.Mask, src.In.Mask) {
				t.Errorf("%s: inputs differ from %s", d.Name(), src.Name)
			}
			continue
		}
		g := got.Problem
		g.Op, g.E, g.Routing, g.Temperature = conv.OpConv, 1, 0, 1
		if !sameGeometry(g, src.Problem) {
			t.Errorf("%s: %s does not wrap %s", d.Name(), got.Problem.Command(), src.Problem.Command())
		}
		for _, v := range got.In.RouteW {
			if v != 0 {
				t.Errorf("%s: route_w must be 0 for the routing to be constant", d.Name())
				break
			}
		}
		if !closeF(mixedKernel(got), src.In.W, 1e-15) {
			t.Errorf("%s: mixed kernel is not %s's kernel", d.Name(), src.Name)
		}
		if src.In.B != nil {
			mb := mixedKernel(Case{Problem: got.Problem, In: conv.Inputs[float64]{W: got.In.B, RouteB: got.In.RouteB}})
			if !closeF(mb, src.In.B, 1e-15) {
				t.Errorf("%s: mixed bias is not %s's bias", d.Name(), src.Name)
			}
		} else if got.In.B != nil {
			t.Errorf("%s: has a bias, %s has none", d.Name(), src.Name)
		}
	}
	if ops[conv.OpConv] != 32 || ops[conv.OpDeconv] != 14 || ops[conv.OpDeform] != 4 || ops[conv.OpDynamic] != 2*17 {
		t.Errorf("folders per op %v, want 32 conv, 14 deconv, 4 deform, 34 dynamic", ops)
	}
}

// TestDynamicRecipesDiscriminate: the recipes would catch the routing bugs
// they claim to (softmax for sigmoid, T ignored, reversed experts).
func TestDynamicRecipesDiscriminate(t *testing.T) {
	w := []float64{1.5, -0.25, 3}
	base := Case{Name: "k", Problem: conv.New(conv.OpConv, 2), In: conv.Inputs[float64]{X: []float64{1}, W: w}}
	base.Problem.OC, base.Problem.K = 1, [3]int{1, 1, 3}
	for r := range dynamicRecipes {
		d := dynamicFrom(base, r)
		if !closeF(mixedKernel(d), w, 1e-15) {
			t.Errorf("%s: mixed %v, want %v", dynamicRecipes[r].name, mixedKernel(d), w)
		}
		wrong := []Case{d, d, d}
		wrong[0].Problem.Routing = 1 - d.Problem.Routing // the other routing function
		wrong[1].Problem.Temperature = 1                 // temperature ignored
		rev := append([]float64(nil), d.In.RouteB...)
		for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
			rev[i], rev[j] = rev[j], rev[i]
		}
		wrong[2].In.RouteB = rev // experts reversed
		for i, c := range wrong {
			if i == 1 && d.Problem.Routing != conv.RoutingSoftmax {
				continue
			}
			if closeF(mixedKernel(c), w, 1e-3) {
				t.Errorf("%s: bug %d goes unnoticed", dynamicRecipes[r].name, i)
			}
		}
	}
}

func equalF(a, b []float64) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

func closeF(a, b []float64, rel float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > rel*math.Abs(b[i]) {
			return false
		}
	}
	return true
}
