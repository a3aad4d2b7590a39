package golden

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// onnxModel is the little of an onnx.ModelProto that a single-node test needs.
type onnxModel struct {
	producer     string
	opset        int64 // default-domain opset version, 0 if absent
	nodes        []onnxNode
	initializers map[string][]byte // name → serialized TensorProto
	inputs       []string          // graph inputs in order (may include initializers, IR < 4)
	outputs      []string
}

type onnxNode struct {
	opType  string
	domain  string
	inputs  []string // "" is an omitted optional input
	outputs []string
	attrs   map[string]onnxAttr
}

// onnxAttr holds the scalar-or-list values an attribute may carry.
type onnxAttr struct {
	i     int64
	s     string
	f     float32
	ints  []int64
	typ   uint64
	hasI  bool
	hasS  bool
	hasIs bool
}

// walk calls fn for every field of a message; fn receives the raw value bytes
// for length-delimited fields and the varint/fixed value otherwise.
func walk(b []byte, msg string, fn func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%s: tag: %v", msg, protowire.ParseError(n))
		}
		b = b[n:]
		var (
			v uint64
			p []byte
		)
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(b)
			v = uint64(x)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			p, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%s: field %d: truncated: %v", msg, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v, p); err != nil {
			return err
		}
	}
	return nil
}

// parseONNXModel follows ModelProto.graph(7) → GraphProto.node(1),
// initializer(5), input(11), output(12); NodeProto.input(1), output(2),
// op_type(4), attribute(5), domain(7); AttributeProto.name(1), f(2), i(3),
// s(4), ints(8), type(20); ModelProto.producer_name(2), opset_import(8).
func parseONNXModel(b []byte) (*onnxModel, error) {
	m := &onnxModel{initializers: map[string][]byte{}}
	err := walk(b, "ModelProto", func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		switch {
		case num == 2 && typ == protowire.BytesType:
			m.producer = string(p)
		case num == 8 && typ == protowire.BytesType:
			var domain string
			var version int64
			if err := walk(p, "ModelProto.opset_import", func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
				if num == 1 && typ == protowire.BytesType {
					domain = string(p)
				}
				if num == 2 && typ == protowire.VarintType {
					version = int64(v)
				}
				return nil
			}); err != nil {
				return err
			}
			if domain == "" || domain == "ai.onnx" {
				m.opset = version
			}
		case num == 7 && typ == protowire.BytesType:
			return m.parseGraph(p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *onnxModel) parseGraph(b []byte) error {
	return walk(b, "GraphProto", func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			n, err := parseNode(p)
			if err != nil {
				return err
			}
			m.nodes = append(m.nodes, n)
		case 5:
			name, err := tensorName(p)
			if err != nil {
				return err
			}
			m.initializers[name] = p
		case 11, 12:
			name, err := valueInfoName(p)
			if err != nil {
				return err
			}
			if num == 11 {
				m.inputs = append(m.inputs, name)
			} else {
				m.outputs = append(m.outputs, name)
			}
		}
		return nil
	})
}

func parseNode(b []byte) (onnxNode, error) {
	n := onnxNode{attrs: map[string]onnxAttr{}}
	err := walk(b, "NodeProto", func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			n.inputs = append(n.inputs, string(p))
		case 2:
			n.outputs = append(n.outputs, string(p))
		case 4:
			n.opType = string(p)
		case 7:
			n.domain = string(p)
		case 5:
			name, a, err := parseAttr(p)
			if err != nil {
				return err
			}
			n.attrs[name] = a
		}
		return nil
	})
	return n, err
}

func parseAttr(b []byte) (string, onnxAttr, error) {
	var (
		name string
		a    onnxAttr
	)
	err := walk(b, "AttributeProto", func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			name = string(p)
		case num == 2 && typ == protowire.Fixed32Type:
			a.f = math.Float32frombits(uint32(v))
		case num == 3 && typ == protowire.VarintType:
			a.i, a.hasI = int64(v), true
		case num == 4 && typ == protowire.BytesType:
			a.s, a.hasS = string(p), true
		case num == 8 && typ == protowire.VarintType:
			a.ints, a.hasIs = append(a.ints, int64(v)), true
		case num == 8 && typ == protowire.BytesType:
			a.hasIs = true
			for len(p) > 0 {
				x, n := protowire.ConsumeVarint(p)
				if n < 0 {
					return fmt.Errorf("AttributeProto %q: ints: truncated packed varint", name)
				}
				a.ints = append(a.ints, int64(x))
				p = p[n:]
			}
		case num == 20 && typ == protowire.VarintType:
			a.typ = v
		}
		return nil
	})
	return name, a, err
}

func tensorName(b []byte) (string, error) {
	var name string
	err := walk(b, "TensorProto", func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		if num == tpName && typ == protowire.BytesType {
			name = string(p)
		}
		return nil
	})
	return name, err
}

func valueInfoName(b []byte) (string, error) {
	var name string
	err := walk(b, "ValueInfoProto", func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		if num == 1 && typ == protowire.BytesType {
			name = string(p)
		}
		return nil
	})
	return name, err
}
