package conv

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// TestOutSizeCountsWindows: the output size is the number of window
// positions o·s − p_begin whose dilated extent fits in the padded input
// [−p_begin, i + p_end), counted one by one.
func TestOutSizeCountsWindows(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		i := rapid.IntRange(1, 40).Draw(t, "i")
		k := rapid.IntRange(1, 7).Draw(t, "k")
		s := rapid.IntRange(1, 5).Draw(t, "s")
		d := rapid.IntRange(1, 4).Draw(t, "d")
		pb := rapid.IntRange(0, 6).Draw(t, "pb")
		pe := rapid.IntRange(-3, 6).Draw(t, "pe")
		n := 0
		for o := 0; ; o++ {
			start := o*s - pb
			if start+ExtKernel(k, d)-1 >= i+pe {
				break
			}
			n++
		}
		got := OutSize(i, k, s, pb, pe, d)
		if n == 0 {
			if got > 0 {
				t.Fatalf("OutSize = %d, but no window fits", got)
			}
			return
		}
		if got != n {
			t.Fatalf("OutSize(i=%d k=%d s=%d pb=%d pe=%d d=%d) = %d, counted %d", i, k, s, pb, pe, d, got, n)
		}
	})
}

// TestDeconvOutSizeIsScatterExtent: the transposed output holds every target
// i·s + k·d − p_begin of the scatter, and p_end more (or fewer) elements.
func TestDeconvOutSizeIsScatterExtent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		i := rapid.IntRange(1, 20).Draw(t, "i")
		k := rapid.IntRange(1, 6).Draw(t, "k")
		s := rapid.IntRange(1, 4).Draw(t, "s")
		d := rapid.IntRange(1, 3).Draw(t, "d")
		pb := rapid.IntRange(0, 3).Draw(t, "pb")
		pe := rapid.IntRange(-3, 3).Draw(t, "pe")
		last := (i-1)*s + (k-1)*d - pb // the largest scatter target
		want := last + 1 - pe
		if got := DeconvOutSize(i, k, s, pb, pe, d); got != want {
			t.Fatalf("DeconvOutSize = %d, scatter extent gives %d", got, want)
		}
	})
}

func TestFloorDiv(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.IntRange(-100, 100).Draw(t, "a")
		b := rapid.IntRange(1, 9).Draw(t, "b")
		if got, want := FloorDiv(a, b), int(math.Floor(float64(a)/float64(b))); got != want {
			t.Fatalf("FloorDiv(%d,%d) = %d, want %d", a, b, got, want)
		}
	})
}

// TestReceptiveFieldKnown checks the textbook stacks: two 3×3 see 5, three see 7,
// and a stride-2 layer doubles the jump.
func TestReceptiveFieldKnown(t *testing.T) {
	three := Layer{K: 3, S: 1, P: 1, Dil: 1}
	if f := ReceptiveField([]Layer{three, three}); f[1].Size != 5 || f[1].Jump != 1 {
		t.Errorf("two 3×3: %+v, want size 5 jump 1", f[1])
	}
	if f := ReceptiveField([]Layer{three, three, three}); f[2].Size != 7 {
		t.Errorf("three 3×3: %+v, want size 7", f[2])
	}
	f := ReceptiveField([]Layer{{K: 2, S: 2, P: 0, Dil: 1}, three})
	if f[1].Size != 6 || f[1].Jump != 2 || f[1].Start != 0.5 {
		t.Errorf("pool 2 then 3×3: %+v, want size 6 jump 2 start 0.5", f[1])
	}
}

func TestParamsAndFLOPsTextbook(t *testing.T) {
	p, err := ParseDescriptor("mb1ic64ih56oc128oh56kh3ph1", OpConv)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Params(false), 3*3*64*128; got != want {
		t.Errorf("params %d, want K²·Cin·Cout = %d", got, want)
	}
	if got, want := p.FLOPs(), int64(2*3*3*64*128*56*56); got != want {
		t.Errorf("FLOPs %d, want 2·K²·Cin·Cout·H·W = %d", got, want)
	}
	if p.BenchdnnFLOPs() >= p.FLOPs() {
		t.Errorf("benchdnn count %d should drop the padding taps of %d", p.BenchdnnFLOPs(), p.FLOPs())
	}
}

