package claims

import (
	"fmt"
	"math"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/properties"
)

// Claims of sections 3, 4, 5, 9 and 16 that complete their sections: the
// remaining sentences that state something, checkable or not.
func init() { sections = append(sections, extraClaims) }

func extraClaims() []Claim {
	return []Claim{
		{
			ID: "s3-large-kernels", Section: 3,
			Quote:      "不过大卷积核（ 7×7， 9×9 ）也有使用的空间，在GAN，图像超分辨率，图像融合等领域依然有较多的应用",
			Paraphrase: "Large kernels (7×7, 9×9) are still used in GANs, super-resolution and image fusion.",
			Check:      "none offline: a survey of practice",
			Decide: func(c *Context) Result {
				return Result{Verdict: NotCheckable, Evidence: "a statement about where practitioners use large kernels; nothing to compute"}
			},
		},
		{
			ID: "s4-anchors", Section: 4,
			Quote:      "目标检测任务中设置anchor要对齐感受野，anchor太大或者偏离感受野会对性能产生一定的影响。",
			Paraphrase: "Detection anchors should align with the receptive field.",
			Check:      "none offline (detector accuracy); conv.ReceptiveField gives the field's centre (Start + u·Jump) an anchor would align with",
			Decide: func(c *Context) Result {
				ls, names, last := vgg16()
				f := receptiveField(ls)[last]
				return Result{Verdict: NotCheckable,
					Evidence: fmt.Sprintf("accuracy needs a trained detector; the geometry is computable: VGG-16 %s units are %d px apart, fields %d px wide centred at %g + %d·u", names[last], f.Jump, f.Size, f.Start, f.Jump)}
			},
		},
		{
			ID: "s5-one-size-per-layer", Section: 5,
			Quote:      "常规的神经网络一般每层仅用一个尺寸的卷积核",
			Paraphrase: "Ordinary networks use one kernel size per layer.",
			Check:      "none: a survey of practice",
			Decide: func(c *Context) Result {
				return Result{Verdict: NotCheckable, Evidence: "a statement about common architectures; nothing to compute"}
			},
		},
		{
			ID: "s9-darker-regions", Section: 9,
			Quote:      "这种重叠会造成图像中某个部位的颜色比其他部位更深。",
			Paraphrase: "The uneven overlap makes some places darker than others.",
			Check:      "properties.OverlapMap: a constant input through a constant k = 3, s = 2 kernel",
			Decide: func(c *Context) Result {
				m, o := properties.OverlapMap(2, 3, 2, 6)
				lo, hi := properties.DeconvInterior(3, 2, 6)
				in := properties.Interior(m, 2, o, lo, hi)
				mn, mx := math.Inf(1), math.Inf(-1)
				for _, v := range in {
					mn, mx = math.Min(mn, v), math.Max(mx, v)
				}
				return Result{Verdict: either(mx > mn, Holds, Refuted),
					Evidence: fmt.Sprintf("a flat input comes out with interior values from %.0f to %.0f (×%.0f) in a stride-2 grid pattern", mn, mx, mx/mn),
					Figures:  nonEmpty(c.CheckerboardFigure(3, 2))}
			},
		},
		{
			ID: "s16-locality", Section: 16,
			Quote:      "输出特征图上的一个像素点（神经元），只与输入数据中对应位置附近的一个小区域（感受野）内的输入值相连，而不是与整个输入相连（像全连接层那样）。",
			Paraphrase: "Each output depends only on a small neighbourhood of the input: its receptive field.",
			Check:      "property ReceptiveFieldMeasured (the gradient of one output is zero outside its field); property EffectiveReceptiveField",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("ReceptiveFieldMeasured", "EffectiveReceptiveField")
				p := qaExample()
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: fmt.Sprintf("the gradient of one output is exactly zero outside its field; in the example each output reads %d of %s inputs", p.ICG()*p.Taps(), num(int64(conv.Elems(p.SrcShape())))),
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s16-hierarchy", Section: 16,
			Quote:      "它的滤波器更大一些，可以覆盖第一层输出的一个小区域（即原始图像中更大的区域）。",
			Paraphrase: "A second-layer filter covers a small region of the first layer's output, i.e. a larger region of the image.",
			Check:      "receptiveField of one and two 3×3 layers",
			Decide: func(c *Context) Result {
				l := conv.Layer{K: 3, S: 1, Dil: 1}
				f := receptiveField([]conv.Layer{l, l})
				return Result{Verdict: either(f[1].Size > f[0].Size, HoldsWithCaveat, Refuted),
					Evidence: fmt.Sprintf("a 3×3 on a 3×3 layer sees %d×%d image pixels, against %d×%d: the filter need not be larger, stacking alone widens the view", f[1].Size, f[1].Size, f[0].Size, f[0].Size)}
			},
		},
	}
}
