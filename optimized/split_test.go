package optimized

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// TestFillSplitCovers: the fill's tasks write every row of every channel
// of every image exactly once, for any problem and worker count.
func TestFillSplitCovers(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var p conv.Problem
		p.MB = rapid.IntRange(1, 4).Draw(rt, "mb")
		p.G = rapid.IntRange(1, 6).Draw(rt, "g")
		p.IC = p.G * rapid.IntRange(1, 40).Draw(rt, "icg")
		workers := rapid.IntRange(1, 20).Draw(rt, "workers")
		rows := rapid.IntRange(1, 40).Draw(rt, "rows")
		f := newFillSplit(&p, workers)
		seen := make([]int, p.MB*p.IC*rows)
		for task := range f.tasks(&p) {
			nc0, nc1, r0, r1 := f.task(&p, task, rows)
			for nc := nc0; nc < nc1; nc++ {
				for r := r0; r < r1; r++ {
					seen[nc*rows+r]++
				}
			}
		}
		for i, c := range seen {
			if c != 1 {
				rt.Fatalf("workers %d: channel %d row %d filled %d times", workers, i/rows, i%rows, c)
			}
		}
	})
}
