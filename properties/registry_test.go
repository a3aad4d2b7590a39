package properties

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRunPatternsRunTheProperty checks that the pattern the report prints
// for each property names a test that exists in this package and, for the
// subtests of TestProperties, one that TestProperties does not skip.
func TestRunPatternsRunTheProperty(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && strings.HasPrefix(fd.Name.Name, "Test") {
				tests[fd.Name.Name] = true
			}
		}
	}
	for _, p := range All() {
		pat := RunPattern(p.Name)
		top, sub, _ := strings.Cut(pat, "/")
		name := strings.TrimSuffix(strings.TrimPrefix(top, "^"), "$")
		if !tests[name] {
			t.Errorf("%s: pattern %q names test %s, which is not in %v", p.Name, pat, name, files)
		}
		if _, dedicated := dedicatedTests[p.Name]; dedicated == (sub != "") {
			t.Errorf("%s: pattern %q, but TestProperties skips it: %v", p.Name, pat, dedicated)
		}
		if sub != "" && !regexp.MustCompile(sub).MatchString(p.Name) {
			t.Errorf("%s: subtest pattern %q does not match it", p.Name, sub)
		}
	}
}
