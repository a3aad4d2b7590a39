package worker

import (
	"errors"
	"fmt"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles/golden"
	"github.com/convverify/convverify/reference"
)

// Kind is what became of one case.
type Kind int

const (
	Passed  Kind = iota // y.npy within the bound everywhere
	Failed              // y.npy outside the bound, NaN, or not a valid output (missing, wrong shape or dtype, truncated)
	Skipped             // the worker answered {"error":…}: it does not support the problem
	Crashed             // the worker crashed, hung or broke the protocol
)

var kindNames = [...]string{"passed", "failed", "skipped", "crashed"}

func (k Kind) String() string { return kindNames[k] }

// Outcome is the verdict on one case.
type Outcome struct {
	Kind Kind
	// Reason says why the case did not pass: the worker's error message
	// (Skipped), the crash with its stderr (Crashed), the bad file or the
	// comparison (Failed).
	Reason  string
	Verdict conv.Verdict // set when y.npy was read and compared
}

// Check runs one case: it writes p's inputs in into the scratch folder dir
// (golden.WriteInputs), asks w to run it, reads dir/y.npy bounded
// (golden.ReadOutput) and compares it with the reference under
// conv.DefaultBound, the bound every check of a float32 result against the
// reference uses. in must be exactly float32-valued.
func Check(w *Worker, dir string, p conv.Problem, in conv.Inputs[float64]) Outcome {
	if p.Dir.Backward() {
		return Outcome{Kind: Crashed, Reason: fmt.Sprintf("worker.Check: direction %s is a backward one: use CheckGrad, which sends dy", p.Dir)}
	}
	if err := golden.WriteInputs(dir, p, in, p.Descriptor()); err != nil {
		// Our side failed; not the worker's fault, but not a pass either.
		return Outcome{Kind: Crashed, Reason: "writing the inputs: " + err.Error()}
	}
	if o, ok := call(w, dir); !ok {
		return o
	}
	return Judge(dir, p, in)
}

// call asks w to run the case in dir. ok is true when the worker wrote its
// outputs; otherwise o is the outcome: Crashed (the worker failed: its
// Crash, or another error of the call) or Skipped (it refused the problem).
func call(w *Worker, dir string) (o Outcome, ok bool) {
	reply, err := w.Call(dir)
	if err != nil {
		return crashed(err), false
	}
	if !reply.OK {
		return Outcome{Kind: Skipped, Reason: reply.Error}, false
	}
	return Outcome{}, true
}

// crashed is the outcome of a worker error: a Crash's own message, or err's.
func crashed(err error) Outcome {
	var c *Crash
	if errors.As(err, &c) {
		return Outcome{Kind: Crashed, Reason: c.Error()}
	}
	return Outcome{Kind: Crashed, Reason: err.Error()}
}

// Judge reads dir/y.npy and compares it with the reference on p, in.
func Judge(dir string, p conv.Problem, in conv.Inputs[float64]) Outcome {
	y, err := golden.ReadOutput(dir, p.DstShape())
	if err != nil {
		return Outcome{Kind: Failed, Reason: "bad output: " + err.Error()}
	}
	exp, err := reference.Forward(&p, in, nil)
	if err != nil {
		return Outcome{Kind: Crashed, Reason: "reference: " + err.Error()}
	}
	mag := reference.Magnitude(&p, in)
	v := conv.Compare(y, exp, mag, conv.DefaultBound(&p), p.DstShape())
	if v.OK() {
		return Outcome{Kind: Passed, Verdict: v}
	}
	reason := "y.npy " + v.String()
	if v.NaN > 0 {
		reason = fmt.Sprintf("y.npy holds %d NaN or infinite values; %s", v.NaN, v.String())
	}
	return Outcome{Kind: Failed, Reason: reason, Verdict: v}
}
