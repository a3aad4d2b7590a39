package conv

import (
	"os"
	"path/filepath"
	"testing"
)

// TestShapeFilesParse: every problem in the 101 benchdnn shape files parses,
// and printing then parsing gives the same problem.
func TestShapeFilesParse(t *testing.T) {
	for _, dir := range []struct {
		path string
		op   Op
	}{{"../shapes/benchdnn/conv", OpConv}, {"../shapes/benchdnn/deconv", OpDeconv}} {
		files, err := filepath.Glob(filepath.Join(dir.path, "shapes_*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no shape files under %s: %v", dir.path, err)
		}
		total := 0
		for _, f := range files {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ParseShapeFile(string(text)) {
				total++
				p, err := ParseDescriptor(d, dir.op)
				if err != nil {
					t.Errorf("%s: %v", filepath.Base(f), err)
					continue
				}
				back := p.Descriptor()
				q, err := ParseDescriptor(back, dir.op)
				if err != nil {
					t.Errorf("%s: %s printed as %s, which does not parse: %v", filepath.Base(f), d, back, err)
					continue
				}
				if q.Command() != p.Command() || q != p {
					t.Errorf("%s: %s → %s → %+v, want %+v", filepath.Base(f), d, back, q, p)
				}
			}
		}
		t.Logf("%s: %d problems", dir.path, total)
	}
}
