package oracles

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

// onnxCase is the part of testdata/onnx/{cases,pytorch_cases}.json this test reads.
type onnxCase struct {
	Name     string `json:"name"`
	Op       string `json:"op"`
	Resolved struct {
		Kernel   []int `json:"kernel_shape"`
		Strides  []int `json:"strides"`
		Dil      []int `json:"dilations"`
		Group    int   `json:"group"`
		Pads     []int `json:"pads"`
		OffGroup int   `json:"offset_group"`
		OutPad   []int `json:"output_padding"`
	} `json:"resolved"`
	Inputs []struct {
		File  string `json:"file"`
		Role  string `json:"role"`
		Shape []int  `json:"shape"`
	} `json:"inputs"`
	Outputs []struct {
		File  string `json:"file"`
		Shape []int  `json:"shape"`
	} `json:"outputs"`
}

// readTensorProto reads the float32 payload of a serialized onnx.TensorProto
// (dims = 1, data_type = 2, float_data = 4, raw_data = 9).
func readTensorProto(path string) (dims []int, data []float64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, nil, fmt.Errorf("%s: bad tag", path)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, nil, fmt.Errorf("%s: dims: bad varint", path)
			}
			dims, b = append(dims, int(v)), b[n:]
		case num == 1 && typ == protowire.BytesType:
			pk, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, nil, fmt.Errorf("%s: dims: bad packed field", path)
			}
			for len(pk) > 0 {
				v, m := protowire.ConsumeVarint(pk)
				if m < 0 {
					return nil, nil, fmt.Errorf("%s: dims: bad varint", path)
				}
				dims, pk = append(dims, int(v)), pk[m:]
			}
			b = b[n:]
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 || v != 1 {
				return nil, nil, fmt.Errorf("%s: data_type %d, want 1 (FLOAT)", path, v)
			}
			b = b[n:]
		case (num == 9 || num == 4) && typ == protowire.BytesType:
			raw, n := protowire.ConsumeBytes(b)
			if n < 0 || len(raw)%4 != 0 {
				return nil, nil, fmt.Errorf("%s: field %d: bad float payload", path, num)
			}
			for i := 0; i < len(raw); i += 4 {
				data = append(data, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
			}
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, nil, fmt.Errorf("%s: field %d: bad value", path, num)
			}
			b = b[n:]
		}
	}
	if len(data) != conv.Elems(dims) {
		return nil, nil, fmt.Errorf("%s: %d floats for dims %v", path, len(data), dims)
	}
	return dims, data, nil
}

// onnxProblem turns a case's resolved attributes and shapes into a Problem.
// ONNX ConvTranspose's output_padding enters as end padding e − output_padding.
func onnxProblem(c onnxCase) (conv.Problem, error) {
	op := map[string]conv.Op{"Conv": conv.OpConv, "ConvTranspose": conv.OpDeconv, "DeformConv": conv.OpDeform}[c.Op]
	x, w := c.Inputs[0].Shape, c.Inputs[1].Shape
	rank := len(x) - 2
	p := conv.New(op, rank)
	p.MB, p.G, p.IC = x[0], c.Resolved.Group, x[1]
	if op == conv.OpDeconv {
		p.OC = w[1] * p.G
	} else {
		p.OC = w[0]
	}
	if c.Resolved.OffGroup > 0 {
		p.DG = c.Resolved.OffGroup
	}
	for j, a := range p.Axes() {
		p.I[a], p.K[a], p.S[a], p.Dil[a] = x[2+j], c.Resolved.Kernel[j], c.Resolved.Strides[j], c.Resolved.Dil[j]
		p.PBegin[a], p.PEnd[a] = c.Resolved.Pads[j], c.Resolved.Pads[rank+j]
		if op == conv.OpDeconv && c.Resolved.OutPad != nil {
			p.PEnd[a] -= c.Resolved.OutPad[j]
		}
	}
	for _, in := range c.Inputs {
		if in.Role == "mask" {
			p.Mask = true
		}
	}
	return p, p.Resolve()
}

// TestONNXAnchors: the matrix oracle reproduces all 50 ONNX and PyTorch
// golden outputs in testdata/onnx (Conv, ConvTranspose with output_shape,
// output_padding and negative end padding, DeformConv with mask, bias and
// offset groups), within float32 rounding of the goldens: |Δ| ≤ 2⁻²³·(N·Σ|x·w| + |y|).
func TestONNXAnchors(t *testing.T) {
	root := filepath.Join("..", "testdata", "onnx")
	var cases []onnxCase
	for _, f := range []string{"cases.json", "pytorch_cases.json"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		var cs []onnxCase
		if err := json.Unmarshal(b, &cs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cases = append(cases, cs...)
	}
	if len(cases) != 50 {
		t.Fatalf("%d anchor cases, want 50", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			p, err := onnxProblem(c)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			if !equalShape(p.DstShape(), c.Outputs[0].Shape) {
				t.Fatalf("%#v: output shape %v, golden %v", p, p.DstShape(), c.Outputs[0].Shape)
			}
			dir := filepath.Join(root, c.Name, "test_data_set_0")
			var in conv.Inputs[float64]
			for _, f := range c.Inputs {
				_, data, err := readTensorProto(filepath.Join(dir, f.File))
				if err != nil {
					t.Fatal(err)
				}
				switch f.Role {
				case "X":
					in.X = data
				case "W":
					in.W = data
				case "B":
					in.B = data
				case "offset":
					in.Offset = data
				case "mask":
					in.Mask = data
				}
			}
			_, want, err := readTensorProto(filepath.Join(dir, c.Outputs[0].File))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ByMatrix(&p, in)
			if err != nil {
				t.Fatalf("%#v: %v", p, err)
			}
			abs := conv.Inputs[float64]{X: conv.Abs(in.X), W: conv.Abs(in.W), B: conv.Abs(in.B), Offset: in.Offset, Mask: conv.Abs(in.Mask)}
			mag, err := ByMatrix(&p, abs)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				lim := 2 * conv.U32 * (float64(p.AccumLength())*mag[i] + math.Abs(want[i]))
				if d := math.Abs(got[i] - want[i]); d > lim {
					t.Fatalf("%#v: y%s = %.9g, golden %.9g (|Δ| %.3g > %.3g)", p, conv.MultiIndex(p.DstShape(), i), got[i], want[i], d, lim)
				}
			}
			if s := FFTSupports(&p); s == nil {
				fft, err := ByFFT(&p, in)
				if err != nil {
					t.Fatal(err)
				}
				fb, _ := FFTBound(&p, in)
				b := matrixBound(&p, fb.Abs)
				for i := range want {
					if d := math.Abs(fft[i] - got[i]); d > b.At(mag[i]) {
						t.Fatalf("%#v: ByFFT y%s = %.17g, ByMatrix %.17g", p, conv.MultiIndex(p.DstShape(), i), fft[i], got[i])
					}
				}
			}
		})
	}
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
