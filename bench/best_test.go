package bench

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// TestBestTotalsTakeFastest: with three implementations of ours and a peer
// timed on layers of random repeat counts, the best total at each worker
// count is Σ repeat × the fastest of ours per layer; the peer, even when
// faster, is not ours to take.
func TestBestTotalsTakeFastest(t *testing.T) {
	restore, err := SetBenchtime("1x")
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 4).Draw(t, "layers")
		var descs []string
		for i := range n {
			rep := rapid.IntRange(1, 9).Draw(t, "repeat")
			descs = append(descs, fmt.Sprintf(`mb1ic%dih6oc2oh6kh3ph1n"net:l%d*%d"`, i+1, i, rep))
		}
		layers, err := ParseLayers(descs, nil, conv.OpConv, 0)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{"a", "b", "c", PeerPrefix + "p"}
		ns := map[string]float64{}
		var impls []Impl
		for _, im := range names {
			for _, l := range layers {
				ns[im+l.Name] = rapid.Float64Range(1e3, 1e7).Draw(t, "ns")
			}
			impls = append(impls, fake{name: im, nsOf: func(l *Layer) float64 { return ns[im+l.Name] }})
		}
		pairs, err := Select(impls, layers, "", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		workers := []int{1, 2}
		res := fakeRun(t, pairs, workers)
		tot := res.BestTotals()
		if len(tot) != len(workers) {
			t.Fatalf("%d best totals, want %d", len(tot), len(workers))
		}
		for i, w := range workers {
			var want float64
			inst := 0
			for _, l := range layers {
				m := math.Inf(1)
				for _, im := range names[:3] {
					m = min(m, ns[im+l.Name]/float64(w))
				}
				want += float64(l.Repeat) * m / 1e9
				inst += l.Repeat
			}
			got := tot[i]
			if got.Workers != w || math.Abs(got.Seconds-want) > 1e-9*want || got.Instances != inst || len(got.Layers) != n {
				t.Fatalf("workers %d: best total %+v, want %g s over %d instances of %d layers", w, got, want, inst, n)
			}
			for _, bl := range got.Layers {
				if strings.HasPrefix(bl.Impl, PeerPrefix) {
					t.Fatalf("layer %s: best is the peer %s", bl.Layer.Name, bl.Impl)
				}
			}
		}
		var buf bytes.Buffer
		res.WriteSummary(&buf, true)
		for _, want := range []string{"best of ours per layer", "best variant per layer", layers[0].Name} {
			if !strings.Contains(buf.String(), want) {
				t.Fatalf("summary lacks %q:\n%s", want, buf.String())
			}
		}
	})
}

// TestBestImpl: the automatic choice times Best's variant per layer, and
// is offered only to an --impl that asks for it.
func TestBestImpl(t *testing.T) {
	for re, want := range map[string]bool{"": false, "best": true, "^best$": true, ".": true, "gemm": false, "(": false} {
		if got := SelectsBest(re); got != want {
			t.Errorf("SelectsBest(%q) = %v, want %v", re, got, want)
		}
	}
	restore, err := SetBenchtime("1x")
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	layers, err := ParseLayers([]string{`mb1ic4ih6oc4oh6kh3ph1n"net:a*2"`, `mb1g4ic4ih6oc4oh6kh3ph1n"net:dw"`}, nil, conv.OpConv, 0)
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := Select(BestImpls(true, true), layers, BestName, "", nil)
	if err != nil || len(pairs) != 4 {
		t.Fatalf("Select(best): %d pairs, %v; want 4", len(pairs), err)
	}
	res := fakeRun(t, pairs, []int{1})
	tot := res.BestTotals()
	if len(tot) != 1 || len(tot[0].Layers) != 2 || tot[0].Instances != 3 {
		t.Fatalf("best totals %+v, want 2 layers, 3 instances", tot)
	}
	for _, bl := range tot[0].Layers {
		want := "best→direct-blocked"
		if bl.Layer.Name == "net:dw" {
			want = "best→depthwise-direct"
		}
		if !strings.HasPrefix(bl.Impl, want) {
			t.Errorf("%s: %s, want %s", bl.Layer.Name, bl.Impl, want)
		}
	}
}
