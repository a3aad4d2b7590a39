package golden

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/convverify/convverify/conv"

	"google.golang.org/protobuf/encoding/protowire"
)

// onnx.TensorProto field numbers (onnx/onnx.proto3).
const (
	tpDims         = 1
	tpDataType     = 2
	tpFloatData    = 4
	tpName         = 8
	tpRawData      = 9
	tpExternalData = 13
	tpDataLocation = 14
)

// onnx.TensorProto.DataType values we name in errors.
var dataTypeNames = map[uint64]string{
	0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32",
	7: "INT64", 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64",
	14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16",
}

// ReadTensorProto parses one serialized onnx.TensorProto holding float32
// values. It accepts dims packed or unpacked, data in raw_data (little-endian
// float32, C order) or float_data (packed or unpacked), skips fields it does
// not know, and insists on data_type 1 (FLOAT) and on exactly Πdims elements
// (a tensor without dims is a scalar of one element). It returns the tensor
// and its name (empty if the file has none).
func ReadTensorProto(b []byte) (conv.Tensor[float32], string, error) {
	var (
		dims     []int64
		dataType uint64
		haveType bool
		name     string
		raw      []byte
		haveRaw  bool
		floats   []float32
		external bool
	)
	fail := func(field string, format string, args ...any) (conv.Tensor[float32], string, error) {
		return conv.Tensor[float32]{}, "", fmt.Errorf("tensorproto: %s: %s", field, fmt.Sprintf(format, args...))
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fail("tag", "%v", protowire.ParseError(n))
		}
		b = b[n:]
		field := fieldName(num)
		switch {
		case num == tpDims && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return fail(field, "truncated: %v", protowire.ParseError(n))
			}
			dims = append(dims, int64(v))
			b = b[n:]
		case num == tpDims && typ == protowire.BytesType:
			p, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return fail(field, "truncated: %v", protowire.ParseError(n))
			}
			b = b[n:]
			for len(p) > 0 {
				v, m := protowire.ConsumeVarint(p)
				if m < 0 {
					return fail(field, "truncated packed varint: %v", protowire.ParseError(m))
				}
				dims = append(dims, int64(v))
				p = p[m:]
			}
		case num == tpDataType && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return fail(field, "truncated: %v", protowire.ParseError(n))
			}
			dataType, haveType = v, true
			b = b[n:]
		case num == tpFloatData && typ == protowire.Fixed32Type:
			v, n := protowire.ConsumeFixed32(b)
			if n < 0 {
				return fail(field, "truncated: %v", protowire.ParseError(n))
			}
			floats = append(floats, math.Float32frombits(v))
			b = b[n:]
		case num == tpFloatData && typ == protowire.BytesType:
			p, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return fail(field, "truncated: %v", protowire.ParseError(n))
			}
			if len(p)%4 != 0 {
				return fail(field, "packed length %d is not a multiple of 4", len(p))
			}
			for i := 0; i < len(p); i += 4 {
				floats = append(floats, math.Float32frombits(binary.LittleEndian.Uint32(p[i:])))
			}
			b = b[n:]
		case num == tpName && typ == protowire.BytesType:
			p, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return fail(field, "truncated: %v", protowire.ParseError(n))
			}
			name = string(p)
			b = b[n:]
		case num == tpRawData && typ == protowire.BytesType:
			p, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return fail(field, "truncated: %v", protowire.ParseError(n))
			}
			raw, haveRaw = p, true
			b = b[n:]
		case num == tpDims || num == tpDataType || num == tpFloatData || num == tpName || num == tpRawData:
			return fail(field, "wire type %d is wrong for this field", typ)
		default:
			if num == tpExternalData {
				external = true
			}
			if num == tpDataLocation && typ == protowire.VarintType {
				if v, m := protowire.ConsumeVarint(b); m > 0 && v != 0 {
					external = true
				}
			}
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return fail(field, "truncated: %v", protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	if external {
		return fail("external_data", "tensor data stored outside the file is not supported")
	}
	if !haveType || dataType != 1 {
		tn := dataTypeNames[dataType]
		if tn == "" {
			tn = "unknown"
		}
		return fail("data_type", "%d (%s), want 1 (FLOAT)", dataType, tn)
	}
	shape := make([]int, len(dims))
	count := int64(1)
	for i, d := range dims {
		// A dimension larger than the file's byte count cannot be backed by data.
		if d < 0 || d > int64(len(raw))+int64(len(floats)) {
			return fail("dims", "dimension %d is %d, impossible for %d data bytes", i, d, len(raw)+4*len(floats))
		}
		shape[i] = int(d)
		count *= d
		if count > int64(len(raw))+int64(len(floats)) && count > 1 {
			return fail("dims", "%v holds more elements than the data provides", dims)
		}
	}
	var data []float32
	switch {
	case haveRaw && len(floats) > 0:
		return fail("raw_data", "both raw_data and float_data are set")
	case haveRaw:
		if int64(len(raw)) != 4*count {
			return fail("raw_data", "%d bytes, want 4·%d = %d for dims %v", len(raw), count, 4*count, dims)
		}
		data = make([]float32, count)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	default:
		if int64(len(floats)) != count {
			return fail("float_data", "%d values, want %d for dims %v", len(floats), count, dims)
		}
		data = floats
	}
	return conv.Tensor[float32]{Shape: shape, Data: data}, name, nil
}

func fieldName(num protowire.Number) string {
	switch num {
	case tpDims:
		return "dims"
	case tpDataType:
		return "data_type"
	case tpFloatData:
		return "float_data"
	case tpName:
		return "name"
	case tpRawData:
		return "raw_data"
	}
	return fmt.Sprintf("field %d", num)
}

// readTensorFile reads a .pb file of at most limit bytes (why says where
// the limit comes from); every error names the path.
func readTensorFile(path string, limit int64, why string) (conv.Tensor[float32], error) {
	b, err := readRegular(path, limit, why)
	if err != nil {
		return conv.Tensor[float32]{}, err
	}
	t, _, err := ReadTensorProto(b)
	if err != nil {
		return conv.Tensor[float32]{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}
