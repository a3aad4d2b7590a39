package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/properties"
)

// checkGradients is check for a backward direction (issue 12): no optimized
// gradient exists yet, so it checks the float64 reference gradients against
// the oracles that share no code with them (properties.CheckGradients) and
// prints one line per check. The inputs are the forward check's (the same
// seed draws the same fill), dy follows from the same generator.
//
// The budget covers the gradient tensors too: every gradient has the shape
// of a tensor the forward pass holds, so value and gradient at float64 take
// at most 16 bytes per element of the forward tensors.
func checkGradients(p conv.Problem, seed uint64, budget int64) error {
	if err := p.CheckBudget(16, budget); err != nil {
		return err
	}
	stage("check", "fill")
	rng := rand.New(rand.NewPCG(seed, 0x636f6e76))
	in := oracles.RandomFill(&p, rng)
	dy := make([]float64, conv.Elems(p.DstShape()))
	for i := range dy {
		dy[i] = 2*rng.Float64() - 1
	}
	stage("check", "reference gradients and oracles")
	checks, err := properties.CheckGradients(&p, in, dy, rng)
	if err != nil {
		return usagef("%v", err)
	}
	failed := 0
	for _, c := range checks {
		fmt.Fprintln(stdout, c)
		if !c.OK() {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d of %d checks failed\n", failed, len(checks))
		return errFailed
	}
	return nil
}
