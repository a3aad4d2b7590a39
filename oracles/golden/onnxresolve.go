package golden

import (
	"fmt"
	"slices"

	"github.com/convverify/convverify/conv"
)

// resolved is an ONNX node's attributes with defaults filled in and auto_pad /
// output_shape turned into explicit pads, the schema of cases.json's "resolved".
type resolved struct {
	KernelShape        []int `json:"kernel_shape"`
	Strides            []int `json:"strides"`
	Dilations          []int `json:"dilations"`
	Group              int   `json:"group"`
	Pads               []int `json:"pads"` // begin…, end…
	OffsetGroup        int   `json:"offset_group"`
	OutputPadding      []int `json:"output_padding"`
	OutputSpatialShape []int `json:"output_spatial_shape"`
}

// onnxShapes are the shapes of a node's tensors; empty when absent.
type onnxShapes struct {
	x, w, b, offset, mask, y []int
}

// resolveAttrs applies the ONNX defaults and padding rules (testdata/onnx/SOURCE.md,
// "Semantics to match") to a node's attributes.
//
// Conv SAME_*: out = ⌈in/s⌉, total = max(0, (out−1)·s + ek − in); SAME_UPPER puts
// the odd pixel at the end, SAME_LOWER at the beginning.
// ConvTranspose with output_shape (or SAME_* aiming at in·s):
// total = s·(in−1) + output_padding + ek − out, split with floor division
// (total may be −1): SAME_UPPER b = ⌊total/2⌋, otherwise b = total − ⌊total/2⌋.
func resolveAttrs(op string, attrs map[string]onnxAttr, sh onnxShapes) (resolved, error) {
	rank := len(sh.x) - 2
	if rank < 1 || rank > 3 {
		return resolved{}, fmt.Errorf("X: shape %v has %d spatial dimensions (want 1 to 3)", sh.x, rank)
	}
	if len(sh.w) != rank+2 {
		return resolved{}, fmt.Errorf("W: shape %v does not match X's rank %d", sh.w, rank+2)
	}
	ints := func(name string, def []int, n int) ([]int, error) {
		a, ok := attrs[name]
		if !ok {
			return def, nil
		}
		if len(a.ints) != n {
			return nil, fmt.Errorf("attribute %s: %d values, want %d", name, len(a.ints), n)
		}
		out := make([]int, n)
		for i, v := range a.ints {
			if v < -1<<30 || v > 1<<30 {
				return nil, fmt.Errorf("attribute %s: value %d out of range", name, v)
			}
			out[i] = int(v)
		}
		return out, nil
	}
	integer := func(name string, def int) (int, error) {
		a, ok := attrs[name]
		if !ok {
			return def, nil
		}
		if !a.hasI || a.i < 1 || a.i > 1<<30 {
			return 0, fmt.Errorf("attribute %s: %d must be a positive integer", name, a.i)
		}
		return int(a.i), nil
	}
	fill := func(v int) []int {
		s := make([]int, rank)
		for i := range s {
			s[i] = v
		}
		return s
	}
	var r resolved
	var err error
	if r.KernelShape, err = ints("kernel_shape", append([]int(nil), sh.w[2:]...), rank); err != nil {
		return r, err
	}
	for i, k := range r.KernelShape {
		if k != sh.w[2+i] {
			return r, fmt.Errorf("attribute kernel_shape: %v disagrees with W's shape %v", r.KernelShape, sh.w)
		}
	}
	if r.Strides, err = ints("strides", fill(1), rank); err != nil {
		return r, err
	}
	if r.Dilations, err = ints("dilations", fill(1), rank); err != nil {
		return r, err
	}
	if r.Group, err = integer("group", 1); err != nil {
		return r, err
	}
	for i := 0; i < rank; i++ {
		if r.Strides[i] < 1 || r.Dilations[i] < 1 {
			return r, fmt.Errorf("attributes strides %v / dilations %v: values must be ≥ 1", r.Strides, r.Dilations)
		}
	}
	_, explicitPads := attrs["pads"]
	if r.Pads, err = ints("pads", make([]int, 2*rank), 2*rank); err != nil {
		return r, err
	}
	autoPad := "NOTSET"
	if a, ok := attrs["auto_pad"]; ok {
		autoPad = a.s
	}
	switch autoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return r, fmt.Errorf("attribute auto_pad: unknown value %q", autoPad)
	}
	if autoPad != "NOTSET" && explicitPads {
		return r, fmt.Errorf("attribute pads: cannot be combined with auto_pad %s", autoPad)
	}
	if autoPad == "VALID" {
		r.Pads = make([]int, 2*rank)
	}
	ek := func(i int) int { return conv.ExtKernel(r.KernelShape[i], r.Dilations[i]) }
	split := func(i, total int, upper bool) {
		small := conv.FloorDiv(total, 2)
		if upper {
			r.Pads[i], r.Pads[rank+i] = small, total-small
		} else {
			r.Pads[i], r.Pads[rank+i] = total-small, small
		}
	}
	switch op {
	case "Conv", "DeformConv":
		if op == "DeformConv" {
			if autoPad != "NOTSET" {
				return r, fmt.Errorf("attribute auto_pad: DeformConv has no auto_pad (got %s)", autoPad)
			}
			if r.OffsetGroup, err = integer("offset_group", 1); err != nil {
				return r, err
			}
		}
		if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
			for i := 0; i < rank; i++ {
				in, s := sh.x[2+i], r.Strides[i]
				out := (in + s - 1) / s
				split(i, max(0, (out-1)*s+ek(i)-in), autoPad == "SAME_UPPER")
			}
		}
	case "ConvTranspose":
		if r.OutputPadding, err = ints("output_padding", fill(0), rank); err != nil {
			return r, err
		}
		outShape, hasOut := attrs["output_shape"]
		target := make([]int, rank)
		switch {
		case hasOut:
			os := outShape.ints
			if len(os) == rank+2 {
				os = os[2:]
			}
			if len(os) != rank {
				return r, fmt.Errorf("attribute output_shape: %d values, want %d spatial sizes", len(outShape.ints), rank)
			}
			for i, v := range os {
				if v < 1 || v > 1<<30 {
					return r, fmt.Errorf("attribute output_shape: size %d out of range", v)
				}
				target[i] = int(v)
			}
		case autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER":
			for i := 0; i < rank; i++ {
				target[i] = sh.x[2+i] * r.Strides[i]
			}
		default:
			target = nil
		}
		r.OutputSpatialShape = make([]int, rank)
		for i := 0; i < rank; i++ {
			natural := r.Strides[i]*(sh.x[2+i]-1) + r.OutputPadding[i] + ek(i)
			if target != nil {
				split(i, natural-target[i], autoPad == "SAME_UPPER")
			}
			r.OutputSpatialShape[i] = natural - r.Pads[i] - r.Pads[rank+i]
		}
	default:
		return r, fmt.Errorf("op_type %q: want Conv, ConvTranspose or DeformConv", op)
	}
	return r, nil
}

