package claims

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

func init() { sections = append(sections, section1, section2, section3, section4, section5) }

// The Q&A's running example: a 3→64 3×3 conv on 224×224 with padding 1.
func qaExample() conv.Problem { return conv2d(3, 64, 224, 3, 1, 1, 1, 1) }

// qaExampleName names the Q&A's example layer from its problem.
func qaExampleName() string {
	p := qaExample()
	return fmt.Sprintf("%d→%d %d×%d, %d×%d, no bias", p.IC, p.OC, p.K[conv.H], p.K[conv.W], p.I[conv.H], p.I[conv.W])
}

func section1() []Claim {
	return []Claim{
		{
			ID: "s1-local-connectivity", Section: 1,
			Quote:      "局部连接。比起全连接，局部连接会大大减少网络的参数。",
			Paraphrase: "Local connectivity greatly reduces the parameters compared with a fully connected layer.",
			Check:      "paramsOf on the Q&A's 3→64, 3×3, 224×224 layer against a dense layer between the same activations and a locally connected (unshared) one",
			Decide: func(c *Context) Result {
				p := qaExample()
				in, out := int64(conv.Elems(p.SrcShape())), int64(conv.Elems(p.DstShape()))
				fc := in * out
				local := paramsOf(&p, false) * int64(conv.Spatial(p.O))
				ok := local < fc
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: fmt.Sprintf("the Q&A's %s layer: fully connected %s weights, locally connected %s (÷%s)", qaExampleName(), sci(float64(fc)), sci(float64(local)), num(fc/local)),
					Details: []string{
						fmt.Sprintf("Between the input %v and output %v of the Q&A's example layer, a fully connected layer needs %s = %s weights.", p.SrcShape(), p.DstShape(), num(in)+"·"+num(out), num(fc)),
						fmt.Sprintf("Connecting each output only to its 3×3×3 window, without sharing, needs K²·Cin·Cout·Hout·Wout = %s: %s times fewer.", num(local), num(fc/local)),
					}}
			},
		},
		{
			ID: "s1-weight-sharing", Section: 1,
			Quote:      "权值共享。参数共享也能减少整体参数量，增强了网络训练的效率。一个卷积核的参数权重被整张图片共享，不会因为图像内位置的不同而改变卷积核内的参数权重。",
			Paraphrase: "Sharing one kernel over all positions reduces the parameters further.",
			Check:      "paramsOf of the shared conv against the locally connected count; property ShiftEquivariance (the same weights at every position)",
			Decide: func(c *Context) Result {
				p := qaExample()
				shared := paramsOf(&p, false)
				local := shared * int64(conv.Spatial(p.O))
				ok, ces, lines := c.properties("ShiftEquivariance")
				ok = ok && shared*int64(conv.Spatial(p.O)) == local && shared < local
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: fmt.Sprintf("the Q&A's %s layer: %s shared weights vs %s unshared: ÷Hout·Wout = ÷%s", qaExampleName(), num(shared), num(local), num(int64(conv.Spatial(p.O)))),
					Details: append([]string{fmt.Sprintf("Sharing divides the locally connected count by the number of output positions, %s.", num(int64(conv.Spatial(p.O)))),
						"The training-efficiency part is not checkable offline."}, lines...),
					Counterexamples: ces}
			},
		},
		{
			ID: "s1-downsampling", Section: 1,
			Quote:      "下采样。下采样能逐渐降低图像分辨率，实现了数据的降维，并使浅层的局部特征组合成为深层的特征。",
			Paraphrase: "Downsampling is one of convolution's three features: it lowers the resolution.",
			Check:      "outSize of a stride-1 'same' conv against stride 2",
			Decide: func(c *Context) Result {
				same := outSize(224, 3, 1, 1, 1, 1)
				strided := outSize(224, 3, 2, 1, 1, 1)
				ok := same == 224 && strided < 224
				return Result{Verdict: either(ok, HoldsWithCaveat, Refuted),
					Evidence: fmt.Sprintf("stride 1, pad 1: 224→%d (no downsampling); stride 2: 224→%d", same, strided),
					Details: []string{
						fmt.Sprintf("Downsampling is not a property of convolution: a 3×3 conv at stride 1 with padding 1 maps 224 to %d. It comes from a stride above 1 (224→%d at stride 2) or from pooling.", same, strided),
						"That it 'controls overfitting' and 'speeds up training' is not checkable offline.",
					}}
			},
		},
	}
}

