package conv

import (
	"fmt"
	"strconv"
	"strings"
)

// descriptor field prefixes in benchdnn's canonical order.
var descFields = []string{"g", "mb", "ic", "id", "ih", "iw", "oc", "od", "oh", "ow",
	"kd", "kh", "kw", "sd", "sh", "sw", "pd", "ph", "pw", "dd", "dh", "dw"}

// maxDescValue bounds every descriptor value (given or derived output sizes
// included, since Descriptor prints them), and maxDescProduct the products
// s·i (deconv), s·o (conv) and (k−1)·(d+1), so that the size formulas cannot
// overflow int64 and wrap to a plausible size (benchdnn's shapes_large_conv
// reaches 2^32+15). Counts are bounded separately: Validate refuses a problem
// whose MACs, FLOPs, parameters or bytes do not fit in int64.
const (
	maxDescValue   = 1 << 40
	maxDescProduct = 1 << 60
)

// DescError is a malformed or inconsistent descriptor. Field names the
// descriptor field at fault ("ic", "oh", "pw", …) or "descriptor".
type DescError struct {
	Desc  string
	Field string
	Msg   string
}

func (e *DescError) Error() string {
	return fmt.Sprintf("descriptor %q: %s: %s", e.Desc, e.Field, e.Msg)
}

