package optimized

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/convverify/convverify/conv"
)

// BenchmarkGradDeformDynamic times deform-bwd-im2col and dynamic-bwd-mix in
// every backward direction beside the forward variants of the same layers
// (a DCNv2 3×3 layer and a 4-expert dynamic 3×3 layer at 28×28), GFLOP/s of
// the convolution-shaped work (conv.Problem.DirFLOPs, the same in every
// direction):
//
//	go test ./optimized -run '^$' -bench GradDeformDynamic -cpu 1 -count 6
func BenchmarkGradDeformDynamic(b *testing.B) {
	workers := runtime.GOMAXPROCS(0)
	layers := []struct {
		op    conv.Op
		shape string
		set   func(p *conv.Problem)
	}{
		{conv.OpDeform, "mb1ic64ih28oc64oh28kh3ph1", func(p *conv.Problem) { p.Mask = true }},
		{conv.OpDynamic, "mb4ic64ih28oc64oh28kh3ph1", func(p *conv.Problem) { p.E, p.Routing, p.Temperature = 4, conv.RoutingSoftmax, 1 }},
	}
	for _, l := range layers {
		p, err := conv.ParseDescriptor(l.shape, l.op)
		if err != nil {
			b.Fatal(err)
		}
		l.set(&p)
		if err := p.Resolve(); err != nil {
			b.Fatal(err)
		}
		for _, v := range All() {
			fp := p
			fp.Dir = conv.DirFwdD
			if v.Supports(&fp) != nil || !v.Handles(fp.Op) {
				continue
			}
			b.Run(fmt.Sprintf("op=%v/dir=FWD_D/impl=%s/shape=%s", p.Op, v.Name, l.shape), func(b *testing.B) {
				in := BenchInputs(&fp, 1)
				in.B = nil
				out := make([]float32, dstLen(&fp))
				timeRuns(b, &fp, func() error { return v.Run(&fp, in, out, workers) })
			})
		}
		for _, d := range []conv.Dir{conv.DirBwdD, conv.DirBwdW, conv.DirBwdWB} {
			q := p
			q.Dir = d
			for _, v := range GradAll() {
				if v.Supports(&q) != nil {
					continue
				}
				b.Run(fmt.Sprintf("op=%v/dir=%v/impl=%s/shape=%s", p.Op, d, v.Name, l.shape), gradBenchFunc(v, q, workers))
			}
		}
	}
}
