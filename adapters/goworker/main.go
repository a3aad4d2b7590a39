// Command goworker is the smallest complete worker of the convverify worker
// protocol (docs/worker-protocol.md), written from the page: it prints the
// handshake, then for each request line reads the golden-format folder it
// names, computes y with convverify's float64 reference narrowed to float32,
// writes y.npy and replies.
//
//	convverify conform --exec 'go run ./adapters/goworker'
//
// It answers timing requests too (the "time" capability): it times
// reference.Forward alone, inputs loaded, so that convverify bench --peer
// has a worker to test against. The reference runs on one thread whatever
// the request's threads.
//
// It computes gradients too (the "grad" capability) of every op, with its
// own float32 loops (grad.go, grad_deform.go, grad_dynamic.go), not with
// convverify's reference.
//
// With -plant NAME it carries a deliberate bug, for the tests that prove
// conform catches and shrinks it: deconv-bias (a transposed convolution's
// bias is skipped), mask (a deformable convolution's mask is ignored) or
// db-batch (the bias gradient sums dy over the first image only).
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

var plant = flag.String("plant", "", "plant a bug: deconv-bias, mask or db-batch")

func main() {
	flag.Parse()
	switch *plant {
	case "", "deconv-bias", "mask", "db-batch":
	default:
		fmt.Fprintf(os.Stderr, "goworker: -plant %q: want deconv-bias, mask or db-batch\n", *plant)
		os.Exit(2)
	}
	if err := serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "goworker:", err)
		os.Exit(1)
	}
}

// serve speaks the protocol on r and w until r ends.
func serve(r io.Reader, w io.Writer) error {
	out := bufio.NewWriter(w)
	hello, _ := json.Marshal(map[string]any{"protocol": "convverify-worker", "version": 1,
		"name": "goworker (convverify reference)", "ops": []string{"conv", "deconv", "deform", "dynamic"}, "caps": []string{"time", "grad"}})
	out.Write(append(hello, '\n'))
	if err := out.Flush(); err != nil {
		return err
	}
	in := bufio.NewScanner(r)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	for in.Scan() {
		var req struct {
			ID   int64  `json:"id"`
			Dir  string `json:"dir"`
			Time *struct {
				Reps, Warmup, Threads int
			} `json:"time"`
		}
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			return fmt.Errorf("request %q: %v", in.Text(), err)
		}
		reply := map[string]any{"id": req.ID, "ok": true}
		reps, warmup := 1, 0
		if req.Time != nil {
			reps, warmup = req.Time.Reps, req.Time.Warmup
		}
		if ns, err := runCase(req.Dir, warmup, reps); err != nil {
			reply = map[string]any{"id": req.ID, "error": err.Error()}
		} else if req.Time != nil {
			reply["ns"] = ns
		}
		b, _ := json.Marshal(reply)
		out.Write(append(b, '\n'))
		if err := out.Flush(); err != nil {
			return err
		}
	}
	return in.Err()
}

// runCase computes dir/y.npy from the folder's inputs: warmup runs, then
// reps runs each timed alone (their nanoseconds returned), and y.npy from
// the last.
func runCase(dir string, warmup, reps int) ([]int64, error) {
	if reps < 1 || warmup < 0 {
		return nil, fmt.Errorf("reps %d, warmup %d: want reps ≥ 1, warmup ≥ 0", reps, warmup)
	}
	p, err := loadProblem(dir)
	if err != nil {
		return nil, err
	}
	if p.Dir.Backward() {
		return runGradCase(dir, p, warmup, reps, func(f func()) int64 {
			t0 := time.Now()
			f()
			return time.Since(t0).Nanoseconds()
		})
	}
	in, err := loadInputs(dir, &p)
	if err != nil {
		return nil, err
	}
	for range warmup {
		if _, err := reference.Forward(&p, in, nil); err != nil {
			return nil, err
		}
	}
	var y []float64
	ns := make([]int64, reps)
	for i := range ns {
		t0 := time.Now()
		if y, err = reference.Forward(&p, in, nil); err != nil {
			return nil, err
		}
		ns[i] = time.Since(t0).Nanoseconds()
	}
	return ns, writeNpy(filepath.Join(dir, "y.npy"), p.DstShape(), y)
}

