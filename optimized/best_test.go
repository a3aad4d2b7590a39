package optimized_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
)

// TestBestSupportsShapeFiles: for every problem of every benchdnn shape
// file (conv and deconv), at the file's batch and at batch 1, and for 1, 2
// and 16 workers, Best returns a variant that supports it.
func TestBestSupportsShapeFiles(t *testing.T) {
	names, ps := shapeProblems(t, "shapes_*", 0)
	for i, p := range ps {
		for _, mb := range []int{p.MB, 1} {
			q := p
			q.MB = mb
			for _, w := range []int{1, 2, 16} {
				v, err := optimized.Best(&q, w)
				if err != nil {
					t.Errorf("%s: %s: Best(%d): %v", names[i], q.Descriptor(), w, err)
					continue
				}
				if err := v.Supports(&q); err != nil {
					t.Errorf("%s: %s: Best(%d) = %s, which does not support it: %v", names[i], q.Descriptor(), w, v.Name, err)
				}
			}
		}
	}
	t.Logf("%d problems", len(ps))
}

// TestBestRule: one problem of each form the rule names gets the variant
// the rule says, at 1 worker.
func TestBestRule(t *testing.T) {
	// where direct-rows' kernels are not assembly; rows8 is rows of 7 or 8
	// outputs, too short for the AVX2 kernels' blocks (rowsMinPosAVX2)
	rows, rows8, rows1x1, dynRows, deconvRows := "direct-blocked", "direct-blocked", "pointwise-gemm", "dynamic-blocked", "deconv-blocked"
	switch optimized.RowsISA() {
	case "avx512":
		rows, rows8, rows1x1, dynRows, deconvRows = "direct-rows", "direct-rows", "direct-rows", "dynamic-rows", "deconv-rows"
	case "avx2":
		rows, dynRows, deconvRows = "direct-rows", "dynamic-rows", "deconv-rows"
	}
	checkBest(t, "", []bestCase{
		{"mb1ic64ih56oc64oh56kh3ph1", conv.OpConv, rows},
		{"mb1ic256ih56oc64oh56kh1ph0", conv.OpConv, "pointwise-gemm"},
		{"mb1ic256ih56oc128oh28kh1sh2ph0", conv.OpConv, rows1x1},
		{"mb1g32ic32ih112oc32oh112kh3ph1", conv.OpConv, "depthwise-direct"},
		{"mb1g32ic32ih112oc64oh112kh3ph1", conv.OpConv, "depthwise-direct"},
		{"mb1ic3ih224oc64oh112kh7sh2ph3", conv.OpConv, rows},
		{"mb1ic256ih14oc256oh14kh3ph1", conv.OpConv, rows},
		{"mb1ic16ih14oc48oh14kh5ph2", conv.OpConv, rows},
		{"mb1ic32id16oc32od16kd3pd1", conv.OpConv, rows},
		// at most 16 channels a group: the 16-channel tile
		{"mb1ic16ih64oc16oh64kh11ph5", conv.OpConv, rows},
		{"mb1ic8id8oc8od8kd7pd3", conv.OpConv, rows8},
		{"mb1g4ic64ih28oc64oh28kh3ph1", conv.OpConv, rows},
		// half of the 16-channel tile would be padding
		{"mb1ic8ih28oc8oh28kh3ph1", conv.OpConv, "direct-blocked"},
		{"mb1ic32ih56oc8oh56kh3ph1", conv.OpConv, "direct-blocked"},
		// rows of 7, and 1×1 on planes under 56²
		{"mb1ic512ih7oc512oh7kh3ph1", conv.OpConv, rows8},
		{"mb1ic832ih7oc128oh7kh1", conv.OpConv, rows1x1},
		{"mb1ic1024ih14oc2048oh7kh1sh2", conv.OpConv, rows1x1},
		{"mb1ic512ih14oc512oh14kh1", conv.OpConv, rows1x1},
		{"mb1ic512ih28oc1024oh14kh1sh2", conv.OpConv, rows1x1},
		{"mb1ic256ih28oc128oh28kh1", conv.OpConv, rows1x1},
		{"mb1ic256ih56oc128oh28kh1sh2", conv.OpConv, rows1x1},
		{"mb1ic64ih55oc64oh55kh1", conv.OpConv, rows1x1},
		{"mb1ic64ih56oc256oh56kh1", conv.OpConv, "pointwise-gemm"},
		{"mb1ic1024ih1oc5oh1kh1", conv.OpConv, "pointwise-gemm"},
		// segments under rowsMinPos
		{"mb1ic64ih6oc64oh6kh3ph1", conv.OpConv, "direct-blocked"},
		{"mb1ic64ih28oc32oh56kh4sh2ph1", conv.OpDeconv, deconvRows},
		{"mb1ic32id8oc16od16kd4sd2pd1", conv.OpDeconv, deconvRows},
		// phases of 3 columns: segments under rowsMinPos
		{"mb1ic64ih3oc32oh6kh4sh2ph1", conv.OpDeconv, "deconv-blocked"},
		// 8 channels: half of the 16-channel tile padding
		{"mb1ic64ih28oc8oh56kh4sh2ph1", conv.OpDeconv, "deconv-blocked"},
		{"mb2ic32ih28oc32oh28kh3ph1", conv.OpDynamic, dynRows},
		// the grouped batch's segments under rowsMinPos
		{"mb2ic32ih6oc32oh6kh3ph1", conv.OpDynamic, "dynamic-blocked"},
	})
	if _, err := optimized.Best(nil, 1); err == nil {
		t.Error("Best(nil) gave no error")
	}
}

