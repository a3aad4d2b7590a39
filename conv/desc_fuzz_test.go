package conv

import (
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseDescriptor: no descriptor panics the parser, and every accepted
// descriptor prints (Descriptor) to one that parses back to the same problem.
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
	f.Fuzz(func(t *testing.T, s string, opb uint8) {
		op := Op(opb % 4)
		p, err := ParseDescriptor(s, op)
		if err != nil {
			return
		}
		back := p.Descriptor()
		q, err := ParseDescriptor(back, op)
		if err != nil {
			t.Fatalf("%q parsed as %+v, printed as %q, which does not parse: %v", s, p, back, err)
		}
		if q != p || q.Command() != p.Command() {
			t.Fatalf("%q → %q → %+v, want %+v", s, back, q, p)
		}
		// The output size in exact arithmetic: an int overflow that wraps to a
		// plausible size must not make an absurd problem valid.
		for _, a := range p.Axes() {
			if o := exactOutSize(&p, a); o.Cmp(big.NewInt(int64(p.O[a]))) != 0 {
				t.Fatalf("%q: axis %d output %d, exact arithmetic gives %v", s, a, p.O[a], o)
			}
		}
	})
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
