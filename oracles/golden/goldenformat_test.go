package golden

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"

	"codeberg.org/sbinet/npyio"
	"pgregory.net/rapid"
)

// drawProblem draws a small valid problem of any op, with its extras.
func drawProblem(t *rapid.T) conv.Problem {
	op := conv.Op(rapid.IntRange(0, 3).Draw(t, "op"))
	rank := 2
	if op == conv.OpConv || op == conv.OpDeconv {
		rank = rapid.IntRange(1, 3).Draw(t, "rank")
	}
	p := conv.New(op, rank)
	p.MB = rapid.IntRange(1, 3).Draw(t, "mb")
	p.G = rapid.IntRange(1, 3).Draw(t, "g")
	p.IC = p.G * rapid.IntRange(1, 3).Draw(t, "icg")
	p.OC = p.G * rapid.IntRange(1, 3).Draw(t, "ocg")
	for _, a := range p.Axes() {
		p.K[a] = rapid.IntRange(1, 3).Draw(t, "k")
		p.S[a] = rapid.IntRange(1, 3).Draw(t, "s")
		p.Dil[a] = rapid.IntRange(1, 2).Draw(t, "dil")
		p.PBegin[a] = rapid.IntRange(0, 2).Draw(t, "pb")
		p.PEnd[a] = rapid.IntRange(-1, 2).Draw(t, "pe")
		p.I[a] = rapid.IntRange(p.ExtK(a), p.ExtK(a)+4).Draw(t, "i")
	}
	switch op {
	case conv.OpDeform:
		p.DG = rapid.SampledFrom(divisors(p.IC)).Draw(t, "dg")
		p.Mask = rapid.Bool().Draw(t, "mask")
	case conv.OpDynamic:
		p.E = rapid.IntRange(1, 4).Draw(t, "e")
		p.Routing = conv.Routing(rapid.IntRange(0, 1).Draw(t, "routing"))
		if p.Routing == conv.RoutingSoftmax {
			p.Temperature = rapid.Float64Range(0.01, 10).Draw(t, "temperature")
		}
	}
	p.Name = rapid.StringMatching(`[a-z0-9_:.-]{0,12}`).Draw(t, "name")
	if err := p.Resolve(); err != nil {
		t.Skip(err)
	}
	return p
}

func divisors(n int) []int {
	var d []int
	for i := 1; i <= n; i++ {
		if n%i == 0 {
			d = append(d, i)
		}
	}
	return d
}

// drawValues draws n float32 values (as float64), never all zero.
func drawValues(t *rapid.T, n int, label string) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(rapid.Float32Range(-4, 4).Draw(t, label))
	}
	if n > 0 {
		v[0] = 1.25 // guards against a writer that loses everything
	}
	return v
}

func drawCase(t *rapid.T) Case {
	p := drawProblem(t)
	in := conv.Inputs[float64]{
		X: drawValues(t, conv.Elems(p.SrcShape()), "x"),
		W: drawValues(t, conv.Elems(p.WeightShape()), "w"),
	}
	if rapid.Bool().Draw(t, "bias") {
		in.B = drawValues(t, conv.Elems(p.BiasShape()), "b")
	}
	switch p.Op {
	case conv.OpDeform:
		in.Offset = drawValues(t, conv.Elems(p.OffsetShape()), "offset")
		if p.Mask {
			in.Mask = drawValues(t, conv.Elems(p.MaskShape()), "mask")
		}
	case conv.OpDynamic:
		in.RouteW = drawValues(t, conv.Elems(p.RouteWShape()), "route_w")
		in.RouteB = drawValues(t, conv.Elems(p.RouteBShape()), "route_b")
	}
	want := conv.Tensor[float64]{Shape: p.DstShape(), Data: drawValues(t, conv.Elems(p.DstShape()), "y")}
	return Case{Name: "case", Source: "rapid", Problem: p, In: in, Want: want}
}

