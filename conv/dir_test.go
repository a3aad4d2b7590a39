package conv

import (
	"slices"
	"strings"
	"testing"
)

func TestParseDirRoundTrip(t *testing.T) {
	for d := DirFwdB; d <= DirBwdWB; d++ {
		got, err := ParseDir(d.String())
		if err != nil || got != d {
			t.Errorf("ParseDir(%q) = %v, %v", d.String(), got, err)
		}
	}
	for _, bad := range []string{"", "bwd_d", "FWD_I", "BWD", "BWD_DW"} {
		if _, err := ParseDir(bad); err == nil || !strings.HasPrefix(err.Error(), "dir: ") {
			t.Errorf("ParseDir(%q): error %v, want one naming dir", bad, err)
		}
	}
	if d, ok, err := ParseDirToken("--dir=BWD_W"); !ok || err != nil || d != DirBwdW {
		t.Errorf("ParseDirToken: %v %v %v", d, ok, err)
	}
	if _, ok, _ := ParseDirToken("mb1ic2ih3oc2oh3kh1"); ok {
		t.Error("a descriptor read as a direction token")
	}
}

// The zero Problem direction keeps every printout as it was.
func TestForwardCommandUnchanged(t *testing.T) {
	p, err := ParseDescriptor("mb1ic4ih5oc2oh5kh3ph1", OpConv)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Command(); got != "--op conv mb1ic4ih5iw5oc2oh5ow5kh3kw3" {
		t.Errorf("Command = %q", got)
	}
	p.Dir = DirBwdD
	if got := p.Command(); got != "--op conv --dir BWD_D mb1ic4ih5iw5oc2oh5ow5kh3kw3" {
		t.Errorf("Command = %q", got)
	}
	if p.Descriptor() != "mb1ic4ih5iw5oc2oh5ow5kh3kw3" {
		t.Errorf("Descriptor = %q", p.Descriptor())
	}
}

func TestTensorTable(t *testing.T) {
	p, err := ParseDescriptor("g2mb3ic4ih5oc6oh3kh3", OpConv)
	if err != nil {
		t.Fatal(err)
	}
	p.Dir = DirBwdD
	ts, err := p.Tensors()
	if err != nil {
		t.Fatal(err)
	}
	want := []TensorSpec{{"dy", []int{3, 6, 3, 3}, false}, {"w", []int{6, 2, 3, 3}, false}, {"dx", []int{3, 4, 5, 5}, true}}
	if len(ts) != len(want) {
		t.Fatalf("BWD_D tensors %v, want %v", ts, want)
	}
	for i := range want {
		if ts[i].Name != want[i].Name || !slices.Equal(ts[i].Shape, want[i].Shape) || ts[i].Written != want[i].Written {
			t.Errorf("tensor %d = %v, want %v", i, ts[i], want[i])
		}
	}
	// Every op has every direction, each writes something and reads
	// something, and every name has a shape.
	for op := OpConv; op <= OpDynamic; op++ {
		for d := DirFwdB; d <= DirBwdWB; d++ {
			q := New(op, 2)
			q.Dir = d
			ts, err := q.Tensors()
			if err != nil {
				t.Fatalf("%v %v: %v", op, d, err)
			}
			var r, w int
			for _, s := range ts {
				if s.Written {
					w++
				} else {
					r++
				}
				if sh, ok := q.TensorShape(s.Name); !ok || !slices.Equal(sh, s.Shape) {
					t.Errorf("%v %v: %s has shape %v, TensorShape %v %v", op, d, s.Name, s.Shape, sh, ok)
				}
			}
			if r == 0 || w == 0 {
				t.Errorf("%v %v: %d read, %d written", op, d, r, w)
			}
			if d == DirBwdWB && !slices.ContainsFunc(ts, func(s TensorSpec) bool { return s.Name == "db" && s.Written }) {
				t.Errorf("%v BWD_WB does not write db", op)
			}
		}
	}
	q := New(OpDeform, 2)
	q.Dir = DirBwdD
	ts, _ = q.Tensors()
	for _, s := range ts {
		if s.Name == "mask" || s.Name == "dmask" {
			t.Errorf("DCNv1 BWD_D lists %s", s.Name)
		}
	}
	q.Dir = Dir(9)
	if _, err := q.Tensors(); err == nil {
		t.Error("Dir(9) has tensors")
	}
	if err := q.Validate(); err == nil || !strings.HasPrefix(err.Error(), "dir: ") {
		t.Errorf("Validate of Dir(9): %v", err)
	}
}

// FuzzParseDirToken: a shape-file token never panics the direction parser;
// a token it accepts is exactly the printed direction, and anything that is
// not a --dir= token is left to the descriptor parser.
func FuzzParseDirToken(f *testing.F) {
	for _, s := range []string{"--dir=BWD_D", "--dir=", "--dir=FWD_I", "--dir=bwd_wb", "mb1ic2ih3oc2oh3kh1", "--dir", "--dir==BWD_W"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		d, ok, err := ParseDirToken(tok)
		if ok != strings.HasPrefix(tok, DirToken) {
			t.Fatalf("%q: ok = %v", tok, ok)
		}
		if ok && err == nil && DirToken+d.String() != tok {
			t.Fatalf("%q read as %v", tok, d)
		}
		if ok && err != nil && !strings.HasPrefix(err.Error(), "dir: ") {
			t.Fatalf("%q: error %v does not name dir", tok, err)
		}
	})
}
