package optimized

import (
	"testing"

	"github.com/convverify/convverify/conv"
)

// BenchmarkDepthwiseSmallPlanes times depthwise-direct planned at one worker on
// deep layers with small planes (the channels-last path):
//
//	go test ./optimized -run "^$" -bench DepthwiseSmallPlanes -cpu 1
func BenchmarkDepthwiseSmallPlanes(b *testing.B) {
	for _, s := range []string{"g256mb1ic256ih28iw28oc256oh28ow28kh3kw3ph1", "g1024mb1ic1024ih7oc1024oh7kh3ph1"} {
		p, err := conv.ParseDescriptor(s, conv.OpConv)
		if err != nil {
			b.Fatal(err)
		}
		v, _ := Lookup("depthwise-direct")
		b.Run(s, BenchPlanFunc(v, BenchProblem{Shape: s, Problem: p}, 1))
	}
}
