package convtest_test

import (
	"errors"
	"fmt"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
)

// conv1D is a third party's convolution: 1D, one group, any stride,
// dilation and padding, in float32.
type conv1D struct{}

func (conv1D) Name() string   { return "conv1d" }
func (conv1D) Ops() []conv.Op { return []conv.Op{conv.OpConv} }
func (conv1D) Supports(p *conv.Problem) error {
	if p.Rank != 1 || p.G != 1 {
		return errors.New("conv1d: 1D, one group only")
	}
	return nil
}
func (conv1D) Forward(p *conv.Problem, in conv.Inputs[float32], out []float32) error {
	iw, ow, k := p.I[2], p.O[2], p.K[2]
	for n := 0; n < p.MB; n++ {
		for o := 0; o < p.OC; o++ {
			for j := 0; j < ow; j++ {
				var s float32
				if in.B != nil {
					s = in.B[o]
				}
				for c := 0; c < p.IC; c++ {
					for t := 0; t < k; t++ {
						if i := j*p.S[2] - p.PBegin[2] + t*p.Dil[2]; i >= 0 && i < iw {
							s += in.X[(n*p.IC+c)*iw+i] * in.W[(o*p.IC+c)*k+t]
						}
					}
				}
				out[(n*p.OC+o)*ow+j] = s
			}
		}
	}
	return nil
}

// A package tests its convolution with one line in a _test.go file (here
// conv1D, the type above; TestConformance in this package's tests runs it):
//
//	func TestConformance(t *testing.T) { convtest.Run(t, conv1D{}) }
//
// Run draws problems of the ops conv1D lists, keeps those its Supports
// accepts, and on a failure prints the shrunk problem and writes it as a
// golden-format folder. Check runs the same checks on one problem, here
// given as a benchdnn descriptor.
func Example() {
	p, err := conv.ParseDescriptor("mb2ic3iw11oc4kw3sw2dw1pw2", conv.OpConv)
	if err != nil {
		panic(err)
	}
	fmt.Println(convtest.Check(conv1D{}, &p, 1, true))
	// Output: <nil>
}