// TestWriteLoadRoundTrip: Write then Load gives back the problem (up to conv
// end padding the floor never reads) and every tensor bit for bit.
func TestWriteLoadRoundTrip(t *testing.T) {
	root := t.TempDir()
	n := 0
	rapid.Check(t, func(t *rapid.T) {
		c := drawCase(t)
		n++
		dir := filepath.Join(root, "c", strings.Repeat("x", n%3+1))
		// The folders are reused: each write replaces the previous case.
		if err := Write(dir, c, WriteOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		got, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		p, q := c.Problem, got.Problem
		if !sameGeometry(p, q) || p.DG != q.DG || p.Mask != q.Mask || p.E != q.E || p.Routing != q.Routing || p.Temperature != q.Temperature {
			t.Fatalf("wrote %s, read %s", p.Command(), q.Command())
		}
		if got.Name != c.Name || got.Source != SourceGoldenFormat {
			t.Fatalf("name %q source %q", got.Name, got.Source)
		}
		if !reflect.DeepEqual(got.In, c.In) || !reflect.DeepEqual(got.Want, c.Want) {
			t.Fatalf("tensors changed in the round trip of %s", p.Command())
		}
		left, _ := filepath.Glob(filepath.Join(root, "c", ".*"))
		if len(left) != 0 {
			t.Fatalf("temporary folders left behind: %v", left)
		}
	})
}

// TestWriteRefuses: Write never writes a case that would read back differently.
func TestWriteRefuses(t *testing.T) {
	c, err := LoadGoldenFormat(filepath.Join(goldenDir, "test_Conv2d"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	bad := c
	bad.In.X = append([]float64(nil), c.In.X...)
	bad.In.X[3] = 0.1 // not a float32
	if err := Write(dir, bad, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "x.npy: element 3") {
		t.Errorf("non-float32 value: %v", err)
	}
	bad = c
	bad.Want.Shape = []int{1}
	if err := Write(dir, bad, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "y: shape") {
		t.Errorf("wrong y shape: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a failed Write left %s behind", dir)
	}
}

// goldenCopy copies a committed golden folder into a temp dir for mutation.
func goldenCopy(t *testing.T, name string) string {
	dir := filepath.Join(t.TempDir(), name)
	copyTree(t, filepath.Join(goldenDir, name), dir)
	return dir
}

func npyBytes(t *testing.T, v any) []byte {
	var buf bytes.Buffer
	must(t, npyio.Write(&buf, v))
	return buf.Bytes()
}

// TestGoldenFormatErrors: each malformed folder is an error naming the file
// (and the field), never a panic.
func TestGoldenFormatErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		base   string
		mutate func(t *testing.T, dir string)
		want   []string
	}{
		{"truncated data", "test_Conv2d", func(t *testing.T, dir string) { truncate(t, filepath.Join(dir, "x.npy"), 3) }, []string{"x.npy", "data"}},
		{"truncated header", "test_Conv2d", func(t *testing.T, dir string) { cut(t, filepath.Join(dir, "w.npy"), 20) }, []string{"w.npy", "header"}},
		{"empty npy", "test_Conv2d", func(t *testing.T, dir string) { cut(t, filepath.Join(dir, "y.npy"), 0) }, []string{"y.npy"}},
		{"dtype <f8", "test_Conv2d", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "b.npy"), npyBytes(t, []float64{1, 2, 3, 4}), 0o644))
		}, []string{"b.npy", "<f8"}},
		{"fortran order", "test_Conv2d", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "b.npy")
			b, _ := os.ReadFile(path)
			must(t, os.WriteFile(path, bytes.Replace(b, []byte("'fortran_order': False"), []byte("'fortran_order': True "), 1), 0o644))
		}, []string{"b.npy", "fortran_order"}},
		{"shape mismatch", "test_Conv2d", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "b.npy"), npyBytes(t, []float32{1, 2, 3}), 0o644))
		}, []string{"b.npy", "shape [3], want [4]"}},
		{"missing y", "test_Conv2d", func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "y.npy"))) }, []string{"y.npy", "missing"}},
		{"missing x", "test_Conv2d", func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "x.npy"))) }, []string{"x.npy", "missing"}},
		{"missing case.json", "test_Conv2d", func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "case.json"))) }, []string{"case.json", "missing"}},
		{"malformed JSON", "test_Conv2d", func(t *testing.T, dir string) { writeJSON(t, dir, `{"op": "conv", "problem": `) }, []string{"case.json", "malformed JSON"}},
		{"unknown op", "test_Conv2d", func(t *testing.T, dir string) {
			writeJSON(t, dir, `{"op": "pool", "problem": "mb2ic3ih7iw5oc4oh5ow4kh3kw2"}`)
		}, []string{"case.json", "field op", "pool"}},
		{"missing op", "test_Conv2d", func(t *testing.T, dir string) { writeJSON(t, dir, `{"problem": "mb2ic3ih7iw5oc4oh5ow4kh3kw2"}`) }, []string{"case.json", "field op"}},
		{"bad descriptor", "test_Conv2d", func(t *testing.T, dir string) {
			writeJSON(t, dir, `{"op": "conv", "problem": "g2mb2ic3ih7iw5oc4oh5ow4kh3kw2"}`)
		}, []string{"case.json", "field problem", "ic"}},
		{"descriptor disagrees with x", "test_Conv2d", func(t *testing.T, dir string) {
			writeJSON(t, dir, `{"op": "conv", "problem": "mb2ic3ih8iw5oc4oh6ow4kh3kw2"}`)
		}, []string{"x.npy", "shape [2 3 7 5], want [2 3 8 5]"}},
		{"offset for conv", "test_Conv2d", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "offset.npy"), npyBytes(t, []float32{1}), 0o644))
		}, []string{"offset.npy", "op conv takes no such input"}},
		{"deform offset channels", "test_deform_conv_with_mask_bias", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "offset.npy"), npyBytes(t, [][][][]float32{{{{1}}, {{2}}, {{3}}}}), 0o644))
		}, []string{"offset.npy", "multiple of 8"}},
		{"deform mask shape", "test_deform_conv_with_mask_bias", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "mask.npy"), npyBytes(t, []float32{1, 2}), 0o644))
		}, []string{"mask.npy", "want [1 4 2 2]"}},
		{"deform missing offset", "test_deform_conv_with_mask_bias", func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "offset.npy"))) }, []string{"offset.npy", "missing"}},
		{"dynamic missing routing", "dynamic_softmax_test_Conv2d", func(t *testing.T, dir string) {
			writeJSON(t, dir, `{"op": "dynamic", "problem": "ic3ih7iw5oc4oh5ow4kh3kw2"}`)
		}, []string{"case.json", "field routing"}},
		{"dynamic bad temperature", "dynamic_softmax_test_Conv2d", func(t *testing.T, dir string) {
			writeJSON(t, dir, `{"op": "dynamic", "problem": "ic3ih7iw5oc4oh5ow4kh3kw2", "routing": "softmax", "temperature": 0}`)
		}, []string{"case.json", "temperature"}},
		{"dynamic missing route_b", "dynamic_softmax_test_Conv2d", func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "route_b.npy"))) }, []string{"route_b.npy", "missing"}},
		{"dynamic route_w shape", "dynamic_sigmoid_test_Conv2d", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "route_w.npy"), npyBytes(t, []float32{0, 0, 0}), 0o644))
		}, []string{"route_w.npy", "want [3 3]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := goldenCopy(t, tc.base)
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

// TestGoldenFormatUnknownFields: a field we do not know is an error that
// names it and lists the known ones (a silently ignored "dtype": "bf16"
// would check the case as something its writer did not mean); fields named
// x-… are the writer's free annotations.
func TestGoldenFormatUnknownFields(t *testing.T) {
	for _, tc := range []struct {
		json string
		want []string // in the error; nil: loads
	}{
		{`{"op": "conv", "problem": "ic3ih7iw5oc4oh5ow4kh3kw2", "dtype": "bf16"}`, []string{"case.json", `"dtype"`, "unknown", "known fields: op, problem, routing, temperature, dir, name, source", "x-"}},
		{`{"op": "conv", "problem": "ic3ih7iw5oc4oh5ow4kh3kw2", "stride": 2, "atol": 1e-5}`, []string{`fields "stride", "atol"`, "known fields"}},
		{`{"OP": "conv", "problem": "ic3ih7iw5oc4oh5ow4kh3kw2"}`, []string{`"OP"`, "unknown"}},
		{`{"op": "conv", "problem": "ic3ih7iw5oc4oh5ow4kh3kw2", "routing": "sigmoid"}`, []string{"field routing", "only op dynamic"}},
		{`{"op": "conv", "problem": "ic3ih7iw5oc4oh5ow4kh3kw2", "temperature": 2}`, []string{"field temperature", "only op dynamic"}},
		{`{"op": "conv", "op": "deconv", "problem": "ic3ih7iw5oc4oh5ow4kh3kw2"}`, []string{"field op", "twice"}},
		{`{"op": "conv", "problem": 7}`, []string{"field problem", "not a string"}},
		{`{"op": "conv", "problem": "ic3ih7iw5oc4oh5ow4kh3kw2"} {}`, []string{"malformed JSON"}},
		{`["op"]`, []string{"malformed JSON", "object"}},
		{`{"op": "conv", "problem": "ic3ih7iw5oc4oh5ow4kh3kw2", "x-framework": {"name": "torch", "version": [2, 5]}, "x-atol": 1e-5}`, nil},
	} {
		dir := goldenCopy(t, "test_Conv2d")
		writeJSON(t, dir, tc.json)
		c, err := Load(dir)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.json, err)
			} else if c.Name != "test_Conv2d" || c.Problem.MB != 2 {
				t.Errorf("%s: name %q mb %d", tc.json, c.Name, c.Problem.MB)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: loaded", tc.json)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tc.json, err, w)
			}
		}
	}
	// Temperature with sigmoid routing has no effect, so it is refused.
	dir := goldenCopy(t, "dynamic_sigmoid_test_Conv2d")
	writeJSON(t, dir, `{"op": "dynamic", "problem": "ic3ih7iw5oc4oh5ow4kh3kw2", "routing": "sigmoid", "temperature": 1}`)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "field temperature") || !strings.Contains(err.Error(), "sigmoid") {
		t.Errorf("temperature with sigmoid routing: %v", err)
	}
}

