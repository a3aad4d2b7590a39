package reference

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"convverify/conv"
	"google.golang.org/protobuf/encoding/protowire"
)

// The 50 ONNX conformance goldens (testdata/onnx, see its SOURCE.md): Conv,
// ConvTranspose and DeformConv outputs computed by the ONNX reference and by
// PyTorch. They anchor the reference's semantics to the outside world; the
// rapid properties only tie the ops to each other.
//
// The reader here is deliberately tiny and private: tests of this package may
// not import the project's own golden readers.

const onnxDir = "../testdata/onnx"

type onnxCase struct {
	Name     string `json:"name"`
	Op       string `json:"op"`
	Resolved struct {
		Kernel      []int `json:"kernel_shape"`
		Strides     []int `json:"strides"`
		Dilations   []int `json:"dilations"`
		Group       int   `json:"group"`
		Pads        []int `json:"pads"`
		OffsetGroup int   `json:"offset_group"`
		OutPad      []int `json:"output_padding"`
	} `json:"resolved"`
	Inputs  []onnxTensor `json:"inputs"`
	Outputs []onnxTensor `json:"outputs"`
}

type onnxTensor struct {
	File  string `json:"file"`
	Role  string `json:"role"`
	Shape []int  `json:"shape"`
}

func TestONNXGoldens(t *testing.T) {
	var cases []onnxCase
	for _, f := range []string{"cases.json", "pytorch_cases.json"} {
		raw, err := os.ReadFile(filepath.Join(onnxDir, f))
		if err != nil {
			t.Fatal(err)
		}
		var cs []onnxCase
		if err := json.Unmarshal(raw, &cs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cases = append(cases, cs...)
	}
	if len(cases) != 50 {
		t.Errorf("%d golden cases, want the 50 of SOURCE.md", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			dir := filepath.Join(onnxDir, c.Name, "test_data_set_0")
			in := conv.Inputs[float64]{}
			var xShape []int
			for _, ti := range c.Inputs {
				v := readTensorProto(t, filepath.Join(dir, ti.File), ti.Shape)
				switch ti.Role {
				case "X":
					in.X, xShape = v, ti.Shape
				case "W":
					in.W = v
				case "B":
					in.B = v
				case "offset":
					in.Offset = v
				case "mask":
					in.Mask = v
				default:
					t.Fatalf("%s: unknown role %q", ti.File, ti.Role)
				}
			}
			wShape := c.Inputs[1].Shape
			p := onnxProblem(t, c, xShape, wShape, in.Mask != nil)
			yShape := c.Outputs[0].Shape
			if !equalInts(p.DstShape(), yShape) {
				t.Fatalf("%#v: output shape %v, golden %v", *p, p.DstShape(), yShape)
			}
			want := readTensorProto(t, filepath.Join(dir, c.Outputs[0].File), yShape)

			got, err := Forward(p, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			// The golden is a float32 result; judge it as we judge any, against
			// the float64 reference with the float32 accumulation bound.
			mag := Magnitude(p, in)
			v := conv.Compare(want, got, mag, conv.DefaultBound(p), yShape)
			if !v.OK() {
				t.Errorf("%#v: golden vs reference %v", *p, v)
			}
		})
	}
}

func onnxProblem(t *testing.T, c onnxCase, x, w []int, mask bool) *conv.Problem {
	r := c.Resolved
	rank := len(r.Kernel)
	var p conv.Problem
	switch c.Op {
	case "Conv":
		p = conv.New(conv.OpConv, rank)
		p.OC = w[0]
	case "ConvTranspose":
		p = conv.New(conv.OpDeconv, rank)
		p.OC = w[1] * r.Group
	case "DeformConv":
		p = conv.New(conv.OpDeform, rank)
		p.OC = w[0]
		p.DG = max(r.OffsetGroup, 1)
		p.Mask = mask
	default:
		t.Fatalf("unknown op %q", c.Op)
	}
	p.MB, p.IC, p.G = x[0], x[1], r.Group
	for j, a := range p.Axes() {
		p.I[a] = x[2+j]
		p.K[a], p.S[a], p.Dil[a] = r.Kernel[j], r.Strides[j], r.Dilations[j]
		p.PBegin[a], p.PEnd[a] = r.Pads[j], r.Pads[rank+j]
		if r.OutPad != nil {
			// Output padding extends the output: it is negative end padding.
			p.PEnd[a] -= r.OutPad[j]
		}
	}
	if err := p.Resolve(); err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	return &p
}

// readTensorProto reads a float32 onnx.TensorProto (dims 1, data_type 2,
// float_data 4, raw_data 9) and checks its dims against shape.
func readTensorProto(t *testing.T, path string, shape []int) []float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dims []int
	var vals []float64
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("%s: bad tag: %v", path, protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				t.Fatalf("%s: bad dim", path)
			}
			dims, b = append(dims, int(v)), b[n:]
		case num == 1 && typ == protowire.BytesType:
			pk, n := protowire.ConsumeBytes(b)
			if n < 0 {
				t.Fatalf("%s: bad packed dims", path)
			}
			for len(pk) > 0 {
				v, m := protowire.ConsumeVarint(pk)
				if m < 0 {
					t.Fatalf("%s: bad packed dim", path)
				}
				dims, pk = append(dims, int(v)), pk[m:]
			}
			b = b[n:]
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 || v != 1 {
				t.Fatalf("%s: data_type %d, want 1 (FLOAT)", path, v)
			}
			b = b[n:]
		case (num == 9 || num == 4) && typ == protowire.BytesType:
			raw, n := protowire.ConsumeBytes(b)
			if n < 0 || len(raw)%4 != 0 {
				t.Fatalf("%s: bad float data", path)
			}
			for i := 0; i < len(raw); i += 4 {
				vals = append(vals, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
			}
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				t.Fatalf("%s: bad field %d", path, num)
			}
			b = b[n:]
		}
	}
	if !equalInts(dims, shape) || len(vals) != conv.Elems(shape) {
		t.Fatalf("%s: dims %v with %d values, want shape %v", path, dims, len(vals), shape)
	}
	return vals
}

func equalInts(a, b []int) bool { return fmt.Sprint(a) == fmt.Sprint(b) }