// ParseDescriptor reads a benchdnn convolution or deconvolution problem
// descriptor such as mb1ic64ih56oc64oh56kh3ph1n"resnet_50:res2a" and resolves
// it with benchdnn's rules (conv/conv_aux.cpp::str2desc):
//
//   - defaults g = 1, mb = 2, stride 1, benchdnn dilation 0 (dense);
//   - a missing output is o = (i − ext_k + 2p)/s + 1 (deconv: (i−1)·s + ext_k − 2p);
//   - a missing padding with a given output is p = ((o−1)·s − i + ext_k)/2
//     (deconv: ((i−1)·s − o + ext_k)/2);
//   - the end padding is always derived and may be negative:
//     p_end = (o−1)·s − i + ext_k − p (deconv: (i−1)·s − o + ext_k − p);
//   - values spread d → h → w (cubic, square); only w makes a 1D problem;
//
// where ext_k = (k−1)·(d+1) + 1 and divisions truncate toward zero as in C.
// op must be OpConv or OpDeconv for benchdnn's own semantics; OpDeform and
// OpDynamic resolve like OpConv (DG = 1, E = 1, sigmoid routing unless set later).
func ParseDescriptor(s string, op Op) (Problem, error) {
	fail := func(field, format string, args ...any) (Problem, error) {
		return Problem{}, &DescError{Desc: s, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	vals := map[string]int{}
	name, hasName := "", false
	pos := 0
	if s == "" {
		return fail("descriptor", "empty")
	}
	for pos < len(s) {
		c := s[pos]
		if c == 'n' {
			name, hasName = s[pos+1:], true
			break
		}
		if c == '_' {
			return fail("descriptor", "unexpected '_' at offset %d (only one '_' may follow a value)", pos)
		}
		start := pos
		for pos < len(s) && s[pos] >= 'a' && s[pos] <= 'z' {
			pos++
		}
		key := s[start:pos]
		if key == "" {
			return fail("descriptor", "unexpected %q at offset %d", s[pos:pos+1], pos)
		}
		if !isDescField(key) {
			return fail(key, "unknown field")
		}
		dstart := pos
		for pos < len(s) && s[pos] >= '0' && s[pos] <= '9' {
			pos++
		}
		if dstart == pos {
			return fail(key, "missing value")
		}
		v, err := strconv.ParseInt(s[dstart:pos], 10, 64)
		if err != nil || v > maxDescValue {
			return fail(key, "value %q out of range (at most %d)", s[dstart:pos], maxDescValue)
		}
		if _, dup := vals[key]; dup {
			return fail(key, "given twice")
		}
		vals[key] = int(v)
		if pos < len(s) && s[pos] == '_' {
			pos++
		}
	}
	_ = hasName

	p := New(op, 0)
	p.Name = name
	p.MB = 2
	if v, ok := vals["mb"]; ok {
		if v <= 0 {
			return fail("mb", "%d must be > 0", v)
		}
		p.MB = v
	}
	if v, ok := vals["g"]; ok {
		if v <= 0 {
			return fail("g", "%d must be > 0", v)
		}
		p.G = v
	}
	var ok bool
	if p.IC, ok = vals["ic"]; !ok || p.IC <= 0 {
		return fail("ic", "required and must be > 0")
	}
	if p.OC, ok = vals["oc"]; !ok || p.OC <= 0 {
		return fail("oc", "required and must be > 0")
	}

	// Per-axis raw values: i, o, k, s, p, d (benchdnn dilation) and whether p was given.
	type axis struct {
		i, o, k, s, p, d int
		pGiven, sGiven   bool
		present          bool
	}
	var ax [3]axis
	for a := 0; a < 3; a++ {
		n := "dhw"[a : a+1]
		x := &ax[a]
		x.i, x.o, x.k, x.d = vals["i"+n], vals["o"+n], vals["k"+n], vals["d"+n]
		x.s = 1
		if v, ok := vals["s"+n]; ok {
			x.s, x.sGiven = v, true
		}
		x.p, x.pGiven = vals["p"+n]
		x.present = !(x.i == 0 && x.k == 0 && x.o == 0 && x.d == 0 && x.s == 1 && !x.pGiven)
		if !x.present {
			continue
		}
		if x.i <= 0 {
			return fail("i"+n, "required when axis %s is given, and must be > 0", n)
		}
		if x.k <= 0 {
			return fail("k"+n, "required when axis %s is given, and must be > 0", n)
		}
		if x.s <= 0 {
			return fail("s"+n, "%d must be > 0", x.s)
		}
		if x.k > 1 && x.d+1 > maxDescProduct/(x.k-1) {
			return fail("d"+n, "kernel %d with dilation %d is too large", x.k, x.d)
		}
		// Only one size is multiplied by the stride: (i−1)·s for deconv, and
		// (o−1)·s for conv when o is given (a derived conv o needs no product).
		// Bounding s·max(i, o) instead rejected the descriptor that Descriptor
		// prints for the deconv ic1iw7oc1kw1sw700000000 (o = 6·s + 1 times s).
		scaled := x.o
		if op == OpDeconv {
			scaled = x.i
		}
		if scaled > 0 && x.s > maxDescProduct/scaled {
			return fail("s"+n, "stride %d times size %d is too large", x.s, scaled)
		}
		ek := (x.k-1)*(x.d+1) + 1
		if x.o == 0 {
			if op == OpDeconv {
				x.o = (x.i-1)*x.s + ek - 2*x.p
			} else {
				x.o = (x.i-ek+2*x.p)/x.s + 1
			}
			if x.o <= 0 {
				return fail("o"+n, "derived output size %d must be > 0", x.o)
			}
			// Descriptor prints the output size, so it must be a value that
			// ParseDescriptor reads back.
			if x.o > maxDescValue {
				return fail("o"+n, "derived output size %d is over %d, the largest a descriptor can give", x.o, maxDescValue)
			}
		} else if !x.pGiven {
			if op == OpDeconv {
				x.p = ((x.i-1)*x.s - x.o + ek) / 2
			} else {
				x.p = ((x.o-1)*x.s - x.i + ek) / 2
			}
		}
	}
	switch {
	case ax[D].present && !ax[H].present && !ax[W].present:
		ax[H], ax[W] = ax[D], ax[D]
		p.Rank = 3
	case ax[D].present && ax[H].present && ax[W].present:
		p.Rank = 3
	case ax[D].present:
		return fail("descriptor", "a 3D problem must give both h and w or neither")
	case ax[H].present && !ax[W].present:
		ax[W] = ax[H]
		p.Rank = 2
	case ax[H].present:
		p.Rank = 2
	case ax[W].present:
		p.Rank = 1
	default:
		return fail("descriptor", "at least one spatial dimension is required")
	}
	for _, a := range p.Axes() {
		x := ax[a]
		n := "dhw"[a : a+1]
		ek := (x.k-1)*(x.d+1) + 1
		p.I[a], p.O[a], p.K[a], p.S[a], p.Dil[a] = x.i, x.o, x.k, x.s, x.d+1
		p.PBegin[a] = x.p
		if op == OpDeconv {
			p.PEnd[a] = (x.i-1)*x.s - x.o + ek - x.p
		} else {
			p.PEnd[a] = (x.o-1)*x.s - x.i + ek - x.p
		}
		if p.PBegin[a] < 0 {
			return fail("p"+n, "derived begin padding %d must be ≥ 0", p.PBegin[a])
		}
	}
	if err := p.Validate(); err != nil {
		// Validate's messages start with the field ("oc: 6 is not divisible by g=4").
		field, msg, ok := strings.Cut(err.Error(), ": ")
		if !ok {
			field, msg = "descriptor", err.Error()
		}
		return Problem{}, &DescError{Desc: s, Field: field, Msg: msg}
	}
	return p, nil
}

func isDescField(k string) bool {
	for _, f := range descFields {
		if f == k {
			return true
		}
	}
	return false
}

// derivedPad is the begin padding benchdnn derives for axis a when only the output is given.
func (p *Problem) derivedPad(a int) int {
	ek := p.ExtK(a)
	if p.Op == OpDeconv {
		return ((p.I[a]-1)*p.S[a] - p.O[a] + ek) / 2
	}
	return ((p.O[a]-1)*p.S[a] - p.I[a] + ek) / 2
}

// Descriptor prints p as a canonical benchdnn descriptor: fields in the
// grammar's order, every axis of the rank spelled out, defaults (g1, mb2, s1,
// d0) left out, and a padding left out only when benchdnn would derive the same
// value from the output size. ParseDescriptor(p.Descriptor(), p.Op) gives p back
// (deform and dynamic extras aside: see Command).
func (p *Problem) Descriptor() string {
	var b strings.Builder
	put := func(k string, v int) { b.WriteString(k); b.WriteString(strconv.Itoa(v)) }
	if p.G != 1 {
		put("g", p.G)
	}
	if p.MB != 2 {
		put("mb", p.MB)
	}
	axes := p.Axes()
	put("ic", p.IC)
	for _, a := range axes {
		put("i"+"dhw"[a:a+1], p.I[a])
	}
	put("oc", p.OC)
	for _, a := range axes {
		put("o"+"dhw"[a:a+1], p.O[a])
	}
	for _, a := range axes {
		put("k"+"dhw"[a:a+1], p.K[a])
	}
	for _, a := range axes {
		if p.S[a] != 1 {
			put("s"+"dhw"[a:a+1], p.S[a])
		}
	}
	for _, a := range axes {
		if p.PBegin[a] != p.derivedPad(a) {
			put("p"+"dhw"[a:a+1], p.PBegin[a])
		}
	}
	for _, a := range axes {
		if p.Dil[a] != 1 {
			put("d"+"dhw"[a:a+1], p.Dil[a]-1)
		}
	}
	if p.Name != "" {
		b.WriteString("n")
		b.WriteString(p.Name)
	}
	return b.String()
}

// String is the canonical descriptor.
func (p Problem) String() string { return p.Descriptor() }

// GoString prints the problem as the command line that reproduces it, so a
// shrunk rapid counterexample reads like a benchdnn repro line.
func (p Problem) GoString() string { return p.Command() }

// Command is the problem as convverify arguments: the op and its extras
// followed by the descriptor, e.g. `--op deform --dg 2 --mask mb1ic4ih5oc2oh5kh3ph1`.
func (p *Problem) Command() string {
	var b strings.Builder
	b.WriteString("--op ")
	b.WriteString(p.Op.String())
	if p.Dir != DirFwdB {
		b.WriteString(" --dir ")
		b.WriteString(p.Dir.String())
	}
	switch p.Op {
	case OpDeform:
		if p.DG != 1 {
			fmt.Fprintf(&b, " --dg %d", p.DG)
		}
		if p.Mask {
			b.WriteString(" --mask")
		}
	case OpDynamic:
		fmt.Fprintf(&b, " --experts %d --routing %s", p.E, p.Routing)
		if p.Routing == RoutingSoftmax {
			fmt.Fprintf(&b, " --temperature %s", strconv.FormatFloat(p.Temperature, 'g', -1, 64))
		}
	}
	b.WriteString(" ")
	b.WriteString(p.Descriptor())
	return b.String()
}

// DisplayName is the name without surrounding quotes.
func (p *Problem) DisplayName() string { return strings.Trim(p.Name, `"`) }

// ParseShapeFile splits a benchdnn batch file into descriptors: tokens are
// separated by white space, a token starting with # drops the rest of its line,
// and a trailing \ joins a token with the next one.
func ParseShapeFile(text string) []string {
	var out []string
	var pending string
	for _, line := range strings.Split(text, "\n") {
		for _, tok := range strings.Fields(line) {
			if strings.HasPrefix(tok, "#") && pending == "" {
				break
			}
			if strings.HasSuffix(tok, `\`) {
				pending += strings.TrimSuffix(tok, `\`)
				continue
			}
			out = append(out, pending+tok)
			pending = ""
		}
	}
	if pending != "" {
		out = append(out, pending)
	}
	return out
}
