package golden

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"

	"github.com/convverify/convverify/conv"

	"codeberg.org/sbinet/npyio"
)

// npyMagic starts every .npy file.
var npyMagic = []byte("\x93NUMPY")

// npyHeader is what an .npy header declares: float32 data of shape starting
// at byte offset.
type npyHeader struct {
	shape  []int
	offset int64
}

// parseNpyHeader checks and parses the header at the start of b (at most
// maxNpyHeader bytes of the file; b may hold data bytes after it). It is
// checked by hand before npyio sees it, because npyio allocates the declared
// header length and slices without bounds checks.
func parseNpyHeader(b []byte) (h npyHeader, err error) {
	if len(b) < 10 || !bytes.Equal(b[:6], npyMagic) {
		return h, errors.New("not a .npy file (bad magic)")
	}
	var hdrLen, prefix int
	switch b[6] {
	case 1:
		hdrLen, prefix = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2:
		if len(b) < 12 {
			return h, errors.New("header: truncated")
		}
		hdrLen, prefix = int(binary.LittleEndian.Uint32(b[8:])), 12
	default:
		return h, fmt.Errorf("header: format version %d.%d, want 1.0 or 2.0", b[6], b[7])
	}
	if hdrLen > maxNpyHeader-prefix {
		return h, fmt.Errorf("header: %d bytes declared, more than the %d an .npy header may have", hdrLen, maxNpyHeader-prefix)
	}
	if hdrLen > len(b)-prefix {
		return h, fmt.Errorf("header: truncated (%d bytes declared, %d present)", hdrLen, len(b)-prefix)
	}
	hdr := b[prefix : prefix+hdrLen]
	if !bytes.HasPrefix(bytes.TrimLeft(hdr, " "), []byte("{")) || !bytes.Contains(hdr, []byte("}")) || bytes.LastIndexByte(hdr, '\n') < 0 ||
		!bytes.Contains(hdr, []byte("'descr': ")) || !bytes.Contains(hdr, []byte("'fortran_order': ")) || !bytes.Contains(hdr, []byte("'shape': ")) {
		return h, fmt.Errorf("header: malformed dictionary %q", hdr)
	}
	defer func() {
		if r := recover(); r != nil {
			h, err = npyHeader{}, fmt.Errorf("header: malformed (%v)", r)
		}
	}()
	r, err := npyio.NewReader(bytes.NewReader(b[:prefix+hdrLen]))
	if err != nil {
		return h, fmt.Errorf("header: %w", err)
	}
	d := r.Header.Descr
	if d.Type != "'<f4'" {
		return h, fmt.Errorf("dtype %s, want '<f4' (little-endian float32)", d.Type)
	}
	if d.Fortran {
		return h, errors.New("fortran_order True, want False (C order)")
	}
	for _, n := range d.Shape {
		if n < 0 {
			return h, fmt.Errorf("shape %v: negative dimension", d.Shape)
		}
	}
	return npyHeader{shape: append([]int{}, d.Shape...), offset: int64(prefix + hdrLen)}, nil
}

// dataBytes is the byte count the shape implies for float32 data, if it is
// at most most; the multiplication is overflow-checked by bounding every
// partial product by most first.
func dataBytes(shape []int, most int64) (int64, bool) {
	n := int64(4)
	for _, d := range shape {
		if d != 0 && n > most/int64(d) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, n <= most
}

// checkNpySize checks that a file of size bytes is exactly the header plus
// the data its shape implies: a shorter file is truncated, a longer one holds
// bytes nobody asked for, and both are refused before any data is read.
func checkNpySize(h npyHeader, size int64) error {
	n, ok := dataBytes(h.shape, math.MaxInt64)
	have := size - h.offset
	switch {
	case !ok:
		return fmt.Errorf("shape %v: impossible: its byte count overflows", h.shape)
	case have < n:
		return fmt.Errorf("data: %d bytes, want 4·%d = %d for shape %v (truncated)", have, n/4, n, h.shape)
	case have > n:
		return fmt.Errorf("data: %d bytes, want 4·%d = %d for shape %v (%d bytes after the data)", have, n/4, n, h.shape, have-n)
	}
	return nil
}

// decodeNpyData turns little-endian float32 bytes into values.
func decodeNpyData(b []byte) []float32 {
	data := make([]float32, len(b)/4)
	for i := range data {
		data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return data
}

// decodeNpy decodes a whole .npy file held in memory (the fuzz targets and
// tests use it; loads read files through npyFile).
func decodeNpy(b []byte) (conv.Tensor[float32], error) {
	h, err := parseNpyHeader(b[:min(len(b), maxNpyHeader)])
	if err != nil {
		return conv.Tensor[float32]{}, err
	}
	if err := checkNpySize(h, int64(len(b))); err != nil {
		return conv.Tensor[float32]{}, err
	}
	return conv.Tensor[float32]{Shape: h.shape, Data: decodeNpyData(b[h.offset:])}, nil
}

// npyFile is an .npy file opened and its header read; its data is read only
// once the shape is known to be the problem's (readData).
type npyFile struct {
	f    *os.File
	path string
	npyHeader
	size int64
}

// openNpy opens entry of d, reads at most maxNpyHeader bytes of header and
// checks the file's size against it. A missing file is an error wrapping
// fs.ErrNotExist.
func openNpy(d *folder, entry string) (*npyFile, error) {
	f, size, err := d.open(entry)
	if err != nil {
		return nil, err
	}
	n := &npyFile{f: f, path: d.name(entry), size: size}
	prefix := make([]byte, min(size, maxNpyHeader))
	if _, err := io.ReadFull(f, prefix); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: header: %w", n.path, err)
	}
	if n.npyHeader, err = parseNpyHeader(prefix); err == nil {
		err = checkNpySize(n.npyHeader, size)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", n.path, err)
	}
	return n, nil
}

// readData reads exactly the data the header declared, and checks that the
// file has not grown since it was opened.
func (n *npyFile) readData() (conv.Tensor[float32], error) {
	b := make([]byte, n.size-n.offset)
	if _, err := n.f.ReadAt(b, n.offset); err != nil {
		return conv.Tensor[float32]{}, fmt.Errorf("%s: data: %w (the file shrank while it was read?)", n.path, err)
	}
	var extra [1]byte
	if k, _ := n.f.ReadAt(extra[:], n.size); k > 0 {
		return conv.Tensor[float32]{}, fmt.Errorf("%s: data: the file grew while it was read", n.path)
	}
	return conv.Tensor[float32]{Shape: n.shape, Data: decodeNpyData(b)}, nil
}

func (n *npyFile) Close() { n.f.Close() }

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
