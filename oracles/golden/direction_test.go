package golden

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// gradCase fills a case for p's direction with exactly the tensors the table
// lists, drawn by draw(n, label) (float32 values, never all zero); the bias
// is left out when noBias.
func gradCase(p conv.Problem, noBias bool, draw func(n int, label string) []float64) (Case, error) {
	specs, err := p.Tensors()
	if err != nil {
		return Case{}, err
	}
	c := Case{Name: "grad", Source: "test", Problem: p}
	for _, s := range specs {
		if s.Name == "b" && noBias {
			continue
		}
		*c.slot(s.Name) = draw(conv.Elems(s.Shape), s.Name)
		if s.Name == "y" {
			c.Want.Shape = s.Shape
		}
	}
	return c, nil
}

// TestWriteLoadGradientRoundTrip: every direction of every op, written and
// loaded, gives back its direction and exactly the tensors the table lists,
// bit for bit, and case.json names the direction unless it is FWD_B.
func TestWriteLoadGradientRoundTrip(t *testing.T) {
	root := t.TempDir()
	n := 0
	rapid.Check(t, func(t *rapid.T) {
		p := drawProblem(t)
		p.Dir = conv.Dir(rapid.IntRange(int(conv.DirFwdB), int(conv.DirBwdWB)).Draw(t, "dir"))
		noBias := rapid.Bool().Draw(t, "nobias")
		c, err := gradCase(p, noBias, func(n int, label string) []float64 { return drawValues(t, n, label) })
		if err != nil {
			t.Fatal(err)
		}
		n++
		dir := filepath.Join(root, strings.Repeat("g", n%3+1))
		if err := Write(dir, c, WriteOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		got, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got.Problem.Dir != p.Dir || !sameGeometry(got.Problem, p) || got.Problem.Mask != p.Mask || got.Problem.DG != p.DG || got.Problem.E != p.E {
			t.Fatalf("wrote %s, read %s", p.Command(), got.Problem.Command())
		}
		for _, name := range tensorNames {
			if !reflect.DeepEqual(got.Tensor(name), c.Tensor(name)) {
				t.Fatalf("%s of %s changed in the round trip", name, p.Command())
			}
		}
		var cj map[string]any
		b, _ := os.ReadFile(filepath.Join(dir, "case.json"))
		if err := json.Unmarshal(b, &cj); err != nil {
			t.Fatal(err)
		}
		if d, ok := cj["dir"]; ok != (p.Dir != conv.DirFwdB) || ok && d != p.Dir.String() {
			t.Fatalf("case.json dir %v for %s", d, p.Dir)
		}
		specs, _ := p.Tensors()
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			name := strings.TrimSuffix(e.Name(), ".npy")
			if e.Name() != "case.json" && !slices.ContainsFunc(specs, func(s conv.TensorSpec) bool { return s.Name == name }) {
				t.Fatalf("%s wrote %s, which direction %s does not list", p.Command(), e.Name(), p.Dir)
			}
		}
	})
}

// writeGradCase writes a fixed small case of op in direction d into a new
// folder and returns it.
func writeGradCase(t testing.TB, op conv.Op, d conv.Dir, mask bool) string {
	t.Helper()
	return writeGradCaseIn(t, t.TempDir(), op, d, mask)
}

// writeGradCaseIn is writeGradCase in the folder root.
func writeGradCaseIn(t testing.TB, root string, op conv.Op, d conv.Dir, mask bool) string {
	t.Helper()
	desc := map[conv.Op]string{conv.OpConv: "g2mb2ic4ih6oc4oh3kh3sh2ph1", conv.OpDeconv: "mb2ic4ih3oc2oh6kh3sh2ph1",
		conv.OpDeform: "mb1ic2ih5oc2oh5kh3ph1", conv.OpDynamic: "mb2ic2ih5oc3oh5kh3ph1"}[op]
	p, err := conv.ParseDescriptor(desc, op)
	must(t, err)
	p.Dir = d
	switch op {
	case conv.OpDeform:
		p.Mask = mask
	case conv.OpDynamic:
		p.E, p.Routing, p.Temperature = 3, conv.RoutingSoftmax, 0.5
	}
	must(t, p.Validate())
	k := 0
	c, err := gradCase(p, false, func(n int, _ string) []float64 {
		v := make([]float64, n)
		for i := range v {
			k++
			v[i] = float64(k%13-6) / 8
		}
		return v
	})
	must(t, err)
	dir := filepath.Join(root, op.String()+"_"+d.String())
	must(t, Write(dir, c, WriteOptions{}))
	return dir
}

