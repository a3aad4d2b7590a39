// Package properties states every identity that the convolution Q&A states or
// relies on as a rapid property. It is a plain package, not only tests, so
// that `go test` and `convverify report` run the very same code: the thin
// _test.go files call rapid.Check on each Prop function, and the CLI calls
// them through All with its own rapid.TB.
package properties

import (
	"math/rand/v2"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
)

// ProblemGen draws valid problems of the given ops (all four if none) and
// ranks 1–3: convtest.ProblemGen, the one generator of small problems (edge
// shapes, realistic layers, 3D volumes), within convtest.MACBudget and
// convtest.MatrixBudget.
func ProblemGen(ops ...conv.Op) *rapid.Generator[conv.Problem] {
	return convtest.ProblemGen(ops...)
}

// RNG draws a seed from rapid and returns a generator on it, so that tensor
// contents are reproducible from the rapid run and shrink (towards seed 0)
// together with the problem (convtest.RNG).
func RNG(t *rapid.T) *rand.Rand { return convtest.RNG(t) }

// mustResolve resolves a problem a property built valid by construction,
// with the tight end padding (convtest.ResolveTight).
func mustResolve(p *conv.Problem) {
	if err := convtest.ResolveTight(p); err != nil {
		panic("properties: invalid problem " + p.Command() + ": " + err.Error())
	}
}
