package optimized

import "testing"

// TestPathNames: every counted path has its own name, PathHits lists them
// all, and ResetPathHits clears what hit counted.
func TestPathNames(t *testing.T) {
	seen := map[string]bool{}
	for i, name := range pathNames {
		if name == "" || seen[name] {
			t.Fatalf("path %d: name %q empty or repeated", i, name)
		}
		seen[name] = true
	}
	hit(pathRowFull64)
	if n := PathHits()[pathNames[pathRowFull64]]; n < 1 {
		t.Fatalf("hit not counted: %d", n)
	}
	ResetPathHits()
	h := PathHits()
	if len(h) != int(numPaths) {
		t.Fatalf("PathHits has %d names, want %d", len(h), numPaths)
	}
	for name, n := range h {
		if n != 0 {
			t.Fatalf("%s = %d after ResetPathHits", name, n)
		}
	}
}
