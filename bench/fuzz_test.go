package bench

import (
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"
)

// FuzzParseLayers: shape files come from elsewhere. Whatever a line holds,
// ParseLayers returns layers or an error, never panics, and a layer it
// returns has a positive repeat count, a shape key without the name, and
// a benchmark key without white space (benchfmt splits names there).
func FuzzParseLayers(f *testing.F) {
	f.Add(`mb50ic64ih56oc64oh56kh3ph1n"resnet_50:res2a_branch2b*3"`, 1)
	f.Add(`g32mb1ic32ih112oc32oh112kh3ph1n"mobilenet:dw*0"`, 0)
	f.Add(`mb1ic4ih8oc4oh8kh3ph1n"a b/c=d*7"`, 2)
	f.Fuzz(func(t *testing.T, line string, mb int) {
		if mb < 0 || mb > 64 {
			return
		}
		ls, err := ParseLayers(conv.ParseShapeFile(line), nil, conv.OpConv, mb)
		if err != nil {
			return
		}
		for _, l := range ls {
			if l.Repeat < 1 || strings.Contains(l.Shape, "n") && l.Name != "" && strings.Contains(l.Shape, l.Name) {
				t.Fatalf("layer %+v", l)
			}
			if k := l.key(); strings.ContainsAny(k, " \t\n") {
				t.Fatalf("key %q has white space", k)
			}
		}
	})
}