// TestNpyVersions: format 1.0 (2-byte header length, what numpy.save writes)
// and 2.0 (4-byte, what npyio writes) both read.
func TestNpyVersions(t *testing.T) {
	v2 := npyBytes(t, [][]float32{{1, 2, 3}, {4, 5, 6}})
	if v2[6] != 2 {
		t.Fatalf("npyio wrote version %d", v2[6])
	}
	hl := binary.LittleEndian.Uint32(v2[8:])
	v1 := append([]byte("\x93NUMPY\x01\x00"), binary.LittleEndian.AppendUint16(nil, uint16(hl))...)
	v1 = append(v1, v2[12:]...)
	for _, b := range [][]byte{v1, v2} {
		got, err := decodeNpy(b)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Shape, []int{2, 3}) || got.Data[5] != 6 {
			t.Errorf("got %v %v", got.Shape, got.Data)
		}
	}
	// What we write is 1.0 with the data 64-byte aligned, as numpy.save writes it.
	enc, err := encodeNpy([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	must(t, err)
	if enc[6] != 1 || (10+int(binary.LittleEndian.Uint16(enc[8:])))%64 != 0 || enc[9+int(binary.LittleEndian.Uint16(enc[8:]))] != '\n' {
		t.Errorf("written header %q", enc[:min(len(enc), 80)])
	}
	if got, err := decodeNpy(enc); err != nil || got.Data[4] != 5 {
		t.Errorf("written file reads as %v, %v", got, err)
	}
	// A header that claims 4 GiB must not be allocated.
	huge := append([]byte("\x93NUMPY\x02\x00"), 0xff, 0xff, 0xff, 0xff, '{')
	if _, err := decodeNpy(huge); err == nil || !strings.Contains(err.Error(), "header: 4294967295 bytes declared") {
		t.Errorf("huge header: %v", err)
	}
	// A shape whose element count overflows int must not wrap to the data size.
	hdr := "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,), }\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), 0)
	if _, err := decodeNpy(append(b, hdr...)); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("overflowing shape: %v", err)
	}
	if math.MaxInt < 1<<62 {
		t.Skip("32-bit")
	}
}

func truncate(t *testing.T, path string, n int) {
	b, err := os.ReadFile(path)
	must(t, err)
	must(t, os.WriteFile(path, b[:len(b)-n], 0o644))
}

func cut(t *testing.T, path string, n int) {
	b, err := os.ReadFile(path)
	must(t, err)
	must(t, os.WriteFile(path, b[:n], 0o644))
}

func writeJSON(t *testing.T, dir, s string) {
	must(t, os.WriteFile(filepath.Join(dir, "case.json"), []byte(s), 0o644))
}
