package optimized_test

import (
	"os"
	"path/filepath"
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
)

// TestTasksMatchForEach: for rapid's problems (at the small test tiles, so
// that every block count has a remainder) and every variant that supports
// them, Tasks gives the task count of the last parallel phase the variant's
// one-shot Run actually hands to forEach.
func TestTasksMatchForEach(t *testing.T) {
	smallTiles(t)
	var last int
	old := optimized.SetForEachHook(func(n int) { last = n })
	t.Cleanup(func() { optimized.SetForEachHook(old) })
	rapid.Check(t, func(rt *rapid.T) {
		p := convtest.ProblemGen().Draw(rt, "p")
		rng := convtest.RNG(rt)
		in := intInputs(&p, rng, rapid.Bool().Draw(rt, "bias"))
		out := make([]float32, conv.Elems(p.DstShape()))
		for _, v := range optimized.For(&p) {
			// the GEMM variants' split depends on the worker count (splitTarget)
			for _, w := range []int{1, 2} {
				last = -1
				if err := v.Run(&p, in, out, w); err != nil {
					rt.Fatalf("%s %s: %v", v.Name, p.Descriptor(), err)
				}
				n, why := optimized.Tasks(v, &p, w)
				if n != last {
					rt.Fatalf("%s %s: Tasks(…, %d) = %d (%s), the run's last forEach had %d tasks", v.Name, p.Descriptor(), w, n, why, last)
				}
				if (n < w) != (why != "") {
					rt.Fatalf("%s %s: %d tasks at %d workers, why %q", v.Name, p.Descriptor(), n, w, why)
				}
			}
		}
	})
}

func TestTasksUnsupported(t *testing.T) {
	p := conv.New(conv.OpConv, 2)
	p.I, p.K = [3]int{1, 5, 5}, [3]int{1, 5, 5}
	p = mustResolve(t, p)
	v, _ := optimized.Lookup("winograd-f2x3")
	if n, why := optimized.Tasks(v, &p, 1); n != 0 || why == "" {
		t.Errorf("Tasks(winograd, 5×5) = %d, %q; want 0 and the reason", n, why)
	}
}

// shapeProblems reads every problem of the benchdnn shape files (conv and
// deconv), each with its file name; mb, when > 0, replaces the batch.
func shapeProblems(t *testing.T, glob string, mb int) (names []string, ps []conv.Problem) {
	t.Helper()
	for _, dir := range []struct {
		path string
		op   conv.Op
	}{{"../shapes/benchdnn/conv", conv.OpConv}, {"../shapes/benchdnn/deconv", conv.OpDeconv}} {
		files, err := filepath.Glob(filepath.Join(dir.path, glob))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range conv.ParseShapeFile(string(text)) {
				p, err := conv.ParseDescriptor(d, dir.op)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if mb > 0 {
					p.MB = mb
				}
				names = append(names, filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f))
				ps = append(ps, p)
			}
		}
	}
	if len(ps) == 0 {
		t.Fatalf("no problems in %s", glob)
	}
	return names, ps
}