// TestCompareFindsWorst: the comparator names the element that breaks its
// bound, counts NaN as a failure, and passes values inside the bound.
func TestCompareFindsWorst(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 50).Draw(t, "n")
		exp := make([]float64, n)
		mag := make([]float64, n)
		got := make([]float32, n)
		for i := range exp {
			exp[i] = rapid.Float64Range(-100, 100).Draw(t, "e")
			mag[i] = math.Abs(exp[i]) + 1
			got[i] = float32(exp[i])
		}
		b := Bound{C: 1, N: 8}
		if v := Compare(got, exp, mag, b, []int{n}); !v.OK() {
			t.Fatalf("float32 rounding of the exact values fails: %v", v)
		}
		bad := rapid.IntRange(0, n-1).Draw(t, "bad")
		if rapid.Bool().Draw(t, "nan") {
			got[bad] = float32(math.NaN())
		} else {
			got[bad] = float32(exp[bad] + 2*b.At(mag[bad]) + 1e-3)
		}
		v := Compare(got, exp, mag, b, []int{n})
		if v.OK() || v.Worst != bad || v.Failed != 1 {
			t.Fatalf("broken element %d not reported: %v", bad, v)
		}
		if !strings.Contains(v.String(), "FAIL") {
			t.Fatalf("verdict text %q does not say FAIL", v)
		}
	})
}

func TestCmpOption(t *testing.T) {
	exp := []float64{1, 2, 3}
	mag := []float64{1, 2, 3}
	b := Bound{C: 1, N: 4}
	close := []float64{1 + 1e-7, 2, 3 - 1e-7}
	if !cmp.Equal(close, exp, b.CmpOption(mag)) {
		t.Errorf("values within the bound compare unequal: %s", cmp.Diff(close, exp, b.CmpOption(mag)))
	}
	far := []float64{1, 2.001, 3}
	if cmp.Equal(far, exp, b.CmpOption(mag)) {
		t.Errorf("2.001 vs 2 compared equal under a bound of %g", b.At(2))
	}
}

func TestBudget(t *testing.T) {
	p, err := ParseDescriptor("mb1ic1iw4294967311oc1ow4294967311kw1", OpConv)
	if err != nil {
		t.Fatal(err)
	}
	err = p.CheckBudget(4, DefaultBudget)
	if err == nil || !strings.Contains(err.Error(), "memory") || !strings.Contains(err.Error(), "src") {
		t.Fatalf("CheckBudget = %v, want a memory error naming the src tensor", err)
	}
}

func TestDescriptorErrorsNameField(t *testing.T) {
	for desc, field := range map[string]string{
		"ic4oc4ih5":          "kh",
		"ic3ih5oc4kh3g2":     "ic",
		"mb1ih5oc4kh3":       "ic",
		"ic4ih2oc4kh5":       "oh",
		"ic4ih5oc4kh3xx1":    "xx",
		"ic4__ih5oc4kh3":     "descriptor",
		"_ic4ih5oc4kh3":      "descriptor",
		"ic4id5ih5oc4kd3kh3": "descriptor",
		"ic4oc4":             "descriptor",
		"ic4ih5oc4kh":        "kh",
		"ic4ih5oc4kh3sh0":    "sh",
	} {
		_, err := ParseDescriptor(desc, OpConv)
		de, ok := err.(*DescError)
		if !ok || de.Field != field {
			t.Errorf("ParseDescriptor(%q) = %v, want an error on field %q", desc, err, field)
		}
	}
}

func TestDescriptorSpreading(t *testing.T) {
	cube, err := ParseDescriptor("ic4id5oc4kd3pd1", OpConv)
	if err != nil {
		t.Fatal(err)
	}
	if cube.Rank != 3 || cube.I != [3]int{5, 5, 5} || cube.O != [3]int{5, 5, 5} || cube.PEnd != [3]int{1, 1, 1} {
		t.Errorf("cubic spreading: %+v", cube)
	}
	sq, _ := ParseDescriptor("ic4ih7oc4kh3sh2dh1", OpConv)
	if sq.Rank != 2 || sq.I != [3]int{1, 7, 7} || sq.Dil != [3]int{1, 2, 2} || sq.O != [3]int{1, 2, 2} {
		t.Errorf("square spreading with benchdnn dilation 1 = framework 2: %+v", sq)
	}
	one, _ := ParseDescriptor("ic4iw9oc4kw3", OpConv)
	if one.Rank != 1 || one.I != [3]int{1, 1, 9} || one.O[W] != 7 {
		t.Errorf("1D: %+v", one)
	}
	neg, _ := ParseDescriptor("mb1ic8ih56oc8oh28kh1sh2", OpConv)
	if neg.PEnd[H] != -1 || neg.PBegin[H] != 0 {
		t.Errorf("stride-2 1×1 56→28 should derive end padding −1: %+v", neg)
	}
	dc, _ := ParseDescriptor("ic4ih3oc2oh6kh4sh2", OpDeconv)
	if dc.PBegin[H] != 1 || dc.PEnd[H] != 1 {
		t.Errorf("deconv padding derived from output: %+v", dc)
	}
	named, _ := ParseDescriptor(`mb1_ic64_ih56_oc64_oh56_kh3_ph1_n"resnet_50:res2a"`, OpConv)
	if named.DisplayName() != "resnet_50:res2a" || named.IC != 64 {
		t.Errorf("separators and name: %+v", named)
	}
}