// problemFromONNX builds the conv.Problem of a resolved node and checks every
// tensor's shape against it. name becomes the descriptor's name.
func problemFromONNX(op string, r resolved, sh onnxShapes, name string) (conv.Problem, error) {
	rank := len(sh.x) - 2
	if rank < 1 || rank > 3 || len(sh.w) != rank+2 {
		return conv.Problem{}, fmt.Errorf("X %v / W %v: ranks disagree or are not 1D–3D", sh.x, sh.w)
	}
	for _, f := range []struct {
		name string
		v    []int
		n    int
	}{{"kernel_shape", r.KernelShape, rank}, {"strides", r.Strides, rank}, {"dilations", r.Dilations, rank}, {"pads", r.Pads, 2 * rank}} {
		if len(f.v) != f.n {
			return conv.Problem{}, fmt.Errorf("%s: %d values, want %d", f.name, len(f.v), f.n)
		}
	}
	var p conv.Problem
	switch op {
	case "Conv":
		p = conv.New(conv.OpConv, rank)
	case "ConvTranspose":
		p = conv.New(conv.OpDeconv, rank)
		if len(r.OutputSpatialShape) != rank {
			return conv.Problem{}, fmt.Errorf("output_spatial_shape: %d values, want %d", len(r.OutputSpatialShape), rank)
		}
	case "DeformConv":
		p = conv.New(conv.OpDeform, rank)
		p.DG = max(r.OffsetGroup, 1)
		p.Mask = len(sh.mask) > 0
	default:
		return conv.Problem{}, fmt.Errorf("op %q: want Conv, ConvTranspose or DeformConv", op)
	}
	p.Name = name
	p.MB, p.IC, p.G = sh.x[0], sh.x[1], r.Group
	if p.G < 1 {
		p.G = 1
	}
	if op == "ConvTranspose" {
		if sh.w[0] != p.IC {
			return conv.Problem{}, fmt.Errorf("W: shape %v, want %d input channels first", sh.w, p.IC)
		}
		p.OC = sh.w[1] * p.G
	} else {
		if sh.w[1]*p.G != p.IC {
			return conv.Problem{}, fmt.Errorf("W: shape %v: %d channels per group × group %d ≠ X's %d channels", sh.w, sh.w[1], p.G, p.IC)
		}
		p.OC = sh.w[0]
	}
	for i, a := range p.Axes() {
		p.I[a], p.K[a], p.S[a], p.Dil[a] = sh.x[2+i], r.KernelShape[i], r.Strides[i], r.Dilations[i]
		p.PBegin[a], p.PEnd[a] = r.Pads[i], r.Pads[rank+i]
		if op == "ConvTranspose" {
			// output_padding and output_shape both land in the end padding, as benchdnn has it.
			p.O[a] = r.OutputSpatialShape[i]
			p.PEnd[a] = p.S[a]*(p.I[a]-1) + p.ExtK(a) - p.PBegin[a] - p.O[a]
		} else {
			p.O[a] = conv.OutSize(p.I[a], p.K[a], p.S[a], p.PBegin[a], p.PEnd[a], p.Dil[a])
		}
	}
	if err := p.Validate(); err != nil {
		return conv.Problem{}, fmt.Errorf("problem: %w", err)
	}
	check := func(role string, got, want []int) error {
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s: shape %v, want %v for %s", role, got, want, p.Command())
		}
		return nil
	}
	if err := check("W", sh.w, p.WeightShape()); err != nil {
		return conv.Problem{}, err
	}
	if sh.b != nil {
		if err := check("B", sh.b, p.BiasShape()); err != nil {
			return conv.Problem{}, err
		}
	}
	if op == "DeformConv" {
		if err := check("offset", sh.offset, p.OffsetShape()); err != nil {
			return conv.Problem{}, err
		}
		if p.Mask {
			if err := check("mask", sh.mask, p.MaskShape()); err != nil {
				return conv.Problem{}, err
			}
		}
	}
	if err := check("Y", sh.y, p.DstShape()); err != nil {
		return conv.Problem{}, err
	}
	return p, nil
}
