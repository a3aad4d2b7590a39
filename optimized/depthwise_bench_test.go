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

// BenchmarkDepthwiseKernels times the channels-last path's three kernels
// alone on a 14×14 plane (16 channels): pack, 9-tap flat pass, unpack.
func BenchmarkDepthwiseKernels(b *testing.B) {
	const isp, n = 196, 222
	x := make([]float32, dwLanes*isp)
	dst := make([]int32, isp)
	for s := range dst {
		dst[s] = int32((s/14+1)*16+s%14+1) * dwLanes
	}
	buf := make([]float32, 16*16*dwLanes)
	b.Run("pack", func(b *testing.B) {
		for range b.N {
			dwPack(buf, x, isp, dwLanes, dst, len(buf))
		}
	})
	offs := []int{0, 16, 32, 256, 272, 288, 512, 528, 544}
	w := make([]float32, 9*dwLanes)
	tmp := make([]float32, n*dwLanes+16)
	b.Run("taps", func(b *testing.B) {
		for range b.N {
			dwTaps(tmp, n-34, buf, offs, w, w[:dwLanes])
		}
	})
	src := make([]int32, isp)
	for s := range src {
		src[s] = int32(s/14*16+s%14) * dwLanes
	}
	out := make([]float32, dwLanes*isp)
	b.Run("unpack", func(b *testing.B) {
		for range b.N {
			dwUnpack(out, tmp, isp, isp, dwLanes, src, len(tmp))
		}
	})
}
