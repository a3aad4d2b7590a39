package golden

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"pgregory.net/rapid"
)

// tensorProto encodes a TensorProto by hand, in each of the layouts a reader must accept.
type tpLayout struct {
	packedDims, floatData, packedFloats bool
}

func encodeTensorProto(dims []int64, data []float32, name string, l tpLayout) []byte {
	var b []byte
	if name != "" {
		b = protowire.AppendTag(b, tpName, protowire.BytesType)
		b = protowire.AppendString(b, name)
	}
	// An unknown field first: readers must skip it.
	b = protowire.AppendTag(b, 12, protowire.BytesType)
	b = protowire.AppendString(b, "doc string")
	if l.packedDims {
		var p []byte
		for _, d := range dims {
			p = protowire.AppendVarint(p, uint64(d))
		}
		b = protowire.AppendTag(b, tpDims, protowire.BytesType)
		b = protowire.AppendBytes(b, p)
	} else {
		for _, d := range dims {
			b = protowire.AppendTag(b, tpDims, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(d))
		}
	}
	b = protowire.AppendTag(b, tpDataType, protowire.VarintType)
	b = protowire.AppendVarint(b, 1)
	var raw []byte
	for _, v := range data {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	switch {
	case !l.floatData:
		b = protowire.AppendTag(b, tpRawData, protowire.BytesType)
		b = protowire.AppendBytes(b, raw)
	case l.packedFloats:
		b = protowire.AppendTag(b, tpFloatData, protowire.BytesType)
		b = protowire.AppendBytes(b, raw)
	default:
		for _, v := range data {
			b = protowire.AppendTag(b, tpFloatData, protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(v))
		}
	}
	b = protowire.AppendTag(b, 99, protowire.Fixed64Type) // unknown trailing field
	b = protowire.AppendFixed64(b, 7)
	return b
}

// TestReadTensorProtoLayouts: every accepted layout gives the same tensor.
func TestReadTensorProtoLayouts(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rank := rapid.IntRange(0, 4).Draw(t, "rank")
		dims := make([]int64, rank)
		n := 1
		for i := range dims {
			dims[i] = int64(rapid.IntRange(1, 4).Draw(t, "dim"))
			n *= int(dims[i])
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = rapid.Float32().Draw(t, "v")
		}
		name := rapid.StringMatching(`[A-Za-z_]{0,4}`).Draw(t, "name")
		l := tpLayout{rapid.Bool().Draw(t, "packedDims"), rapid.Bool().Draw(t, "floatData"), rapid.Bool().Draw(t, "packedFloats")}
		got, gotName, err := ReadTensorProto(encodeTensorProto(dims, data, name, l))
		if err != nil {
			t.Fatal(err)
		}
		if gotName != name || len(got.Shape) != rank || len(got.Data) != n {
			t.Fatalf("name %q shape %v len %d", gotName, got.Shape, len(got.Data))
		}
		for i := range data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(data[i]) {
				t.Fatalf("element %d: %v, want %v", i, got.Data[i], data[i])
			}
		}
	})
}

