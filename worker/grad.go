package worker

import (
	"fmt"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles/golden"
	"github.com/convverify/convverify/reference"
)

// CapGrad is the capability of backward cases: a worker whose handshake
// lists it may be sent a case folder whose case.json has "dir" BWD_D, BWD_W
// or BWD_WB, with dy.npy among the inputs, and answers by writing the
// gradients that direction writes (dx.npy, dw.npy, db.npy, doffset.npy,
// dmask.npy, droute_w.npy, droute_b.npy, as conv.Problem.Tensors names
// them) instead of y.npy. A worker without it is never sent one.
const CapGrad = "grad"

// NeedsCap returns the capability a worker must declare to be sent p: ""
// for a forward problem, CapGrad for a backward one.
func NeedsCap(p *conv.Problem) string {
	if p.Dir.Backward() {
		return CapGrad
	}
	return ""
}

// CheckGrad runs one backward case: it writes the tensors p.Dir reads, dy
// among them, into the scratch folder dir (golden.WriteGradInputs), asks w
// to run it, and judges every gradient the direction writes (JudgeGrad).
// The worker must have declared CapGrad; otherwise the case is not sent and
// the outcome is Crashed with a reason naming the capability.
func CheckGrad(w *Worker, dir string, p conv.Problem, in conv.Inputs[float64], dy []float64) Outcome {
	h, err := w.Start()
	if err != nil {
		return crashed(err)
	}
	if !h.Can(CapGrad) {
		return Outcome{Kind: Crashed, Reason: fmt.Sprintf("worker %q does not compute gradients: its handshake lists no %q capability (docs/worker-protocol.md, backward cases)", h.Name, CapGrad)}
	}
	if err := golden.WriteGradInputs(dir, p, in, dy, p.Descriptor()); err != nil {
		return Outcome{Kind: Crashed, Reason: "writing the inputs: " + err.Error()}
	}
	if o, ok := call(w, dir); !ok {
		return o
	}
	return JudgeGrad(dir, p, in, dy)
}

// JudgeGrad reads every gradient p.Dir writes from dir and compares each
// with reference.Backward under GradBound, element by element against
// reference.GradMagnitude. The first gradient that fails (a bad file, an
// element outside its bound, NaN) makes the outcome Failed, naming its file.
func JudgeGrad(dir string, p conv.Problem, in conv.Inputs[float64], dy []float64) Outcome {
	got, err := golden.ReadGradOutputs(dir, p)
	if err != nil {
		return Outcome{Kind: Failed, Reason: "bad output: " + err.Error()}
	}
	exp, err := reference.Backward(&p, in, dy)
	if err != nil {
		return Outcome{Kind: Crashed, Reason: "reference: " + err.Error()}
	}
	mag, err := reference.GradMagnitude(&p, in, dy)
	if err != nil {
		return Outcome{Kind: Crashed, Reason: "reference: " + err.Error()}
	}
	specs, _ := p.Tensors() // ReadGradOutputs checked the direction
	var last conv.Verdict
	for _, s := range specs {
		if !s.Written {
			continue
		}
		b := GradBound(&p, s.Name)
		v := conv.Compare(*got.Field(s.Name), *exp.Field(s.Name), *mag.Field(s.Name), b, s.Shape)
		if !v.OK() {
			reason := s.Name + ".npy " + v.String()
			if v.NaN > 0 {
				reason = fmt.Sprintf("%s.npy holds %d NaN or infinite values; %s", s.Name, v.NaN, v.String())
			}
			return Outcome{Kind: Failed, Reason: reason, Verdict: v}
		}
		last = v
	}
	return Outcome{Kind: Passed, Verdict: last}
}