// loadProblem reads the problem and direction of a case folder.
func loadProblem(dir string) (p conv.Problem, err error) {
	var cj struct {
		Op      string `json:"op"`
		Problem string `json:"problem"`
		Dir     string `json:"dir"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(b, &cj); err != nil {
		return p, fmt.Errorf("case.json: %v", err)
	}
	op, err := conv.ParseOp(cj.Op)
	if err != nil {
		return p, err
	}
	if p, err = conv.ParseDescriptor(cj.Problem, op); err != nil {
		return p, err
	}
	if cj.Dir != "" {
		if p.Dir, err = conv.ParseDir(cj.Dir); err != nil {
			return p, err
		}
	}
	return p, nil
}

// loadInputs reads the inputs of a forward case folder, completing p with
// what the descriptor does not say (offset groups, mask, experts, routing).
func loadInputs(dir string, pp *conv.Problem) (in conv.Inputs[float64], err error) {
	p := *pp
	defer func() { *pp = p }()
	var cj struct {
		Routing     string   `json:"routing"`
		Temperature *float64 `json:"temperature"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		return in, err
	}
	if err := json.Unmarshal(b, &cj); err != nil {
		return in, fmt.Errorf("case.json: %v", err)
	}
	op := p.Op
	read := func(name string, optional bool) ([]float64, []int, error) {
		v, shape, err := readNpy(filepath.Join(dir, name))
		if optional && errors.Is(err, os.ErrNotExist) {
			return nil, nil, nil
		}
		return v, shape, err
	}
	var wshape []int
	if in.X, _, err = read("x.npy", false); err != nil {
		return in, err
	}
	if in.W, wshape, err = read("w.npy", false); err != nil {
		return in, err
	}
	if in.B, _, err = read("b.npy", true); err != nil {
		return in, err
	}
	switch op {
	case conv.OpDeform:
		var oshape []int
		if in.Offset, oshape, err = read("offset.npy", false); err != nil {
			return in, err
		}
		p.DG = oshape[1] / (2 * p.K[conv.H] * p.K[conv.W])
		if in.Mask, _, err = read("mask.npy", true); err != nil {
			return in, err
		}
		p.Mask = in.Mask != nil
		if *plant == "mask" && in.Mask != nil {
			for i := range in.Mask {
				in.Mask[i] = 1
			}
		}
	case conv.OpDynamic:
		p.E = wshape[0]
		if p.Routing, err = conv.ParseRouting(cj.Routing); err != nil {
			return in, err
		}
		if cj.Temperature != nil {
			p.Temperature = *cj.Temperature
		}
		if in.RouteW, _, err = read("route_w.npy", false); err != nil {
			return in, err
		}
		if in.RouteB, _, err = read("route_b.npy", false); err != nil {
			return in, err
		}
	case conv.OpDeconv:
		if *plant == "deconv-bias" {
			in.B = nil
		}
	}
	return in, nil
}

var shapeRE = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)

// readNpy reads a '<f4' C-order .npy file (format 1.0 or 2.0).
func readNpy(path string) ([]float64, []int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, nil, fmt.Errorf("%s: not a .npy file", path)
	}
	hl, start := int(binary.LittleEndian.Uint16(b[8:])), 10
	if b[6] == 2 && len(b) >= 12 {
		hl, start = int(binary.LittleEndian.Uint32(b[8:])), 12
	}
	if start+hl > len(b) {
		return nil, nil, fmt.Errorf("%s: truncated header", path)
	}
	hdr := string(b[start : start+hl])
	if !strings.Contains(hdr, "'descr': '<f4'") || !strings.Contains(hdr, "'fortran_order': False") {
		return nil, nil, fmt.Errorf("%s: want '<f4' in C order, header %q", path, hdr)
	}
	m := shapeRE.FindStringSubmatch(hdr)
	if m == nil {
		return nil, nil, fmt.Errorf("%s: no shape in header %q", path, hdr)
	}
	var shape []int
	n := 1
	for _, f := range strings.Split(m[1], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 {
			return nil, nil, fmt.Errorf("%s: shape %q", path, m[1])
		}
		shape = append(shape, d)
		n *= d
	}
	data := b[start+hl:]
	if len(data) != 4*n {
		return nil, nil, fmt.Errorf("%s: %d data bytes, want %d", path, len(data), 4*n)
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])))
	}
	return v, shape, nil
}

// writeNpy writes v narrowed to float32 as a format 1.0 .npy file.
func writeNpy(path string, shape []int, v []float64) error {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", tuple)
	pad := (64 - (10+len(dict)+1)%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(dict)), byte(len(dict)>>8))
	b = append(b, dict...)
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(x)))
	}
	return os.WriteFile(path, b, 0o644)
}