// TestReadTensorProtoErrors: bad tensors are errors naming the field.
func TestReadTensorProtoErrors(t *testing.T) {
	good := encodeTensorProto([]int64{2, 3}, []float32{1, 2, 3, 4, 5, 6}, "x", tpLayout{})
	double := append([]byte(nil), good...)
	for i := range double { // data_type is the byte after its tag (field 2, varint = 0x10)
		if double[i] == 0x10 && double[i+1] == 1 {
			double[i+1] = 11
			break
		}
	}
	short := encodeTensorProto([]int64{2, 3}, []float32{1, 2, 3, 4, 5}, "x", tpLayout{})
	both := protowire.AppendTag(append([]byte(nil), good...), tpFloatData, protowire.Fixed32Type)
	both = protowire.AppendFixed32(both, 0)
	wrongWire := protowire.AppendTag(append([]byte(nil), good...), tpRawData, protowire.VarintType)
	wrongWire = protowire.AppendVarint(wrongWire, 1)
	huge := encodeTensorProto([]int64{1 << 40, 1 << 40}, []float32{1}, "", tpLayout{})
	noType := protowire.AppendTag(nil, tpRawData, protowire.BytesType)
	noType = protowire.AppendBytes(noType, []byte{0, 0, 0, 0})
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"double", double, "data_type: 11 (DOUBLE)"},
		{"short raw_data", short, "raw_data: 20 bytes, want 4·6 = 24"},
		{"both", both, "both raw_data and float_data"},
		{"wrong wire type", wrongWire, "raw_data: wire type 0"},
		{"huge dims", huge, "dims"},
		{"no data_type", noType, "data_type: 0 (UNDEFINED)"},
		{"truncated", good[:len(good)-12], "truncated"},
	} {
		_, _, err := ReadTensorProto(tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	// Every prefix of a real file is an error, never a panic or a silent success
	// (a prefix that stops between fields would parse, so only count those that cut data).
	b, err := os.ReadFile(filepath.Join(onnxDir, "test_deform_conv_with_mask_bias", "test_data_set_0", "input_2.pb"))
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n++ {
		if _, _, err := ReadTensorProto(b[:n]); err == nil {
			t.Errorf("prefix of %d/%d bytes accepted", n, len(b))
		}
	}
}

// TestONNXErrors: damaged node tests are errors naming the file.
func TestONNXErrors(t *testing.T) {
	name := "test_deform_conv_with_mask_bias"
	for _, tc := range []struct {
		what   string
		mutate func(t *testing.T, dir string)
		want   []string
	}{
		{"truncated input", func(t *testing.T, dir string) { truncate(t, filepath.Join(dir, "test_data_set_0", "input_2.pb"), 5) }, []string{"input_2.pb", "raw_data"}},
		{"truncated output", func(t *testing.T, dir string) { cut(t, filepath.Join(dir, "test_data_set_0", "output_0.pb"), 3) }, []string{"output_0.pb"}},
		{"missing input", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "test_data_set_0", "input_4.pb")))
		}, []string{"input_4.pb", "missing"}},
		{"truncated model", func(t *testing.T, dir string) { truncate(t, filepath.Join(dir, "model.onnx"), 40) }, []string{"model.onnx"}},
		{"wrong shape", func(t *testing.T, dir string) {
			src := filepath.Join(onnxDir, "test_basic_deform_conv_with_padding", "test_data_set_0", "input_2.pb")
			b, err := os.ReadFile(src)
			must(t, err)
			must(t, os.WriteFile(filepath.Join(dir, "test_data_set_0", "input_2.pb"), b, 0o644))
		}, []string{"offset", "shape"}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			copyTree(t, filepath.Join(onnxDir, name), dir)
			tc.mutate(t, dir)
			_, err := LoadONNXDir(dir)
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

// TestResolveAttrs covers the ONNX padding rules no anchor exercises.
func TestResolveAttrs(t *testing.T) {
	ints := func(v ...int64) onnxAttr { return onnxAttr{ints: v, hasIs: true} }
	str := func(s string) onnxAttr { return onnxAttr{s: s, hasS: true} }
	x, w := []int{1, 1, 6, 6}, []int{1, 1, 3, 3}
	for _, tc := range []struct {
		name  string
		op    string
		attrs map[string]onnxAttr
		pads  []int
		out   []int
		err   string
	}{
		// in 6, s 2: out 3, total max(0, 2·2 + 3 − 6) = 1; SAME_UPPER puts it at the end.
		{"same upper", "Conv", map[string]onnxAttr{"auto_pad": str("SAME_UPPER"), "strides": ints(2, 2)}, []int{0, 0, 1, 1}, nil, ""},
		{"same lower", "Conv", map[string]onnxAttr{"auto_pad": str("SAME_LOWER"), "strides": ints(2, 2)}, []int{1, 1, 0, 0}, nil, ""},
		{"valid", "Conv", map[string]onnxAttr{"auto_pad": str("VALID")}, []int{0, 0, 0, 0}, nil, ""},
		// total = 1·5 + 0 + 3 − 5 = 3 with output_shape: NOTSET puts the larger half first.
		{"output_shape positive total", "ConvTranspose", map[string]onnxAttr{"output_shape": ints(5, 5)}, []int{2, 2, 1, 1}, []int{5, 5}, ""},
		{"output_shape with N and C", "ConvTranspose", map[string]onnxAttr{"output_shape": ints(1, 1, 5, 5)}, []int{2, 2, 1, 1}, []int{5, 5}, ""},
		{"pads and auto_pad", "Conv", map[string]onnxAttr{"auto_pad": str("SAME_UPPER"), "pads": ints(1, 1, 1, 1)}, nil, nil, "cannot be combined"},
		{"deform auto_pad", "DeformConv", map[string]onnxAttr{"auto_pad": str("SAME_UPPER")}, nil, nil, "DeformConv has no auto_pad"},
		{"kernel_shape disagrees", "Conv", map[string]onnxAttr{"kernel_shape": ints(2, 2)}, nil, nil, "kernel_shape"},
		{"bad auto_pad", "Conv", map[string]onnxAttr{"auto_pad": str("SAME")}, nil, nil, "auto_pad"},
		{"strides count", "Conv", map[string]onnxAttr{"strides": ints(2)}, nil, nil, "strides: 1 values, want 2"},
	} {
		r, err := resolveAttrs(tc.op, tc.attrs, onnxShapes{x: x, w: w})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !slices.Equal(r.Pads, tc.pads) || (tc.out != nil && !slices.Equal(r.OutputSpatialShape, tc.out)) {
			t.Errorf("%s: pads %v out %v, want %v %v", tc.name, r.Pads, r.OutputSpatialShape, tc.pads, tc.out)
		}
	}
}