// TestGradientFormatErrors: each malformed gradient folder is an error that
// names the file, the tensor and the direction; never a panic.
func TestGradientFormatErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		op     conv.Op
		dir    conv.Dir
		mutate func(t *testing.T, dir string)
		want   []string
	}{
		{"missing dy", conv.OpConv, conv.DirBwdD, func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "dy.npy"))) },
			[]string{"dy.npy", "missing", "direction BWD_D of op conv reads dy"}},
		{"missing dw", conv.OpDeconv, conv.DirBwdWB, func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "dw.npy"))) },
			[]string{"dw.npy", "missing", "direction BWD_WB of op deconv writes dw"}},
		{"dy shape", conv.OpConv, conv.DirBwdW, func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "dy.npy"), npyBytes(t, []float32{1, 2, 3}), 0o644))
		}, []string{"dy.npy", "shape [3], want [2 4 3 3]", "BWD_W", "direction BWD_W of op conv reads dy"}},
		{"dy dtype", conv.OpDynamic, conv.DirBwdD, func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "dy.npy"), npyBytes(t, []float64{1, 2, 3}), 0o644))
		}, []string{"dy.npy", "<f8", "direction BWD_D of op dynamic reads dy"}},
		{"dx dtype", conv.OpDeform, conv.DirBwdD, func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "dx.npy"), npyBytes(t, []int32{1}), 0o644))
		}, []string{"dx.npy", "dtype", "direction BWD_D of op deform writes dx"}},
		{"unknown dir", conv.OpConv, conv.DirBwdD, func(t *testing.T, dir string) {
			writeJSON(t, dir, `{"op": "conv", "problem": "g2mb2ic4ih6oc4oh3kh3sh2ph1", "dir": "BWD_X"}`)
		}, []string{"case.json", "field dir", `"BWD_X"`, "BWD_WB"}},
		{"FWD_I", conv.OpConv, conv.DirBwdD, func(t *testing.T, dir string) {
			writeJSON(t, dir, `{"op": "conv", "problem": "g2mb2ic4ih6oc4oh3kh3sh2ph1", "dir": "FWD_I"}`)
		}, []string{"case.json", "field dir", "FWD_I"}},
		{"dir not a string", conv.OpConv, conv.DirBwdD, func(t *testing.T, dir string) {
			writeJSON(t, dir, `{"op": "conv", "problem": "g2mb2ic4ih6oc4oh3kh3sh2ph1", "dir": 2}`)
		}, []string{"case.json", "field dir", "not a string"}},
		{"gradient case read as forward", conv.OpConv, conv.DirBwdD, func(t *testing.T, dir string) {
			writeJSON(t, dir, `{"op": "conv", "problem": "g2mb2ic4ih6oc4oh3kh3sh2ph1"}`)
		}, []string{"x.npy", "missing"}},
		{"w for conv BWD_W", conv.OpConv, conv.DirBwdW, func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "w.npy"), npyBytes(t, []float32{1}), 0o644))
		}, []string{"w.npy", "present", "direction BWD_W of op conv neither reads nor writes w"}},
		{"db for BWD_W", conv.OpConv, conv.DirBwdW, func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "db.npy"), npyBytes(t, []float32{1}), 0o644))
		}, []string{"db.npy", "present", "BWD_W"}},
		{"y in a backward case", conv.OpDeconv, conv.DirBwdD, func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "y.npy"), npyBytes(t, []float32{1}), 0o644))
		}, []string{"y.npy", "present", "BWD_D"}},
		{"dy in a forward case", conv.OpConv, conv.DirFwdD, func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "dy.npy"), npyBytes(t, []float32{1}), 0o644))
		}, []string{"dy.npy", "present", "FWD_D"}},
		{"dmask without mask", conv.OpDeform, conv.DirBwdD, func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "mask.npy"))) },
			[]string{"dmask.npy", "without mask.npy"}},
		{"mask without dmask", conv.OpDeform, conv.DirBwdD, func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "dmask.npy"))) },
			[]string{"dmask.npy", "missing", "writes dmask"}},
		{"droute_w shape", conv.OpDynamic, conv.DirBwdW, func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "droute_w.npy"), npyBytes(t, []float32{1, 2}), 0o644))
		}, []string{"droute_w.npy", "want [3 2]", "writes droute_w"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeGradCase(t, tc.op, tc.dir, true)
			if _, err := Load(dir); err != nil {
				t.Fatalf("the unmutated case: %v", err)
			}
			tc.mutate(t, dir)
			_, err := Load(dir)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestWriteRefusesGradientMismatch: Write refuses a backward case whose
// tensors are not the direction's, naming the tensor and the direction.
func TestWriteRefusesGradientMismatch(t *testing.T) {
	p, err := conv.ParseDescriptor("mb2ic4ih6oc4oh3kh3sh2ph1", conv.OpConv)
	must(t, err)
	p.Dir = conv.DirBwdD
	c, err := gradCase(p, false, func(n int, _ string) []float64 { return make([]float64, n) })
	must(t, err)
	for _, tc := range []struct {
		name   string
		mutate func(c *Case)
		want   string
	}{
		{"no dy", func(c *Case) { c.DY = nil }, "dy: 0 elements, want 72"},
		{"short dx", func(c *Case) { c.Grads.DX = c.Grads.DX[1:] }, "dx: 287 elements"},
		{"x not read", func(c *Case) { c.In.X = make([]float64, 288) }, "x: given, but direction BWD_D of op conv neither reads nor writes it"},
		{"dw not written", func(c *Case) { c.Grads.DW = make([]float64, 144) }, "dw: given"},
		{"y in a backward case", func(c *Case) { c.Want = conv.Tensor[float64]{Shape: []int{1}, Data: []float64{0}} }, "y: given"},
		{"dx not a float32", func(c *Case) { c.Grads.DX = slices.Clone(c.Grads.DX); c.Grads.DX[5] = 0.1 }, "dx.npy: element 5"},
	} {
		bad := c
		tc.mutate(&bad)
		dir := filepath.Join(t.TempDir(), "out")
		if err := Write(dir, bad, WriteOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s: a failed Write left %s behind", tc.name, dir)
		}
	}
}

// TestGradientBudget: a gradient case's tensors count 16 bytes per element
// of the forward tensors (a gradient beside each value), a forward case's 8:
// a budget between the two loads the forward case and refuses the gradient
// case of the same problem, naming the budget.
func TestGradientBudget(t *testing.T) {
	fwd := writeGradCase(t, conv.OpConv, conv.DirFwdD, false)
	bwd := writeGradCase(t, conv.OpConv, conv.DirBwdWB, false)
	c, err := Load(fwd)
	must(t, err)
	p := c.Problem
	var elems int64
	for _, s := range [][]int{p.SrcShape(), p.DstShape(), p.WeightShape(), p.BiasShape()} {
		elems += int64(conv.Elems(s))
	}
	opt := LoadOptions{Budget: 12 * elems}
	if _, err := LoadWith(fwd, opt); err != nil {
		t.Errorf("forward case within %d bytes: %v", opt.Budget, err)
	}
	if _, err := LoadWith(bwd, opt); err == nil || !strings.Contains(err.Error(), "budget") {
		t.Errorf("gradient case over %d bytes: %v", opt.Budget, err)
	}
	if _, err := LoadWith(bwd, LoadOptions{Budget: 16 * elems}); err != nil {
		t.Errorf("gradient case within %d bytes: %v", 16*elems, err)
	}
}
