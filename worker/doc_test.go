package worker

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"
)

// gradTable is the table of files per op and backward direction in
// docs/worker-protocol.md, generated from the tensor table
// (conv.Problem.Tensors) so that the page cannot drift from what conform
// writes and reads.
func gradTable(t *testing.T) string {
	t.Helper()
	rows := [][]string{{"op", "dir", "in the folder (read)", "the worker writes"}}
	for _, op := range []conv.Op{conv.OpConv, conv.OpDeconv, conv.OpDeform, conv.OpDynamic} {
		for _, dir := range []conv.Dir{conv.DirBwdD, conv.DirBwdW, conv.DirBwdWB} {
			p := conv.Problem{Op: op, Dir: dir, Rank: 2, MB: 1, G: 1, IC: 1, OC: 1, DG: 1, Mask: true, E: 2}
			specs, err := p.Tensors()
			if err != nil {
				t.Fatal(err)
			}
			var reads, writes []string
			for _, s := range specs {
				f := "`" + s.Name + ".npy`"
				if s.Name == "b" {
					f += " (if bias)"
				}
				if s.Name == "mask" || s.Name == "dmask" {
					f += " (if mask)"
				}
				if s.Written {
					writes = append(writes, f)
				} else {
					reads = append(reads, f)
				}
			}
			rows = append(rows, []string{"`" + op.String() + "`", "`" + dir.String() + "`", strings.Join(reads, ", "), strings.Join(writes, ", ")})
		}
	}
	width := make([]int, 4)
	for _, r := range rows {
		for c, v := range r {
			width[c] = max(width[c], len(v))
		}
	}
	var b strings.Builder
	for i, r := range rows {
		for c, v := range r {
			fmt.Fprintf(&b, "| %-*s ", width[c], v)
		}
		b.WriteString("|\n")
		if i == 0 {
			for c := range r {
				fmt.Fprintf(&b, "|%s", strings.Repeat("-", width[c]+2))
			}
			b.WriteString("|\n")
		}
	}
	return b.String()
}

const (
	gradTableBegin = "<!-- grad-files: generated from conv.Problem.Tensors, checked by worker/doc_test.go -->\n"
	gradTableEnd   = "<!-- /grad-files -->"
)

func TestDocGradTable(t *testing.T) {
	b, err := os.ReadFile("../docs/worker-protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, gradTableBegin)
	j := strings.Index(doc, gradTableEnd)
	if i < 0 || j < i {
		t.Fatalf("docs/worker-protocol.md: no %q … %q block", strings.TrimSpace(gradTableBegin), gradTableEnd)
	}
	if got, want := doc[i+len(gradTableBegin):j], gradTable(t); got != want {
		t.Errorf("docs/worker-protocol.md: the table of backward files disagrees with the tensor table; want:\n%s", want)
	}
}
