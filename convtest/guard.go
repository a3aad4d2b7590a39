package convtest

import (
	"fmt"
	"math"
)

// Guard values written around an implementation's output: one that writes
// outside its slice changes one of them. They are finite and unlikely
// results, distinct on each side, so a message can say which end was hit.
const (
	guardLen    = 16
	guardBefore = float32(-7777.25)
	guardAfter  = float32(8888.5)
)

// RunGuarded calls run on a slice of n elements poisoned with NaN (an
// element run does not write stays NaN and fails any comparison) inside a
// buffer with guardLen guard values on each side, and returns the slice. It
// returns run's error, or an error naming the first guard that run changed.
// The slice's capacity ends at n, so an append cannot reach the guards
// unnoticed either.
func RunGuarded(n int, run func(out []float32) error) ([]float32, error) {
	buf := make([]float32, n+2*guardLen)
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	for i := 0; i < guardLen; i++ {
		buf[i], buf[guardLen+n+i] = guardBefore, guardAfter
	}
	out := buf[guardLen : guardLen+n : guardLen+n]
	if err := run(out); err != nil {
		return nil, err
	}
	for i := guardLen - 1; i >= 0; i-- {
		if math.Float32bits(buf[i]) != math.Float32bits(guardBefore) {
			return nil, fmt.Errorf("wrote before its output: guard out[%d] = %v", i-guardLen, buf[i])
		}
	}
	for i := 0; i < guardLen; i++ {
		if v := buf[guardLen+n+i]; math.Float32bits(v) != math.Float32bits(guardAfter) {
			return nil, fmt.Errorf("wrote past its output: guard out[%d] = %v", n+i, v)
		}
	}
	return out, nil
}
