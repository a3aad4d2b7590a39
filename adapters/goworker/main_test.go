package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/oracles/golden"
	"github.com/convverify/convverify/worker"
)

// TestServe speaks the protocol with serve in-process: the handshake, one
// reply per request in order, y.npy that passes the comparison for every op,
// and an error reply (not a crash) for a folder it cannot read.
func TestServe(t *testing.T) {
	descs := map[conv.Op]string{
		conv.OpConv:    "g2mb2ic4ih5oc6oh5kh3ph1",
		conv.OpDeconv:  "mb1ic2iw4oc3ow9kw3sw2",
		conv.OpDeform:  "mb2ic2ih4oc2oh4kh3ph1",
		conv.OpDynamic: "mb2ic2id3oc2od3kd1",
	}
	var dirs []string
	var ps []conv.Problem
	var ins []conv.Inputs[float64]
	root := t.TempDir()
	for op, d := range descs {
		p, err := conv.ParseDescriptor(d, op)
		if err != nil {
			t.Fatal(err)
		}
		if op == conv.OpDeform {
			p.DG, p.Mask = 2, true
		}
		if op == conv.OpDynamic {
			p.E, p.Routing, p.Temperature = 3, conv.RoutingSoftmax, 0.5
		}
		in := conv.ConvertInputs[float64](conv.ConvertInputs[float32](oracles.RandomFill(&p, rand.New(rand.NewPCG(3, 4)))))
		dir := filepath.Join(root, op.String())
		if err := golden.WriteInputs(dir, p, in, d); err != nil {
			t.Fatal(err)
		}
		dirs, ps, ins = append(dirs, dir), append(ps, p), append(ins, in)
	}
	var req strings.Builder
	for i, d := range dirs {
		fmt.Fprintf(&req, `{"id":%d,"dir":%q}`+"\n", i+1, d)
	}
	fmt.Fprintf(&req, `{"id":%d,"dir":%q}`+"\n", len(dirs)+1, filepath.Join(root, "absent"))
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(serve(strings.NewReader(req.String()), pw)) }()
	out := bufio.NewScanner(pr)
	if !out.Scan() || !strings.Contains(out.Text(), `"protocol":"convverify-worker"`) || !strings.Contains(out.Text(), `"version":1`) {
		t.Fatalf("handshake: %q", out.Text())
	}
	for i := range dirs {
		if !out.Scan() {
			t.Fatalf("reply %d missing", i+1)
		}
		var r struct {
			ID int64 `json:"id"`
			OK bool  `json:"ok"`
		}
		if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.ID != int64(i+1) || !r.OK {
			t.Fatalf("reply %d: %q", i+1, out.Text())
		}
		if o := worker.Judge(dirs[i], ps[i], ins[i]); o.Kind != worker.Passed {
			t.Errorf("%s: %v %s", ps[i].Command(), o.Kind, o.Reason)
		}
	}
	if !out.Scan() || !strings.Contains(out.Text(), `"error"`) {
		t.Errorf("missing folder: %q, want an error reply", out.Text())
	}
}

// TestServeGradients: backward requests (case.json "dir", dy.npy) are
// answered with the gradients the direction writes, which pass the
// comparison, for every op.
func TestServeGradients(t *testing.T) {
	type tc struct {
		op   conv.Op
		desc string
		dir  conv.Dir
	}
	cases := []tc{
		{conv.OpConv, "g2mb2ic4ih5oc6oh3kh3sh2ph1", conv.DirBwdD},
		{conv.OpConv, "g2mb2ic4ih5oc6oh3kh3sh2ph1", conv.DirBwdWB},
		{conv.OpDeconv, "mb2ic2iw4oc3ow9kw3sw2", conv.DirBwdD},
		{conv.OpDeconv, "mb2ic2iw4oc3ow9kw3sw2", conv.DirBwdW},
		{conv.OpDeform, "mb2ic4ih4oc2oh4kh3ph1", conv.DirBwdD},
		{conv.OpDeform, "mb2ic4ih4oc2oh4kh3ph1", conv.DirBwdWB},
	}
	root := t.TempDir()
	var req strings.Builder
	type done struct {
		p  conv.Problem
		in conv.Inputs[float64]
		dy []float64
		d  string
	}
	var all []done
	cases = append(cases, tc{conv.OpDynamic, "mb2ic2iw5oc4ow3kw3", conv.DirBwdD}, tc{conv.OpDynamic, "mb2ic2iw5oc4ow3kw3", conv.DirBwdWB})
	for i, c := range cases {
		p, err := conv.ParseDescriptor(c.desc, c.op)
		if err != nil {
			t.Fatal(err)
		}
		p.Dir = c.dir
		if c.op == conv.OpDeform {
			p.DG, p.Mask = 2, true
		}
		if c.op == conv.OpDynamic {
			p.E, p.Routing, p.Temperature = 3, conv.RoutingSoftmax, 0.5
		}
		rng := rand.New(rand.NewPCG(5, uint64(i)))
		in := conv.ConvertInputs[float64](conv.ConvertInputs[float32](oracles.RandomFill(&p, rng)))
		dy := make([]float64, conv.Elems(p.DstShape()))
		for j := range dy {
			dy[j] = float64(float32(2*rng.Float64() - 1))
		}
		d := filepath.Join(root, fmt.Sprint(i))
		if err := golden.WriteGradInputs(d, p, in, dy, c.desc); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&req, `{"id":%d,"dir":%q}`+"\n", i+1, d)
		all = append(all, done{p, in, dy, d})
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(serve(strings.NewReader(req.String()), pw)) }()
	out := bufio.NewScanner(pr)
	if !out.Scan() || !strings.Contains(out.Text(), `"grad"`) {
		t.Fatalf("handshake lacks the grad capability: %q", out.Text())
	}
	for i, c := range all {
		if !out.Scan() {
			t.Fatalf("reply %d missing", i+1)
		}
		if !strings.Contains(out.Text(), `"ok":true`) {
			t.Fatalf("%s: reply %q", c.p.Command(), out.Text())
		}
		if o := worker.JudgeGrad(c.d, c.p, c.in, c.dy); o.Kind != worker.Passed {
			t.Errorf("%s: %v %s", c.p.Command(), o.Kind, o.Reason)
		}
	}
}
