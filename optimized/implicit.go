package optimized

import (
	"github.com/convverify/convverify/optimized/gemm"
)

// widePanels is the B operand of a wide im2col GEMM (convGemmWide,
// deconvSubpixel) supplied panel by panel to gemm (gemm.BPanels): an
// implicit GEMM, whose B panels are packed straight from the zero-padded
// input instead of from an im2col buffer. B's row r is tap r (offset
// offs[r] in the padded volume) and its columns are runs of consecutive
// padded-grid positions: run i covers columns [runCol[i], runCol[i+1]) and
// reads the volume from runSrc[i]. So
//
//	B[r, j] = vol[offs[r] + runSrc[i] + j − runCol[i]],  runCol[i] ≤ j < runCol[i+1]
//
// exactly the im2col buffer's element, and the product is bit-identical to
// the GEMM on that buffer (gemm.Workspace.SgemmPanels).
type widePanels struct {
	vol    []float32
	offs   []int
	runCol []int // len(runSrc)+1 column starts; the last is n
	runSrc []int
}

var _ gemm.BPanels = (*widePanels)(nil)

// reset starts a new task's columns on vol with taps offs.
func (w *widePanels) reset(vol []float32, offs []int) {
	w.vol, w.offs = vol, offs
	w.runCol, w.runSrc = append(w.runCol[:0], 0), w.runSrc[:0]
}

// addRun appends a run of n columns read from vol[src + offs[r] …].
func (w *widePanels) addRun(src, n int) {
	w.runSrc = append(w.runSrc, src)
	w.runCol = append(w.runCol, w.runCol[len(w.runCol)-1]+n)
}

// PackPanel writes B[pc+p, j0+j] to dst[p·nr+j] for p < kc, j < nr; columns
// at or past n are zeros.
func (w *widePanels) PackPanel(dst []float32, pc, kc, j0, nr int) {
	n := w.runCol[len(w.runCol)-1]
	j1 := min(n, j0+nr)
	dst = dst[:kc*nr]
	if j1 < j0+nr {
		hit(pathPanelsTail)
		for p := 0; p < kc; p++ {
			clear(dst[p*nr+max(0, j1-j0) : (p+1)*nr])
		}
	}
	// the runs that meet [j0, j1)
	i := 0
	for w.runCol[i+1] <= j0 {
		i++
	}
	for j := j0; j < j1; i++ {
		e := min(j1, w.runCol[i+1])
		m := e - j
		src := w.vol[w.runSrc[i]+j-w.runCol[i]:]
		d := dst[j-j0:]
		if e < j1 || j > j0 {
			hit(pathPanelsRunSplit)
		}
		for p, off := range w.offs[pc : pc+kc] {
			copy(d[p*nr:p*nr+m], src[off:off+m])
		}
		j = e
	}
}