func section2() []Claim {
	return []Claim{{
		ID: "s2-feature-levels", Section: 2,
		Quote:      "浅层卷积 → 提取边缘特征；中层卷积 → 提取局部特征；深层卷积 → 提取全局特征",
		Paraphrase: "Shallow layers extract edges, middle layers local features, deep layers global features.",
		Check:      "not checkable without trained weights; receptiveField of VGG-16 per layer shows the context each layer can see",
		Decide: func(c *Context) Result {
			ls, names, last := vgg16()
			f := receptiveField(ls)
			return Result{Verdict: NotCheckable,
				Evidence: fmt.Sprintf("what a trained layer detects needs trained weights; VGG-16's field grows %d → %d → %d px", f[0].Size, f[6].Size, f[last].Size),
				Details: []string{
					"What features a layer learns depends on training data and weights, which this offline suite does not have.",
					fmt.Sprintf("What is checkable is how much of the image a layer can see: in VGG-16 %s sees %d px, %s %d px, %s %d px (conv.ReceptiveField, verified by property ReceptiveFieldMeasured).",
						names[0], f[0].Size, names[6], f[6].Size, names[last], f[last].Size),
				}}
		},
	}}
}

func section3() []Claim {
	return []Claim{
		{
			ID: "s3-two-3x3-field", Section: 3,
			Quote:      "两个 3×3 卷积核和一个 5×5 卷积核的感受野相同",
			Paraphrase: "Two stacked 3×3 convs have the receptive field of one 5×5; (implied) three 3×3 match one 7×7.",
			Check:      "receptiveField of the stacks; property StackedKernelsConvolve (a linear stack is one conv of the summed extent)",
			Decide: func(c *Context) Result {
				l3 := conv.Layer{K: 3, S: 1, Dil: 1}
				two, three := receptiveField([]conv.Layer{l3, l3}), receptiveField([]conv.Layer{l3, l3, l3})
				five, seven := receptiveField([]conv.Layer{{K: 5, S: 1, Dil: 1}}), receptiveField([]conv.Layer{{K: 7, S: 1, Dil: 1}})
				ok, ces, lines := c.properties("StackedKernelsConvolve", "ReceptiveFieldMeasured")
				ok = ok && two[1].Size == five[0].Size && three[2].Size == seven[0].Size
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: fmt.Sprintf("3×3+3×3 → %d, one 5×5 → %d; 3×(3×3) → %d, one 7×7 → %d", two[1].Size, five[0].Size, three[2].Size, seven[0].Size),
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s3-two-3x3-cost", Section: 3,
			Quote:      "但是减少了参数量和计算量，加快了模型训练",
			Paraphrase: "Two 3×3 layers have fewer parameters and less compute than one 5×5 (18·C² vs 25·C²), and run faster.",
			Check:      fmt.Sprintf("paramsOf and counted MACs of two C→C 3×3 'same' convs against one 5×5, C = %d on %d×%d, no bias; both timed with im2col-gemm (and the 3×3s with winograd-f2x3)", settings.TwoThreeC, settings.TwoThreeSize, settings.TwoThreeSize),
			Decide: func(c *Context) Result {
				ch, sz := settings.TwoThreeC, settings.TwoThreeSize
				a, b := conv2d(ch, ch, sz, 3, 1, 1, 1, 1), conv2d(ch, ch, sz, 5, 1, 2, 1, 1)
				p2, p5 := 2*paramsOf(&a, false), paramsOf(&b, false)
				m2, m5 := 2*counted(&a).Taps, counted(&b).Taps
				ok := p2 < p5 && m2 < m5 && p2 == int64(18*ch*ch) && p5 == int64(25*ch*ch)
				t3, err3 := timeVariant(fmt.Sprintf("3×3, %d→%d, %d×%d", ch, ch, sz, sz), "im2col-gemm", a)
				t5, err5 := timeVariant(fmt.Sprintf("5×5, %d→%d, %d×%d", ch, ch, sz, sz), "im2col-gemm", b)
				tw, errw := timeVariant(fmt.Sprintf("3×3, %d→%d, %d×%d", ch, ch, sz, sz), "winograd-f2x3", a)
				setting := fmt.Sprintf("C = %d on %d×%d, no bias", ch, sz, sz)
				if err := firstErr(err3, err5, errw); err != nil {
					return Result{Verdict: either(ok, HoldsWithCaveat, Refuted),
						Evidence: fmt.Sprintf("%s: params %s vs %s, MACs ×%.2f; timing failed: %v", setting, num(p2), num(p5), float64(m2)/float64(m5), err)}
				}
				measured := float64(t5.Time) / float64(2*t3.Time)
				faster := measured > 1
				return Result{Verdict: either(ok && faster, Holds, either(ok, HoldsWithCaveat, Refuted)),
					Evidence: fmt.Sprintf("%s: params %s vs %s (18·C² vs 25·C²), MACs ×%.2f; one 5×5 takes ×%.2f the time of two 3×3 (×%.2f counted)", setting, num(p2), num(p5), float64(m2)/float64(m5), measured, float64(m5)/float64(m2)),
					Details: append([]string{fmt.Sprintf("At %s: two 3×3 layers hold %s weights and execute %s MACs; one 5×5 holds %s and executes %s (reference counts).", setting, num(p2), num(m2), num(p5), num(m5)),
						fmt.Sprintf("Timed forward passes with the same variant (im2col-gemm): two 3×3 take %s, one 5×5 %s: %s. Winograd F(2×2, 3×3), which only 3×3 kernels get, runs one 3×3 in %s. Training adds two backward passes of the same MACs per layer, so the ratio carries over; the second layer's activations also cost memory.",
							fmtDuration(2*t3.Time), fmtDuration(t5.Time), speedup(measured, float64(m5)/float64(m2)), fmtDuration(tw.Time)),
						""}, c.timingRows(t3, tw, t5)...)}
			},
		},
		{
			ID: "s3-nonlinearity", Section: 3,
			Quote:      "与此同时由于卷积核的增加，模型的非线性表达能力大大增强。",
			Paraphrase: "More (smaller) kernels make the model more nonlinear and expressive.",
			Check:      "property StackedKernelsConvolve; Jacobian rank of (a, b) ↦ a∗b; least-squares factorisation of a random 5×5 kernel",
			Decide: func(c *Context) Result {
				rng := rand.New(rand.NewPCG(c.Seed, 3))
				ok, ces, lines := c.properties("StackedKernelsConvolve")
				r1 := factorJacobianRank(1, rng)
				return Result{Verdict: either(ok && r1 < 25, HoldsWithCaveat, Refuted),
					Evidence: fmt.Sprintf("only with an activation between them: without one, 3×3∘3×3 is one 5×5 conv, from a %d-dim set of the 25-dim 5×5 kernels", r1),
					Details: append([]string{
						"The extra nonlinearity comes from the activation between the layers, not from the kernels: without it the stack is one convolution whose kernel is the two kernels convolved (see s3-5x5-factorisation for what that kernel can reach).",
					}, lines...), Counterexamples: ces}
			},
		},
		{
			ID: "s3-5x5-factorisation", Section: 3,
			Quote:      "两个 3×3 卷积核和一个 5×5 卷积核的感受野相同，但是减少了参数量和计算量",
			Paraphrase: "(Our extension, not the Q&A's claim) two stacked 3×3 kernels can stand in for any 5×5 kernel.",
			Extension:  true,
			Check:      "factorJacobianRank for M = 1, 2, 3 intermediate channels; bestFactor (alternating least squares) on a random 5×5 kernel and on a product a∗b as control",
			Decide: func(c *Context) Result {
				rng := rand.New(rand.NewPCG(c.Seed, 5))
				ranks := []int{factorJacobianRank(1, rng), factorJacobianRank(2, rng), factorJacobianRank(3, rng)}
				k := make([]float64, 25)
				for i := range k {
					k[i] = float64(rng.IntN(9) - 4)
				}
				a, b := make([]float64, 9), make([]float64, 9)
				for i := range a {
					a[i], b[i] = rng.NormFloat64(), rng.NormFloat64()
				}
				resRandom := bestFactor(k, rng, 20, 200)
				resControl := bestFactor(full2(a, 3, b, 3), rng, 20, 200)
				minM := 0
				for i, r := range ranks {
					if r == 25 && minM == 0 {
						minM = i + 1
					}
				}
				refuted := ranks[0] < 25 && resRandom > 1e-3 && resControl < 1e-6
				return Result{Verdict: either(refuted, Refuted, HoldsWithCaveat),
					Evidence: fmt.Sprintf("single channel: 18 parameters reach a %d-dim set of the 25-dim 5×5 kernels; a random 5×5 leaves residual %.3f (a true product: %.1e)", ranks[0], resRandom, resControl),
					Details: []string{
						fmt.Sprintf("The map (a, b) ↦ a∗b from two 3×3 kernels (18 parameters, one lost to the scale a·t, b/t) to a 5×5 kernel has Jacobian rank %d, so its image is a set of dimension %d in the 25-dimensional space of 5×5 kernels: %s.", ranks[0], ranks[0], restricted(ranks[0] < 25)),
						fmt.Sprintf("Alternating least squares from 20 random starts fits the random integer kernel %v to a relative residual of %.4f, and a genuine product a∗b (the control: the fit must reach it) to %.1e.", k, resRandom, resControl),
						"The Q&A says only that the receptive fields match and that the stack is cheaper; that it can express every 5×5 layer is the reading a reader might add, so this entry is ours and is not counted among the Q&A's errors.",
						fmt.Sprintf("With M intermediate channels the stack computes Σₘ aₘ∗bₘ; the Jacobian rank is %v for M = 1, 2, 3: %s.", ranks, fullFrom(minM)),
						fmt.Sprintf("That needs M ≥ 2 intermediate channels per input–output pair. At equal widths (C → C → C) the stack has 18·C² weights and one C→C 5×5 layer 25·C² (%s against %s at C = %d): the stack's layers form a set of dimension at most 18·C², which never fills the 25·C²-dimensional space of 5×5 layers.", num(int64(18*settings.TwoThreeC*settings.TwoThreeC)), num(int64(25*settings.TwoThreeC*settings.TwoThreeC)), settings.TwoThreeC),
					}}
			},
		},
	}
}

func section4() []Claim {
	return []Claim{
		{
			ID: "s4-field-larger-than-input", Section: 4,
			Quote:      "一般来说感受野越大越好，比如分类任务中最后卷积层的感受野要大于输入图像。",
			Paraphrase: "A larger field is better; for classification the last conv layer's field should exceed the input image (a design heuristic).",
			Check:      "receptiveField of the last conv layer of standard classifiers, from their layer lists (VGG-16, ResNet-50 v1 and v1.5, MobileNetV2, Inception-v3), against their input size",
			Decide: func(c *Context) Result {
				nets := standardNetworks()
				var exceed, short []string
				rows := []string{"| network | layer list from | input (px) | last conv layer | its field (px) | field / input |", "|---|---|---:|---|---:|---:|"}
				for _, n := range nets {
					f := n.lastField()
					rows = append(rows, fmt.Sprintf("| %s | %s | %d | %s | %d | %.2f |", n.Name, n.Source, n.Input, n.lastName(), f.Size, float64(f.Size)/float64(n.Input)))
					entry := fmt.Sprintf("%s %d/%d", n.Name, f.Size, n.Input)
					if f.Size > n.Input {
						exceed = append(exceed, entry)
					} else {
						short = append(short, entry)
					}
				}
				// A heuristic, not a law: it holds when most standard
				// classifiers follow it, and a caveat names those that do not.
				v := Refuted
				switch {
				case len(short) == 0:
					v = Holds
				case len(exceed) > len(short):
					v = HoldsWithCaveat
				}
				ev := fmt.Sprintf("%d of %d standard classifiers follow it (%s)", len(exceed), len(nets), strings.Join(exceed, ", "))
				if len(short) > 0 {
					ev += "; not " + strings.Join(short, ", ")
				}
				return Result{Verdict: v, Evidence: ev,
					Details: append(append([]string{
						"要大于 reads as a design rule (the field *should* exceed the input), not a law, so it is decided across several standard classifiers rather than refuted by one. The fields are computed by conv.ReceptiveField (verified by property ReceptiveFieldMeasured) from each network's layer list along its widest path, pooling included; the lists are in claims/networks.go with the paper each follows.",
						"",
					}, rows...), "",
						"VGG-16, whose field stays below its input, still classifies well: its fully connected layers combine all positions. 'The larger the better' is not checkable offline."),
				}
			},
		},
		{
			ID: "s4-field-formula", Section: 4,
			Quote:      "感受野计算：",
			Paraphrase: "The receptive field is computed layer by layer (the formula is an image, not in the text).",
			Check:      "conv.ReceptiveField (r ← r + (d(k−1)+1 − 1)·j, j ← j·s) against property ReceptiveFieldMeasured",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("ReceptiveFieldMeasured")
				return Result{Verdict: either(ok, HoldsWithCaveat, Refuted),
					Evidence: "the standard recurrence rₗ = rₗ₋₁ + (d·(k−1))·jₗ₋₁, jₗ = jₗ₋₁·s equals the measured impulse support; the Q&A's own formula is an image and not checkable",
					Details:  append([]string{"The Q&A gives the formula only as an image, which this offline check cannot read. The standard recurrence, with the dilated extent d·(k−1)+1, is checked instead."}, lines...), Counterexamples: ces}
			},
		},
		{
			ID: "s4-enlarge", Section: 4,
			Quote:      "增大感受野的方法：使用空洞卷积、使用池化层、增大卷积核",
			Paraphrase: "Dilation, pooling and larger kernels enlarge the receptive field.",
			Check:      "property ReceptiveFieldEnlargers; receptiveField of three example stacks",
			Decide: func(c *Context) Result {
				stacks, order := rfStacks()
				ok, ces, lines := c.properties("ReceptiveFieldEnlargers")
				sizes := map[string]int{}
				for _, n := range order {
					f := receptiveField(stacks[n])
					sizes[n] = f[len(f)-1].Size
				}
				ok = ok && sizes[order[1]] > sizes[order[0]] && sizes[order[2]] > sizes[order[0]]
				fig := c.RFGrowthFigure(stacks, order)
				return Result{Verdict: either(ok, HoldsWithCaveat, Refuted),
					Evidence: fmt.Sprintf("all three do: after %d layers, plain 3×3 %d px, dilated %d px, with pooling %d px; pooling mostly through the layers after it", len(stacks[order[0]]), sizes[order[0]], sizes[order[1]], sizes[order[2]]),
					Details: append([]string{
						"All three enlarge it. Pooling does so mostly for the layers *after* it: it multiplies the jump j, so every later kernel's k−1 counts j times; the pooling window itself adds only (k−1)·j.",
					}, lines...), Counterexamples: ces, Figures: nonEmpty(fig)}
			},
		},
	}
}