// TestBestWithoutBlockedAsm: where the blocked micro-kernel would run in
// Go while the GEMM has assembly, Best takes the GEMM-based variant each
// *-blocked one displaced, and leaves the others' choices alone.
func TestBestWithoutBlockedAsm(t *testing.T) {
	defer optimized.SetBlockedFast(false)()
	checkBest(t, " without the blocked kernel", []bestCase{
		{"mb1ic64ih56oc64oh56kh3ph1", conv.OpConv, "im2col-gemm"},
		{"mb1ic32id16oc32od16kd3pd1", conv.OpConv, "im2col-gemm"},
		{"mb1ic256ih56oc64oh56kh1ph0", conv.OpConv, "pointwise-gemm"},
		{"mb1g32ic32ih112oc32oh112kh3ph1", conv.OpConv, "depthwise-direct"},
		{"mb1ic64ih28oc32oh56kh4sh2ph1", conv.OpDeconv, "deconv-subpixel"},
		{"mb2ic32ih28oc32oh28kh3ph1", conv.OpDynamic, "dynamic-grouped"},
		{"mb1ic32ih28oc32oh28kh3ph1", conv.OpDeform, "deform-im2col"},
	})
}

// bestCase is a problem and the variant Best must pick for it at 1 worker.
type bestCase struct {
	desc string
	op   conv.Op
	want string
}

// checkBest checks Best(p, 1) for each case; when names the condition.
func checkBest(t *testing.T, when string, cases []bestCase) {
	t.Helper()
	for _, c := range cases {
		p, err := conv.ParseDescriptor(c.desc, c.op)
		if err != nil {
			t.Fatalf("%s: %v", c.desc, err)
		}
		v, err := optimized.Best(&p, 1)
		if err != nil || v.Name != c.want {
			t.Errorf("Best(%s, 1)%s = %s, %v; want %s", c.desc, when, v.Name, err, c.want)
		}
	}
}

