package optimized

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/convverify/convverify/conv"
)

// gradBenchShapes are the layers of the issue-12 speed floor: ResNet-50's
// res2a 3×3 and 1×1 reduce.
var gradBenchShapes = []string{"mb1ic64ih56oc64oh56kh3ph1", "mb1ic256ih56oc64oh56kh1"}

// BenchmarkGrad times every gradient variant on the speed-floor layers in
// BWD_D, BWD_W and BWD_WB, and the forward variant Best picks on the same
// layer (dir=FWD_D) for comparison, with GOMAXPROCS workers (-cpu 1: one),
// reporting GFLOP/s of p.DirFLOPs() (the same multiply-adds in every
// direction) over wall and CPU time:
//
//	go test ./optimized -run '^$' -bench Grad -cpu 1 -count 6
func BenchmarkGrad(b *testing.B) {
	printKernels.Do(func() { fmt.Printf("conv-kernels: %s\n", KernelInfo()) })
	workers := runtime.GOMAXPROCS(0)
	for _, shape := range gradBenchShapes {
		p, err := conv.ParseDescriptor(shape, conv.OpConv)
		if err != nil {
			b.Fatal(err)
		}
		if v, err := Best(&p, workers); err == nil {
			fp := p
			fp.Dir = conv.DirFwdD
			b.Run(fmt.Sprintf("op=conv/dir=FWD_D/impl=%s/shape=%s", v.Name, shape), func(b *testing.B) {
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
				b.Run(fmt.Sprintf("op=conv/dir=%v/impl=%s/shape=%s", d, v.Name, shape), gradBenchFunc(v, q, workers))
			}
		}
	}
}

func gradBenchFunc(v GradVariant, p conv.Problem, workers int) func(b *testing.B) {
	return func(b *testing.B) {
		in := BenchInputs(&p, 1)
		rng := rand.New(rand.NewPCG(2, 1))
		dy := make([]float32, dstLen(&p))
		for i := range dy {
			dy[i] = 2*rng.Float32() - 1
		}
		g, err := conv.NewGrads[float32](&p)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Run(&p, in, dy, g, workers); err != nil {
			b.Fatal(err)
		}
		timeRuns(b, &p, func() error { return v.Run(&p, in, dy, g, workers) })
	}
}
