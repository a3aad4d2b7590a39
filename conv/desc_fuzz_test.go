package conv

import (
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseDescriptor: no descriptor panics the parser; every descriptor
// accepted as conv or deconv (or deform, dynamic) prints (Descriptor) to one
// that parses back to the same problem; and its counts are exact.
// Seeds: the benchdnn shape files and the golden-format folders' problems.
func FuzzParseDescriptor(f *testing.F) {
	for _, dir := range []struct {
		glob string
		op   Op
	}{{"../shapes/benchdnn/conv/shapes_*", OpConv}, {"../shapes/benchdnn/deconv/shapes_*", OpDeconv}} {
		files, _ := filepath.Glob(dir.glob)
		for _, file := range files {
			text, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			for i, d := range ParseShapeFile(string(text)) {
				if i%8 == 0 { // a sample keeps the seed corpus quick to run
					f.Add(d, uint8(dir.op))
				}
			}
		}
	}
	cases, _ := filepath.Glob("../testdata/golden/*/case.json")
	for _, file := range cases {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var c struct{ Op, Problem string }
		if json.Unmarshal(b, &c) == nil {
			if op, err := ParseOp(c.Op); err == nil {
				f.Add(c.Problem, uint8(op))
			}
		}
	}
	// Found by this fuzzer: the parser bounded s·max(i, o), so the printed
	// form (with the derived ow4200000001) of this deconv was rejected.
	f.Add("ic1iw7oc1kw1sw700000000", uint8(OpDeconv))
	// A derived output size over the value limit prints a value that the
	// parser rejects; the parser must refuse the original instead.
	f.Add("ic1iw1000oc1kw1sw1099511627776", uint8(OpDeconv))
	f.Add("ic1iw1099511627776oc1kw1pw1099511627776", uint8(OpConv))
	// Counts over int64 (MACs, FLOPs) are refused, not wrapped.
	f.Add("mb1099511627776ic1oc1099511627776iw1kw1", uint8(OpConv))
	f.Add("mb1ic1oc1ih1000000000kh3", uint8(OpConv))
	f.Fuzz(func(t *testing.T, s string, opb uint8) {
		// Conv and deconv read every descriptor differently, so both are
		// always tried; the byte adds deform or dynamic.
		ops := []Op{OpConv, OpDeconv}
		if op := Op(opb % 4); op != OpConv && op != OpDeconv {
			ops = append(ops, op)
		}
		for _, op := range ops {
			checkDescriptor(t, s, op)
		}
	})
}

// checkDescriptor: if s parses as op, its canonical form parses back to the
// same problem, the sizes are exact, and every count is exact or refused.
func checkDescriptor(t *testing.T, s string, op Op) {
	p, err := ParseDescriptor(s, op)
	if err != nil {
		return
	}
	back := p.Descriptor()
	q, err := ParseDescriptor(back, op)
	if err != nil {
		t.Fatalf("%v %q parsed as %+v, printed as %q, which does not parse: %v", op, s, p, back, err)
	}
	if q != p || q.Command() != p.Command() {
		t.Fatalf("%v %q → %q → %+v, want %+v", op, s, back, q, p)
	}
	// The output size in exact arithmetic: an int overflow that wraps to a
	// plausible size must not make an absurd problem valid.
	for _, a := range p.Axes() {
		if o := exactOutSize(&p, a); o.Cmp(big.NewInt(int64(p.O[a]))) != 0 {
			t.Fatalf("%v %q: axis %d output %d, exact arithmetic gives %v", op, s, a, p.O[a], o)
		}
	}
	// Counts: ParseDescriptor validated, so CheckCounts passes and every
	// count equals its big-integer value; benchdnn's is within the dense one.
	if err := p.CheckCounts(); err != nil {
		t.Fatalf("%v %q parsed, but CheckCounts = %v", op, s, err)
	}
	got := map[string]int64{"macs": p.MACs(), "flops": p.FLOPs(), "params": int64(p.Params(false)),
		"params_with_bias": int64(p.Params(true)), "activation_bytes": p.ActivationElems(), "total_bytes": p.TotalBytes(MaxElemSize)}
	for name, want := range exactCounts(&p) {
		if !want.IsInt64() || got[name] != want.Int64() {
			t.Fatalf("%v %q: %s = %d, exact %v", op, s, name, got[name], want)
		}
	}
	bm := p.BenchdnnMACs()
	if bm < 0 || bm > p.MACs() || p.BenchdnnFLOPs() != 2*bm || p.FLOPs() != 2*p.MACs() {
		t.Fatalf("%v %q: MACs %d, FLOPs %d, benchdnn MACs %d, FLOPs %d", op, s, p.MACs(), p.FLOPs(), bm, p.BenchdnnFLOPs())
	}
	// The pair loop as oracle where it is quick.
	quick := true
	for a := 0; a < 3; a++ {
		quick = quick && max(p.I[a], p.O[a]) <= 1<<8 && p.K[a] <= 1<<8 // no product to overflow
	}
	if quick {
		if want := benchdnnMACsLoop(&p); bm != want {
			t.Fatalf("%v %q: BenchdnnMACs = %d, the pair loop counts %d", op, s, bm, want)
		}
	}
}

// exactOutSize is OutSize / DeconvOutSize in big integers.
func exactOutSize(p *Problem, a int) *big.Int {
	n := func(v int) *big.Int { return big.NewInt(int64(v)) }
	ek := new(big.Int).Mul(n(p.Dil[a]), n(p.K[a]-1))
	ek.Add(ek, n(1))
	if p.Op == OpDeconv {
		o := new(big.Int).Mul(n(p.S[a]), n(p.I[a]-1))
		o.Add(o, ek)
		return o.Sub(o, n(p.PBegin[a]+p.PEnd[a]))
	}
	num := new(big.Int).Add(n(p.I[a]), n(p.PBegin[a]))
	num.Add(num, n(p.PEnd[a]))
	num.Sub(num, ek)
	q := new(big.Int)
	q.Div(num, n(p.S[a])) // Euclidean division = floor for a positive divisor
	return q.Add(q, n(1))
}