// TestBestWorkers: direct-blocked (direct-rows where its kernels are
// assembly) splits a small, deep layer at batch 1 over flat-tile (row
// segment) ranges and then output-channel block ranges, and the GEMM
// variants over output-channel blocks and then smaller column tiles or row
// blocks (gemmSplit, colSplit, wideBlocks), until it has
// splitTarget(workers) tasks, so Best keeps them at 1, 2 and 16 workers;
// only a layer too small for that (4×4 outputs, 32 channels: one task)
// goes to direct-tiled's output-channel blocks at 16 workers.
func TestBestWorkers(t *testing.T) {
	rows, rows8, rows1x1 := "direct-blocked", "direct-blocked", "pointwise-gemm"
	switch optimized.RowsISA() {
	case "avx512":
		rows, rows8, rows1x1 = "direct-rows", "direct-rows", "direct-rows"
	case "avx2":
		rows = "direct-rows"
	}
	for _, c := range []struct {
		desc    string
		workers int
		want    string
	}{
		{"mb1ic256ih14oc256oh14kh3ph1", 1, rows},
		{"mb1ic256ih14oc256oh14kh3ph1", 2, rows},
		{"mb1ic256ih14oc256oh14kh3ph1", 16, rows},
		{"mb1ic256ih4oc32oh4kh3ph1", 16, "direct-tiled"},
		{"mb1ic512ih7oc2048oh7kh1ph0", 2, rows1x1},
		{"mb1ic512ih7oc2048oh7kh1ph0", 16, rows1x1},
		{"mb1ic512ih7oc512oh7kh3ph1", 16, rows8},
		{"mb32ic256ih14oc256oh14kh3ph1", 16, rows},
	} {
		p, err := conv.ParseDescriptor(c.desc, conv.OpConv)
		if err != nil {
			t.Fatalf("%s: %v", c.desc, err)
		}
		v, err := optimized.Best(&p, c.workers)
		if err != nil || v.Name != c.want {
			t.Errorf("Best(%s, %d) = %s, %v; want %s", c.desc, c.workers, v.Name, err, c.want)
		}
	}
}

// TestTasksResNet50: every problem of ResNet-50 at batch 1, with Best's
// variant for 2 and 16 workers, has at least as many tasks as workers or
// says why; at 16 workers only the three layers whose GEMM tasks would
// fall under the task floor (minTaskMACs) may fall short, and the GEMM
// variants (im2col-gemm, pointwise-gemm) fall short only for that floor;
// the counts are logged (go test -v) for the issue.
func TestTasksResNet50(t *testing.T) {
	_, ps := shapeProblems(t, "shapes_resnet_50", 1)
	for _, w := range []int{2, 16} {
		short := 0
		for _, p := range ps {
			v, err := optimized.Best(&p, w)
			if err != nil {
				t.Fatalf("%s: %v", p.Descriptor(), err)
			}
			n, why := optimized.Tasks(v, &p, w)
			if n < 1 {
				t.Errorf("%s: %s: %d tasks", p.Descriptor(), v.Name, n)
			}
			if n < w {
				short++
				if why == "" {
					t.Errorf("%s: %s: %d tasks < %d workers and no reason", p.Descriptor(), v.Name, n, w)
				}
			} else if why != "" {
				t.Errorf("%s: %s: %d tasks ≥ %d workers, yet a reason: %s", p.Descriptor(), v.Name, n, w, why)
			}
			t.Log(fmt.Sprintf("workers %2d  %-4d %-16s %s  %s", w, n, v.Name, p.DisplayName(), why))
			for _, name := range []string{"im2col-gemm", "pointwise-gemm"} {
				g, _ := optimized.Lookup(name)
				if g.Supports(&p) != nil {
					continue
				}
				if n, why := optimized.Tasks(g, &p, w); n < w && !strings.Contains(why, "multiply-adds") {
					t.Errorf("%s: %s: %d tasks < %d workers, not for the task floor: %s", p.Descriptor(), name, n, w, why)
				}
			}
		}
		t.Logf("workers %d: %d of %d problems have fewer tasks than workers", w, short, len(ps))
		// at most the three layers whose GEMM tasks would fall under
		// minTaskMACs (1×1 64→64 at 56², 512→256 at 14², 1024→512 at 7²)
		if w == 16 && short > 3 {
			t.Errorf("workers %d: %d of %d ResNet-50 problems have fewer tasks than workers", w, short, len(ps))
		}
	}
}
