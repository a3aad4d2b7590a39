package properties

import (
	"flag"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// TestProperties runs every property with rapid's settings (-rapid.checks,
// -rapid.seed). A property that Refutes a claim of the Q&A must fail, and its
// shrunk counterexample is logged.
func TestProperties(t *testing.T) {
	for _, p := range All() {
		t.Run(p.Name, func(t *testing.T) {
			if name, ok := dedicatedTests[p.Name]; ok {
				t.Skip("run by " + name)
			}
			if !p.Refutes {
				rapid.Check(t, p.Check)
				return
			}
			checks, _ := strconv.Atoi(flag.Lookup("rapid.checks").Value.String())
			seed, _ := strconv.ParseUint(flag.Lookup("rapid.seed").Value.String(), 10, 64)
			o := Run(p, checks, seed)
			if !o.Failed {
				t.Fatalf("%s states a false claim, but rapid found no counterexample in %d checks", p.Name, checks)
			}
			t.Logf("counterexample: %v\n%s", o.Draws, o.Message)
		})
	}
}
