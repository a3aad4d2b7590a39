package optimized

import (
	"slices"
	"testing"

	"github.com/convverify/convverify/conv"
)

// TestPackPanels: a phase's packPanels writes, straight from the kernel,
// the panels packBlockedPanels writes from the phase's reordered copy
// s.w, for every phase of problems with groups, 3D, output channels not a
// multiple of the block, and phases no tap reaches; slots past OCG keep
// their (NaN) background in both.
func TestPackPanels(t *testing.T) {
	for _, desc := range []string{
		"g2ic4ih3iw3oc6oh8ow4kh3kw3sh2sw2ph1pw5",
		"mb1ic6ih5iw14oc40oh10ow28kh4kw4sh2sw2ph1pw1",
		"g2ic4id3ih3iw5oc10od5oh5ow9kd3kh3kw3sd2sh2sw2pd1ph1pw1",
		"mb1ic2ih4iw8oc3oh7ow15kh1kw1sh2sw2",
	} {
		p, err := conv.ParseDescriptor(desc, conv.OpDeconv)
		if err != nil {
			t.Fatal(err)
		}
		w := make([]float32, conv.Elems(p.WeightShape()))
		for i := range w {
			w[i] = float32(i + 1)
		}
		_, phases := newSubpixelPhases(&p, w)
		for _, mr := range []int{4, 16, 32} {
			nob := ceilDiv(p.OCG(), mr)
			for i := range phases {
				s := &phases[i]
				want := make([]float32, p.G*nob*s.k*mr)
				got := make([]float32, len(want))
				for j := range want {
					want[j], got[j] = nan32, nan32
				}
				packBlockedPanels(want, nil, p.G, p.OCG(), s.k, mr, s.w, nil)
				s.packPanels(got, &p, w, mr)
				if !slices.EqualFunc(got, want, func(a, b float32) bool { return a == b || a != a && b != b }) {
					t.Errorf("%s phase %d, blocks of %d: packPanels differs from packBlockedPanels(s.w)", desc, i, mr)
				}
			}
		}
	}
}