// rfStacks are the three six-layer stacks of the receptive-field figure.
func rfStacks() (map[string][]conv.Layer, []string) {
	plain, dilated, pooled := []conv.Layer{}, []conv.Layer{}, []conv.Layer{}
	for l := 0; l < 6; l++ {
		plain = append(plain, conv.Layer{K: 3, S: 1, P: 1, Dil: 1})
		dilated = append(dilated, conv.Layer{K: 3, S: 1, P: 1 << l, Dil: 1 << l})
		if l%2 == 1 {
			pooled = append(pooled, conv.Layer{K: 2, S: 2, Dil: 1})
		} else {
			pooled = append(pooled, conv.Layer{K: 3, S: 1, P: 1, Dil: 1})
		}
	}
	order := []string{"plain 3×3", "dilated 3×3 (d = 1, 2, 4, …)", "3×3 and 2×2 pooling alternating"}
	return map[string][]conv.Layer{order[0]: plain, order[1]: dilated, order[2]: pooled}, order
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func section5() []Claim {
	return []Claim{{
		ID: "s5-inception", Section: 5,
		Quote:      "输入的特征图在同一层分别经过 1×1 ， 3×3 和 5×5 三种不同尺寸的卷积核，再将各自的特征图进行整合，得到的新特征可以看作不同感受野提取的特征组合",
		Paraphrase: "An Inception layer runs 1×1, 3×3 and 5×5 kernels in parallel and concatenates their outputs: features of different receptive fields.",
		Check:      "reference.Conv of the three branches (paddings 0, 1, 2) against one 5×5 conv whose kernels are the branches' centred and zero-padded",
		Decide: func(c *Context) Result {
			rng := rand.New(rand.NewPCG(c.Seed, 7))
			ic, oc, sz := settings.InceptionIC, settings.InceptionOC, settings.InceptionSize
			x := ints(rng, ic*sz*sz)
			var cat, wbig []float64
			var sizes []int
			for _, k := range []int{1, 3, 5} {
				p := conv2d(ic, oc, sz, k, 1, (k-1)/2, 1, 1)
				w := ints(rng, conv.Elems(p.WeightShape()))
				cat = append(cat, reference.Conv(&p, x, w, nil, nil)...)
				sizes = append(sizes, p.O[conv.W])
				off := (5 - k) / 2
				big := make([]float64, oc*ic*25)
				for o := 0; o < oc; o++ {
					for i := 0; i < ic; i++ {
						for u := 0; u < k; u++ {
							for v := 0; v < k; v++ {
								big[((o*ic+i)*5+u+off)*5+v+off] = w[((o*ic+i)*k+u)*k+v]
							}
						}
					}
				}
				wbig = append(wbig, big...)
			}
			one := conv2d(ic, 3*oc, sz, 5, 1, 2, 1, 1)
			y := reference.Conv(&one, x, wbig, nil, nil)
			same := len(y) == len(cat)
			for i := range y {
				same = same && y[i] == cat[i]
			}
			ok := same && sizes[0] == sz && sizes[1] == sz && sizes[2] == sz
			return Result{Verdict: either(ok, HoldsWithCaveat, Refuted),
				Evidence: fmt.Sprintf("%d→%d per branch on %d×%d: outputs %v px, so they concatenate; fields 1, 3, 5; without the pooling branch, one 5×5 conv", ic, oc, sz, sz, sizes),
				Details: []string{
					fmt.Sprintf("Setting: %d input channels, %d output channels per branch, a %d×%d map, no bias. With paddings 0, 1, 2 the branches keep the %d×%d size, so their outputs concatenate along channels, and each output channel sees a field of 1, 3 or 5 pixels.", ic, oc, sz, sz, sz, sz),
					"Before any activation, the three conv branches together are exactly one 5×5 conv whose 1×1 and 3×3 kernels are centred and zero-padded (bit-exact on integers). This holds only without the pooling branch of GoogLeNet's module (3×3 max pooling then 1×1), which is not linear; with it the module is no single conv. 'Stronger expressive power' is not checkable offline.",
				}}
		},
	}}
}

func ints(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(rng.IntN(9) - 4)
	}
	return v
}
