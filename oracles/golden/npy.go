package golden

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"

	"convverify/conv"

	"codeberg.org/sbinet/npyio"
)

// npyMagic starts every .npy file.
var npyMagic = []byte("\x93NUMPY")

// readNpy reads a little-endian float32, C-order .npy file (format 1.0 or
// 2.0). The header is checked by hand before npyio sees it, because npyio
// allocates the declared header length and slices without bounds checks; the
// data length is checked against the shape before any element is read.
func readNpy(path string) (conv.Tensor[float32], error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return conv.Tensor[float32]{}, fmt.Errorf("%s: missing", path)
		}
		return conv.Tensor[float32]{}, err
	}
	t, err := decodeNpy(b)
	if err != nil {
		return conv.Tensor[float32]{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func decodeNpy(b []byte) (t conv.Tensor[float32], err error) {
	if len(b) < 10 || !bytes.Equal(b[:6], npyMagic) {
		return t, errors.New("not a .npy file (bad magic)")
	}
	var hdrLen, prefix int
	switch b[6] {
	case 1:
		hdrLen, prefix = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2:
		if len(b) < 12 {
			return t, errors.New("header: truncated")
		}
		hdrLen, prefix = int(binary.LittleEndian.Uint32(b[8:])), 12
	default:
		return t, fmt.Errorf("header: format version %d.%d, want 1.0 or 2.0", b[6], b[7])
	}
	if hdrLen > len(b)-prefix {
		return t, fmt.Errorf("header: truncated (%d bytes declared, %d present)", hdrLen, len(b)-prefix)
	}
	hdr := b[prefix : prefix+hdrLen]
	if !bytes.HasPrefix(bytes.TrimLeft(hdr, " "), []byte("{")) || !bytes.Contains(hdr, []byte("}")) || bytes.LastIndexByte(hdr, '\n') < 0 ||
		!bytes.Contains(hdr, []byte("'descr': ")) || !bytes.Contains(hdr, []byte("'fortran_order': ")) || !bytes.Contains(hdr, []byte("'shape': ")) {
		return t, fmt.Errorf("header: malformed dictionary %q", hdr)
	}
	defer func() {
		if r := recover(); r != nil {
			t, err = conv.Tensor[float32]{}, fmt.Errorf("header: malformed (%v)", r)
		}
	}()
	br := bytes.NewReader(b)
	r, err := npyio.NewReader(br)
	if err != nil {
		return t, fmt.Errorf("header: %w", err)
	}
	h := r.Header.Descr
	if h.Type != "'<f4'" {
		return t, fmt.Errorf("dtype %s, want '<f4' (little-endian float32)", h.Type)
	}
	if h.Fortran {
		return t, errors.New("fortran_order True, want False (C order)")
	}
	// Bounding every factor and partial product by the element count the data
	// could hold keeps the product from overflowing.
	count, most := 1, br.Len()/4
	for _, d := range h.Shape {
		if d < 0 || d > most || count*d > most {
			return t, fmt.Errorf("shape %v: impossible for %d data bytes", h.Shape, br.Len())
		}
		count *= d
	}
	if br.Len() != 4*count {
		return t, fmt.Errorf("data: %d bytes, want 4·%d = %d for shape %v (truncated or padded)", br.Len(), count, 4*count, h.Shape)
	}
	data := make([]float32, count)
	if count > 0 {
		if err := r.Read(&data); err != nil {
			return t, fmt.Errorf("data: %w", err)
		}
	}
	shape := append([]int{}, h.Shape...)
	return conv.Tensor[float32]{Shape: shape, Data: data}, nil
}

// encodeNpy writes float32 data of the given shape as a .npy file. npyio infers
// the shape from nested slices, so the flat data is nested to the shape's depth.
func encodeNpy(shape []int, data []float32) ([]byte, error) {
	if conv.Elems(shape) != len(data) {
		return nil, fmt.Errorf("shape %v holds %d elements, data has %d", shape, conv.Elems(shape), len(data))
	}
	for _, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("shape %v: every dimension must be > 0", shape)
		}
	}
	var buf bytes.Buffer
	if err := npyio.Write(&buf, nest(shape, data).Interface()); err != nil {
		return nil, err
	}
	return toVersion1(buf.Bytes())
}

// toVersion1 rewrites npyio's format 2.0 header as the 1.0 header numpy.save
// writes (2-byte length, padded so the data starts at a multiple of 64), which
// every .npy reader understands; some (cnpy) read 1.0 only.
func toVersion1(b []byte) ([]byte, error) {
	if len(b) < 12 || !bytes.Equal(b[:6], npyMagic) || b[6] != 2 {
		return b, nil
	}
	hl := int(binary.LittleEndian.Uint32(b[8:]))
	if 12+hl > len(b) {
		return nil, errors.New("npyio wrote a short header")
	}
	dict := bytes.TrimRight(b[12:12+hl], " \n")
	n := 10 + len(dict) + 1
	pad := (64 - n%64) % 64
	if len(dict)+pad+1 > 0xffff {
		return b, nil
	}
	out := append([]byte(nil), npyMagic...)
	out = append(out, 1, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(dict)+pad+1))
	out = append(out, dict...)
	out = append(out, bytes.Repeat([]byte{' '}, pad)...)
	out = append(out, '\n')
	return append(out, b[12+hl:]...), nil
}

// nest turns flat C-order data into [][]…[]float32 of len(shape) levels.
func nest(shape []int, data []float32) reflect.Value {
	if len(shape) <= 1 {
		return reflect.ValueOf(data)
	}
	inner := conv.Elems(shape[1:])
	var elem reflect.Type = reflect.TypeOf(data)
	for range shape[1:] {
		elem = reflect.SliceOf(elem)
	}
	v := reflect.MakeSlice(elem, shape[0], shape[0])
	for i := 0; i < shape[0]; i++ {
		v.Index(i).Set(nest(shape[1:], data[i*inner:(i+1)*inner]))
	}
	return v
}

// narrow converts float64 values back to float32, refusing any value that is
// not exactly a float32: the golden format stores float32, and rounding an
// expected output silently would change the case.
func narrow(name string, v []float64) ([]float32, error) {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
		if float64(out[i]) != x && !math.IsNaN(x) {
			return nil, fmt.Errorf("%s: element %d = %v is not a float32 value", name, i, x)
		}
	}
	return out, nil
}
