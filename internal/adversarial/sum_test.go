package adversarial

import (
	"math"
	"math/big"
	"testing"

	"pgregory.net/rapid"
)

// exactFMA32 is a·b + c rounded once to float32, through math/big.
func exactFMA32(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(200).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(200).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(200).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

func TestFMA32IsCorrectlyRounded(t *testing.T) {
	// float64 rounds a·b + c = (1 + 2⁻²³ + 2⁻²⁴) − 2⁻⁷⁰ up to the float32
	// midpoint, and float32 then ties to even, 1 + 2⁻²²: double rounding.
	a := float32(math.Ldexp(1+0x1p-23, -12))
	b := float32(math.Ldexp(1-0x1p-23, -12))
	c := float32(1 + 0x1p-23)
	if got, want := FMA32(a, b, c), float32(1+0x1p-23); got != want {
		t.Errorf("FMA32 = %v, want %v", got, want)
	}
	if twice := float32(math.FMA(float64(a), float64(b), float64(c))); twice == float32(1+0x1p-23) {
		t.Errorf("the double-rounding case no longer rounds twice; pick another")
	}
}

func TestFMA32MatchesBigFloat(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := rapid.Float32()
		a, b, c := f.Draw(t, "a"), f.Draw(t, "b"), f.Draw(t, "c")
		got, want := FMA32(a, b, c), exactFMA32(a, b, c)
		if math.IsInf(float64(want), 0) || math.IsNaN(float64(got)) {
			return // overflow: big.Float has no float32 range
		}
		if got != want {
			t.Fatalf("FMA32(%v, %v, %v) = %v, want %v", a, b, c, got, want)
		}
	})
}

// On small integers every partial sum is exact, so every order gives the
// exact sum: the orders sum every term once, and the bias once.
func TestOrdersSumEveryTermOnce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 70).Draw(t, "n")
		small := rapid.IntRange(-8, 8)
		a, b := make([]float32, n), make([]float32, n)
		want := 0
		for i := range a {
			x, y := small.Draw(t, "a"), small.Draw(t, "b")
			a[i], b[i] = float32(x), float32(y)
			want += x * y
		}
		bias, has := small.Draw(t, "bias"), rapid.Bool().Draw(t, "hasBias")
		if has {
			want += bias
		}
		for _, o := range Orders() {
			if got := o.Dot(a, b, float32(bias), has); got != float32(want) {
				t.Fatalf("%s: %v, want %d", o.Name, got, want)
			}
		}
	})
}
