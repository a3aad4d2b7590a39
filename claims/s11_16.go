package claims

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

func init() {
	sections = append(sections, section11, section12, section13, section14, section15, section16)
}

func section11() []Claim {
	return []Claim{
		{
			ID: "s11-alexnet", Section: 11,
			Quote:      "分组卷积（Group Convolution）最早出现在AlexNet网络中，分组卷积被用来切分网络，使其能在多个GPU上并行运行。",
			Paraphrase: "Grouped convolution first appeared in AlexNet to split the model over GPUs.",
			Check:      "none: history",
			Decide: func(c *Context) Result {
				return Result{Verdict: NotCheckable, Evidence: "history of the literature; nothing to compute"}
			},
		},
		{
			ID: "s11-standard-params", Section: 11,
			Quote:      "每个卷积核的尺寸为 C×K×K ，N个卷积核的总参数量为 N×C×K×K 。",
			Paraphrase: "N kernels of C×K×K hold N·C·K² parameters.",
			Check:      fmt.Sprintf("paramsOf against the allocated weight length (C = %d, N = %d, K = 3)", settings.GroupC, settings.GroupN),
			Decide: func(c *Context) Result {
				cc, n := settings.GroupC, settings.GroupN
				p := conv2d(cc, n, 3, 3, 1, 1, 1, 1)
				got, want := paramsOf(&p, false), int64(n*cc*3*3)
				return Result{Verdict: either(got == want && int64(conv.Elems(p.WeightShape())) == want, HoldsWithCaveat, Refuted),
					Evidence: fmt.Sprintf("C = %d, N = %d, K = 3: N·C·K² = %s weights; plus N = %d biases if the layer has them", cc, n, num(got), n)}
			},
		},
		{
			ID: "s11-grouped-params", Section: 11,
			Quote:      "卷积核的总参数量为 N×C/G×K×K ，易得总的参数量减少为原来的 1/G 。",
			Paraphrase: "A G-group conv holds N·(C/G)·K² parameters, 1/G of the dense count.",
			Check:      fmt.Sprintf("paramsOf for G = 1, 2, 4, 32 at C = %d, N = %d, K = 3, no bias; property GroupedCost (counted MACs too)", settings.GroupC, settings.GroupN),
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("GroupedCost", "GroupedIsConcat")
				var ev []string
				cc, n, sz := settings.GroupC, settings.GroupN, 3
				dense := conv2d(cc, n, sz, 3, 1, 1, 1, 1)
				for _, g := range []int{2, 4, 32} {
					if cc%g != 0 || n%g != 0 {
						continue
					}
					p := conv2d(cc, n, sz, 3, 1, 1, 1, g)
					ev = append(ev, fmt.Sprintf("G=%d: %s", g, num(paramsOf(&p, false))))
					ok = ok && paramsOf(&p, false)*int64(g) == paramsOf(&dense, false)
				}
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: fmt.Sprintf("C = %d, N = %d, K = 3, no bias: dense %s; %s; counted MACs divide by G too", cc, n, num(paramsOf(&dense, false)), strings.Join(ev, ", ")),
					Details:  append([]string{"Biases (N of them) do not divide by G."}, lines...), Counterexamples: ces}
			},
		},
		{
			ID: "s11-sparse", Section: 11,
			Quote:      "分组卷积可以看成是稀疏操作，有时可以在较少参数量的情况下获得更好的效果（相当于正则化操作）。",
			Paraphrase: "Grouped conv is a sparse operation, sometimes better with fewer parameters (like regularisation).",
			Check:      "property GroupedIsBlockDiagonal",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("GroupedIsBlockDiagonal")
				return Result{Verdict: either(ok, HoldsWithCaveat, Refuted),
					Evidence: "it is exactly a dense conv with a block-diagonal kernel (a fraction 1 − 1/G of zeros); 'better results' needs training",
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s11-depthwise", Section: 11,
			Quote:      "当分组数量等于输入feature map通道数量，输出feature map数量也等于输入feature map数量时，分组卷积就成了Depthwise卷积，可以使参数量进一步缩减。",
			Paraphrase: "With G = C = N, grouped conv is depthwise conv, with even fewer parameters.",
			Check:      fmt.Sprintf("property Depthwise; paramsOf at C = %d, K = 3, no bias", settings.GroupC),
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("Depthwise")
				cc, sz := settings.GroupC, 3
				dw, dense := conv2d(cc, cc, sz, 3, 1, 1, 1, cc), conv2d(cc, cc, sz, 3, 1, 1, 1, 1)
				ok = ok && dw.IsDepthwise()
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: fmt.Sprintf("C = %d, K = 3: %s weights (C·K²) against %s dense (C²·K²)", cc, num(paramsOf(&dw, false)), num(paramsOf(&dense, false))),
					Details:  append([]string{"Frameworks also call G = C with N a multiple of C (a channel multiplier) depthwise."}, lines...), Counterexamples: ces}
			},
		},
	}
}

func section12() []Claim {
	return []Claim{
		{
			ID: "s12-offsets", Section: 12,
			Quote:      "可变形卷积通过在标准卷积的采样网格位置上添加2D偏移量，使得卷积核能够在自由形式的采样位置上进行操作。",
			Paraphrase: "Deformable conv adds a learned 2D offset to each sampling position of the standard grid.",
			Check:      "properties DeformZeroOffsets and DeformIntegerShift",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("DeformZeroOffsets", "DeformIntegerShift")
				p := conv2d(64, 64, 16, 3, 1, 1, 1, 1)
				p.Op = conv.OpDeform
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: fmt.Sprintf("zero offsets give the standard conv, integer offsets shift the samples; a 3×3 layer needs an offset field of %v (2·K² channels)", p.OffsetShape()),
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s12-offset-conv", Section: 12,
			Quote:      "这些偏移量通过前面的特征图生成，并通过额外的卷积层进行学习，从而使得变形是基于输入特征局部和自适应的。",
			Paraphrase: "The offsets are produced from the preceding feature map by an extra conv layer and learned.",
			Check:      "shape only: the offset conv must output 2·DG·K² channels at the output resolution",
			Decide: func(c *Context) Result {
				p := conv2d(64, 64, 16, 3, 2, 1, 1, 1)
				p.Op, p.DG = conv.OpDeform, 1
				return Result{Verdict: HoldsWithCaveat,
					Evidence: fmt.Sprintf("the offset branch must produce %v for a 3×3, stride-2 layer on 16×16; learning is not checkable offline", p.OffsetShape())}
			},
		},
		{
			ID: "s12-paper", Section: 12,
			Quote:      "可变形卷积（Deformable Convolution）是一种改进传统卷积神经网络（CNN）能力的新型卷积方法，旨在解决CNN在建模几何变换方面的固有限制。",
			Paraphrase: "Deformable conv addresses CNNs' limits in modelling geometric transformations.",
			Check:      "none: a motivation",
			Decide: func(c *Context) Result {
				return Result{Verdict: NotCheckable, Evidence: "a motivation and an empirical claim about trained models"}
			},
		},
	}
}

func section13() []Claim {
	return []Claim{
		{
			ID: "s13-example", Section: 13,
			Quote:      "假设我们有一个输入张量 X，其形状为 (4, 4, 4, 1) … 卷积核 W，其形状为 (2, 2, 2, 1, 1) … 步长为1，无填充（padding）。… 得到的输出张量 Y 的形状为 (3, 3, 3, 1)。",
			Paraphrase: "A (4,4,4,1) input convolved with a (2,2,2,1,1) kernel at stride 1, no padding, gives (3,3,3,1).",
			Check:      "property QA3DExample (reference.Conv on the exact problem)",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("QA3DExample")
				var o [3]int
				for a := 0; a < 3; a++ {
					o[a] = outSize(4, 2, 1, 0, 0, 1)
				}
				ok = ok && o == [3]int{3, 3, 3}
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: fmt.Sprintf("output %v × 1 channel; Y(0,0,0,0) is the 8-term sum over the 2×2×2 corner", o),
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s13-formula", Section: 13,
			Quote:      "Y(i, j, k, m) = Σ_d Σ_h Σ_w Σ_c X(i+d, j+h, k+w, c) · W(d, h, w, c, m)",
			Paraphrase: "The 3D conv output is the sum over the kernel window and input channels.",
			Check:      "property QA3DExample checks every output of the example against it",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("QA3DExample")
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: "every output of the Q&A's stride-1, unpadded example equals the sum (a cross-correlation, as frameworks compute)",
					Details:  append([]string{"With stride s, padding p and dilation the index becomes X(s·i − p + dil·d, …); the Q&A's example has none of them."}, lines...), Counterexamples: ces}
			},
		},
		{
			ID: "s13-output-depth", Section: 13,
			Quote:      "输出的深度由输入数据的深度和卷积核的深度决定。",
			Paraphrase: "The output depth is set by the input depth and the kernel depth.",
			Check:      fmt.Sprintf("outSize of depth %d with kernel depth %d at different stride and padding", settings.OutDepthID, settings.OutDepthKD),
			Decide: func(c *Context) Result {
				id, kd := settings.OutDepthID, settings.OutDepthKD
				a, b, d := outSize(id, kd, 1, 0, 0, 1), outSize(id, kd, 2, 0, 0, 1), outSize(id, kd, 1, 1, 1, 1)
				return Result{Verdict: either(a != b || a != d, HoldsWithCaveat, Holds),
					Evidence: fmt.Sprintf("id = %d, kd = %d: %d at stride 1, %d at stride 2, %d with padding 1: stride, padding and dilation matter too", id, kd, a, b, d)}
			},
		},
		{
			ID: "s13-from-2d", Section: 13,
			Quote:      "要理解3D卷积的原理，我们可以从2D卷积入手。",
			Paraphrase: "(Implied) 3D conv generalises 2D conv: with a depth-1 kernel and input it is 2D conv.",
			Check:      "property UnitDepth3DIs2D",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("UnitDepth3DIs2D")
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: "kd = id = 1 gives the 2D conv bit for bit; kd = 1 with id > 1 is a 2D conv per slice",
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s13-cost", Section: 13,
			Quote:      "计算复杂度更高，训练时间更长。… 需要更多的内存和计算资源。",
			Paraphrase: "3D conv costs more compute and memory, and trains slower.",
			Check:      fmt.Sprintf("macsOf of a 3×3×3 conv on a %d×%d×%d clip against a 3×3 conv on one %d×%d frame (%d→%d channels, no bias); both timed with im2col-gemm", settings.ThreeDDepth, settings.ThreeDSize, settings.ThreeDSize, settings.ThreeDSize, settings.ThreeDSize, settings.ThreeDC, settings.ThreeDC),
			Decide: func(c *Context) Result {
				ch, dep, sz := settings.ThreeDC, settings.ThreeDDepth, settings.ThreeDSize
				p3 := conv.New(conv.OpConv, 3)
				p3.IC, p3.OC = ch, ch
				for a := 0; a < 3; a++ {
					p3.I[a], p3.K[a], p3.PBegin[a], p3.PEnd[a] = sz, 3, 1, 1
				}
				p3.I[conv.D] = dep
				if err := p3.Resolve(); err != nil {
					panic(err)
				}
				p2 := conv2d(ch, ch, sz, 3, 1, 1, 1, 1)
				r := float64(macsOf(&p3)) / float64(macsOf(&p2))
				setting := fmt.Sprintf("%d→%d channels, %d×%d×%d clip vs one %d×%d frame", ch, ch, dep, sz, sz, sz, sz)
				t3, e3 := timeVariant(fmt.Sprintf("3×3×3 on %d×%d×%d", dep, sz, sz), "im2col-gemm", p3)
				t2, e2 := timeVariant(fmt.Sprintf("3×3 on %d×%d", sz, sz), "im2col-gemm", p2)
				if err := firstErr(e3, e2); err != nil {
					return Result{Verdict: either(r > 1, HoldsWithCaveat, Refuted),
						Evidence: fmt.Sprintf("%s: MACs ×%.0f; timing failed: %v", setting, r, err)}
				}
				measured := float64(t3.Time) / float64(t2.Time)
				return Result{Verdict: either(r > 1 && measured > 1, Holds, either(r > 1, HoldsWithCaveat, Refuted)),
					Evidence: fmt.Sprintf("%s: MACs ×%.0f = kd × output depth, params ×%d; %s", setting, r, paramsOf(&p3, false)/paramsOf(&p2, false), speedup(measured, r)),
					Details: append([]string{
						fmt.Sprintf("Setting: %s, 'same' padding, no bias. The 3D layer executes %s MACs and the 2D layer on one frame %s; the forward passes take %s and %s (%s). Training adds two backward passes of the same MACs per layer, so it is slower by about the same factor; the 3D layer's activations are %d times larger too.",
							setting, sci(float64(macsOf(&p3))), sci(float64(macsOf(&p2))), fmtDuration(t3.Time), fmtDuration(t2.Time), speedup(measured, r), dep),
						"",
					}, c.timingRows(t2, t3)...)}
			},
		},
	}
}

// The figures the Q&A states in section 14, quoted.
const (
	qaFLOPs       = 1.73e9
	qaParams      = 1728
	qaMemoryMB    = 12.58
	qaSepParams   = 219
	qaSepFLOPs    = 0.13e9
	qaSepSpeedup  = 13
	qaSepDWParams = 27
	qaSepPWParams = 192
)

// The Q&A's expressions for the two FLOP figures of section 14, term by term
// as it writes them (2 × 3² × 3 × 64 × 224 × 224 and 3² × 3 × 224² + 3 × 64
// × 224²), so a claim can say which scale each is on.
func qaStdFLOPsExpr() int64 { return 2 * 3 * 3 * 3 * 64 * 224 * 224 }
func qaSepFLOPsExpr() int64 { return 3*3*3*224*224 + 3*64*224*224 }

func section14() []Claim {
	return []Claim{
		{
			ID: "s14-flops-formula", Section: 14,
			Quote:      "FLOPs = 2 × K² × C_in × C_out × H_out × W_out",
			Paraphrase: "A conv layer costs 2·K²·Cin·Cout·Hout·Wout FLOPs.",
			Check:      "property CostsCounted (2 × taps the reference visits); benchdnn's in-bounds count for the example",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("CostsCounted")
				p := qaExample()
				cnt := counted(&p)
				return Result{Verdict: either(ok, HoldsWithCaveat, Refuted),
					Evidence: fmt.Sprintf("2 × every tap visited, padding taps included (benchdnn's in-image count: %s of %s for the example); no bias, G = 1 only", num(2*cnt.MACs), num(2*cnt.Taps)),
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s14-params-formula", Section: 14,
			Quote:      "Params = K² × C_in × C_out",
			Paraphrase: "A conv layer has K²·Cin·Cout parameters.",
			Check:      "property CostsCounted (allocated weight length)",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("CostsCounted")
				return Result{Verdict: either(ok, HoldsWithCaveat, Refuted),
					Evidence: "the weights, yes; a bias adds C_out, and groups divide by G",
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s14-memory-formula", Section: 14,
			Quote:      "Memory = C_out × H_out × W_out × bytes-per-element",
			Paraphrase: "A conv layer's activation memory is Cout·Hout·Wout·bytes.",
			Check:      "property CostsCounted (bytes the reference allocates); conv.ActivationBytes",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("CostsCounted")
				p := qaExample()
				return Result{Verdict: either(ok, HoldsWithCaveat, Refuted),
					Evidence: fmt.Sprintf("the output only: the forward pass also holds the input (%s B for the example, %s B in all)", num(int64(conv.Elems(p.SrcShape())*4)), num(p.ActivationBytes(4))),
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s14-example-flops", Section: 14,
			Quote:      "2 × 3² × 3 × 64 × 224 × 224 = 1.73 × 10⁹ FLOPs",
			Paraphrase: "The 3→64, 3×3 layer on 224×224 costs 1.73·10⁹ FLOPs.",
			Check:      "2·macsOf and the reference's counted taps",
			Decide: func(c *Context) Result {
				p := qaExample()
				f := 2 * macsOf(&p)
				cnt := counted(&p)
				ok := agrees(qaFLOPs, float64(2*cnt.Taps), 0.005e9)
				ev := fmt.Sprintf("the product is %s = %s FLOPs; %s", num(2*cnt.Taps), sci(float64(2*cnt.Taps)), vsQA(ok, qaFLOPs, float64(2*cnt.Taps), sci))
				if f != 2*cnt.Taps {
					ev += fmt.Sprintf("; the FLOPs formula gives %s, which disagrees with the count", num(f))
				}
				return Result{Verdict: either(ok, Holds, Refuted), Evidence: ev,
					Details: []string{fmt.Sprintf("2·K²·Cin·Cout·Hout·Wout = 2·9·3·64·224·224: the reference visits %s taps (×2 = %s FLOPs); the formula gives %s; only %s taps land inside the image (benchdnn's count).", num(cnt.Taps), num(2*cnt.Taps), num(f), num(cnt.MACs))}}
			},
		},
		{
			ID: "s14-example-params", Section: 14,
			Quote:      "3² × 3 × 64 = 1,728 参数",
			Paraphrase: "The example layer has 1,728 parameters.",
			Check:      "paramsOf",
			Decide: func(c *Context) Result {
				p := qaExample()
				got := paramsOf(&p, false)
				return Result{Verdict: either(got == qaParams, Holds, Refuted),
					Evidence: fmt.Sprintf("%s weights (%s with the 64 biases)", num(got), num(paramsOf(&p, true)))}
			},
		},
		{
			ID: "s14-example-memory", Section: 14,
			Quote:      "64 × 224 × 224 × 4 Bytes = 12.58 MB",
			Paraphrase: "The example's output activations take 12.58 MB.",
			Check:      "output elements of the reference × 4 bytes, in MB and MiB",
			Decide: func(c *Context) Result {
				p := qaExample()
				bytes := int64(conv.Elems(p.DstShape())) * 4
				mb, mib := float64(bytes)/1e6, float64(bytes)/(1<<20)
				inMB, inMiB := agrees(qaMemoryMB, mb, 0.005), agrees(qaMemoryMB, mib, 0.005)
				var vs string
				switch {
				case inMB:
					vs = fmt.Sprintf("the Q&A's %v matches in decimal MB", qaMemoryMB)
				case inMiB:
					vs = fmt.Sprintf("the Q&A's %v matches in MiB", qaMemoryMB)
				default:
					vs = fmt.Sprintf("the Q&A's %v matches neither (%s the MB figure)", qaMemoryMB, ratio(qaMemoryMB, mb))
				}
				return Result{Verdict: either(inMB || inMiB, Holds, Refuted),
					Evidence: fmt.Sprintf("%s B = %.2f MB = %.2f MiB; %s", num(bytes), mb, mib, vs)}
			},
		},
		{
			ID: "s14-separable-params", Section: 14,
			Quote:      "参数量降至 3² × 3 + 3 × 64 = 27 + 192 = 219",
			Paraphrase: "The depthwise separable version has 27 + 192 = 219 parameters.",
			Check:      "conv.NewSeparable and paramsOf of both halves",
			Decide: func(c *Context) Result {
				s, _ := conv.NewSeparable(qaExample())
				dw, pw := paramsOf(&s.Depthwise, false), paramsOf(&s.Pointwise, false)
				ok := dw == qaSepDWParams && pw == qaSepPWParams && dw+pw == qaSepParams
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: fmt.Sprintf("depthwise %s + pointwise %s = %s (without biases)", num(dw), num(pw), num(dw+pw))}
			},
		},
		{
			ID: "s14-separable-flops", Section: 14,
			Quote:      "FLOPs降至 3² × 3 × 224² + 3 × 64 × 224² = 0.13 × 10⁹ FLOPs",
			Paraphrase: "The separable version costs 0.13·10⁹ FLOPs.",
			Check:      "the reference's counted MACs of reference.Separable",
			Decide: func(c *Context) Result {
				s, _ := conv.NewSeparable(qaExample())
				cnt := countedSeparable(s)
				macs := cnt.Taps
				asMACs, asFLOPs := agrees(qaSepFLOPs, float64(macs), 0.005e9), agrees(qaSepFLOPs, float64(2*macs), 0.005e9)
				var vs string
				switch {
				case asMACs:
					vs = fmt.Sprintf("the Q&A's %s matches the MAC count", sci(qaSepFLOPs))
				case asFLOPs:
					vs = fmt.Sprintf("the Q&A's %s matches the FLOP count", sci(qaSepFLOPs))
				default:
					vs = fmt.Sprintf("the Q&A's %s matches neither (%s the MACs, %s the FLOPs)", sci(qaSepFLOPs), ratio(qaSepFLOPs, float64(macs)), ratio(qaSepFLOPs, float64(2*macs)))
				}
				// The Q&A's own expressions, evaluated: which scale each is on.
				std, sep := qaStdFLOPsExpr(), qaSepFLOPsExpr()
				p := qaExample()
				scale := func(v int64, m int64) string {
					switch v {
					case m:
						return "MACs (no factor 2)"
					case 2 * m:
						return "FLOPs (2 per MAC)"
					}
					return fmt.Sprintf("neither MACs nor FLOPs (%s the MACs)", ratio(float64(v), float64(m)))
				}
				detail := fmt.Sprintf("Evaluated, the Q&A's separable expression is %s = %s, which counts %s; its standard-conv expression is %s = %s, which counts %s.",
					num(sep), sci(float64(sep)), scale(sep, macs), num(std), sci(float64(std)), scale(std, counted(&p).Taps))
				if scale(sep, macs) == scale(std, counted(&p).Taps) {
					detail += " Both are on the same scale."
				} else {
					detail += " Its two figures are on different scales."
				}
				return Result{Verdict: either(asMACs || asFLOPs, Holds, Refuted),
					Evidence: fmt.Sprintf("the sum is %s = %s MACs (%s FLOPs at 2 per MAC); %s", num(macs), sci(float64(macs)), sci(float64(2*macs)), vs),
					Details:  []string{detail}}
			},
		},
		{
			ID: "s14-separable-speedup", Section: 14,
			Quote:      "计算量减少约13倍，适用于移动端部署。",
			Paraphrase: "Depthwise separable conv cuts the compute about 13×.",
			Check:      "counted MACs of the standard and separable example layers; 1/(1/N + 1/K²); property SeparableCost",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("SeparableCost")
				p := qaExample()
				s, _ := conv.NewSeparable(p)
				r := float64(counted(&p).Taps) / float64(countedSeparable(s).Taps)
				formula := 1 / (1/float64(p.OC) + 1/float64(p.Taps()))
				hold := ok && agrees(qaSepSpeedup, r, 0.5)
				fig, fig2 := c.SeparableFigure(), c.SeparableLayersFigure()
				return Result{Verdict: either(hold, Holds, Refuted),
					Evidence: fmt.Sprintf("counted: ×%.2f = 1/(1/%d + 1/%d) = %.2f; %s (the Q&A's own figures give %s / %s = %.1f)", r, p.OC, p.Taps(), formula, vsQA(agrees(qaSepSpeedup, r, 0.5), qaSepSpeedup, r, func(x float64) string { return fmt.Sprintf("×%.0f", x) }), sci(qaFLOPs), sci(qaSepFLOPs), qaFLOPs/qaSepFLOPs),
					Details:  lines, Counterexamples: ces, Figures: nonEmpty(fig, fig2)}
			},
		},
		{
			ID: "s14-separable-timed", Section: 14,
			Quote:      "计算量减少约13倍，适用于移动端部署。",
			Paraphrase: "(Our extension: the Q&A counts compute, not time) the separable version of the example runs faster, by about its count.",
			Extension:  true,
			Check:      "the Q&A's 3→64 3×3 layer on 224×224 timed with im2col-gemm and direct-tiled against optimized.Separable (depthwise-direct then pointwise-gemm), one worker, against the counted ratio",
			Decide: func(c *Context) Result {
				p := qaExample()
				s, _ := conv.NewSeparable(p)
				counts := float64(counted(&p).Taps) / float64(countedSeparable(s).Taps)
				tg, e1 := timeVariant("standard 3×3, 3→64", "im2col-gemm", p)
				td, e2 := timeVariant("standard 3×3, 3→64", "direct-tiled", p)
				ts, e3 := timeSeparable("separable 3×3 dw + 1×1, 3→64", s)
				if err := firstErr(e1, e2, e3); err != nil {
					return Result{Verdict: NotCheckable, Evidence: fmt.Sprintf("timing failed: %v", err)}
				}
				fastest := tg
				if td.Time < tg.Time {
					fastest = td
				}
				best := fastest.Time
				measured := float64(best) / float64(ts.Time)
				// Faster, and by about the count (within 20 %), or faster but
				// by less, or not faster at all.
				v := Refuted
				switch {
				case measured >= 0.8*counts:
					v = Holds
				case measured > 1:
					v = HoldsWithCaveat
				}
				ev := fmt.Sprintf("the Q&A's 224×224 layer, one worker: %s (the Q&A says ×%d)", speedup(measured, counts), qaSepSpeedup)
				return Result{Verdict: v,
					Evidence: ev,
					Details: append([]string{
						fmt.Sprintf("The faster standard variant (%s) takes %s, the separable layer %s: %s. The separable layer runs at %.1f GFLOP/s against %.1f, so each of its MACs takes %.1f times as long, which is what eats the saving: both write the same %.1f MB output (%d×%d×%d floats), and with %d input channels the separable layer does only %.1f MACs per output value to pay for it. The count bounds the gain; it does not forecast it.",
							fastest.Variant, fmtDuration(best), fmtDuration(ts.Time), speedup(measured, counts), ts.GFLOPs(), fastest.GFLOPs(), fastest.GFLOPs()/ts.GFLOPs(), float64(conv.Elems(p.DstShape())*4)/1e6, p.OC, p.O[conv.H], p.O[conv.W], p.IC, float64(macsOf(&s.Depthwise)+macsOf(&s.Pointwise))/float64(conv.Elems(p.DstShape()))),
						"",
					}, c.timingRows(tg, td, ts)...)}
			},
		},
	}
}

func section15() []Claim {
	return []Claim{
		{
			ID: "s15-standard-formula", Section: 15,
			Quote:      "y(i,j) = Σ_m Σ_n x(i+m, j+n) · k(m,n)",
			Paraphrase: "Standard convolution is y(i,j) = Σ x(i+m, j+n)·k(m,n).",
			Check:      "reference.Conv against the formula and against the flipped-kernel (mathematical) convolution on an asymmetric kernel",
			Decide: func(c *Context) Result {
				rng := rand.New(rand.NewPCG(c.Seed, 17))
				p := conv2d(1, 1, 6, 3, 1, 0, 1, 1)
				x, k := ints(rng, 36), []float64{1, 2, 3, 4, 5, 6, 7, 8, 10}
				y := reference.Conv(&p, x, k, nil, nil)
				corr, flip := true, false
				for i := 0; i < 4; i++ {
					for j := 0; j < 4; j++ {
						var s, f float64
						for m := 0; m < 3; m++ {
							for n := 0; n < 3; n++ {
								s += x[(i+m)*6+j+n] * k[m*3+n]
								f += x[(i+m)*6+j+n] * k[(2-m)*3+2-n]
							}
						}
						corr = corr && y[i*4+j] == s
						flip = flip || y[i*4+j] != f
					}
				}
				return Result{Verdict: either(corr && flip, HoldsWithCaveat, Refuted),
					Evidence: "it is cross-correlation, what every framework computes; the mathematical convolution flips the kernel and differs for an asymmetric one",
				}
			},
		},
		{
			ID: "s15-separable-cost", Section: 15,
			Quote:      "标准卷积： D_K × D_K × M × N 深度可分离： D_K × D_K × M + M × N",
			Paraphrase: "Standard conv costs D_K²·M·N, depthwise separable D_K²·M + M·N.",
			Check:      "property SeparableCost (the reference's counted MACs)",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("SeparableCost", "SeparableIsFactoredConv")
				return Result{Verdict: either(ok, HoldsWithCaveat, Refuted),
					Evidence: "per output pixel (× D_F² for the layer); ratio 1/N + 1/D_K²; separable = a dense conv with kernel pw[n,m]·dw[m,k]",
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s15-dilated-params", Section: 15,
			Quote:      "在卷积核元素间插入空洞（间隔），扩大感受野且不增加参数量。",
			Paraphrase: "Dilation enlarges the receptive field without adding parameters.",
			Check:      fmt.Sprintf("paramsOf (with bias) and the dilated extent of nn.Conv2d(%d, %d, kernel_size=3, dilation=2) against dilation=1; property DilationIsInflatedKernel", settings.DilatedC, settings.DilatedC),
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("DilationIsInflatedKernel")
				ch := settings.DilatedC
				a, b := conv2d(ch, ch, 32, 3, 1, 1, 1, 1), conv2d(ch, ch, 32, 3, 1, 2, 2, 1)
				ok = ok && paramsOf(&a, true) == paramsOf(&b, true) && b.ExtK(conv.W) > a.ExtK(conv.W)
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: fmt.Sprintf("%d→%d channels with bias: dilation=2 spans %d×%d with the same %s parameters as dilation=1 (3×3)", ch, ch, extKernel(3, 2), extKernel(3, 2), num(paramsOf(&b, true))),
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s15-deconv-example", Section: 15,
			Quote:      "输入2×2 → 转置卷积（kernel=3, stride=2）→ 输出5×5。",
			Paraphrase: "A 2×2 input through a transposed conv with kernel 3, stride 2 gives 5×5.",
			Check:      "deconvOutSize and the reference's output length",
			Decide: func(c *Context) Result {
				o := deconvOutSize(2, 3, 2, 0, 0, 1)
				p := conv.New(conv.OpDeconv, 2)
				for _, a := range p.Axes() {
					p.I[a], p.K[a], p.S[a] = 2, 3, 2
				}
				_ = p.Resolve()
				y := reference.Deconv(&p, make([]float64, 4), make([]float64, 9), nil, nil)
				return Result{Verdict: either(o == 5 && len(y) == 25, Holds, Refuted),
					Evidence: fmt.Sprintf("s·(i−1)+k = %d; the reference writes %d outputs", o, len(y))}
			},
		},
		{
			ID: "s15-grouped", Section: 15,
			Quote:      "将输入通道分组，每组独立卷积后拼接结果，减少计算量。 … nn.Conv2d(64, 128, kernel_size=3, groups=32)",
			Paraphrase: "Grouped conv convolves channel groups independently and concatenates; nn.Conv2d(64, 128, 3, groups=32).",
			Check:      "property GroupedIsConcat; paramsOf and counted MACs of the example",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("GroupedIsConcat")
				g, d := conv2d(64, 128, 16, 3, 1, 1, 1, 32), conv2d(64, 128, 16, 3, 1, 1, 1, 1)
				ok = ok && counted(&g).Taps*32 == counted(&d).Taps
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: fmt.Sprintf("nn.Conv2d(64, 128, 3, groups=32): %s weights (+128 biases) vs %s dense, and 1/32 of the counted MACs", num(paramsOf(&g, false)), num(paramsOf(&d, false))),
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s15-deform", Section: 15,
			Quote:      "通过偏移量学习动态调整卷积核采样位置，适应不规则形状。",
			Paraphrase: "Deformable conv moves the sampling positions by learned offsets.",
			Check:      "properties DeformZeroOffsets and DeformIntegerShift",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("DeformZeroOffsets", "DeformIntegerShift")
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: "offsets move the samples (zero offsets = standard conv); torchvision's DeformConv2d takes them as an input computed by a separate conv",
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s15-pointwise", Section: 15,
			Quote:      "仅融合通道信息，不改变空间尺寸，用于升维/降维。 … nn.Conv2d(256, 128, kernel_size=1)",
			Paraphrase: "1×1 conv only fuses channels and keeps the spatial size.",
			Check:      fmt.Sprintf("property PointwiseIsMatmul; outSize of a stride-2 1×1 conv on %d×%d; paramsOf of the example", settings.PointwiseSize, settings.PointwiseSize),
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("PointwiseIsMatmul")
				sz := settings.PointwiseSize
				p := conv2d(256, 128, sz, 1, 1, 0, 1, 1)
				s2 := outSize(sz, 1, 2, 0, 0, 1)
				return Result{Verdict: either(ok, HoldsWithCaveat, Refuted),
					Evidence: fmt.Sprintf("at stride 1; a stride-2 1×1 (ResNet's shortcut) maps %d → %d. nn.Conv2d(256, 128, 1) has %s weights (+128 biases)", sz, s2, num(paramsOf(&p, false))),
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s15-dynamic", Section: 15,
			Quote:      "根据输入动态生成卷积核权重，增强模型适应性。",
			Paraphrase: "Dynamic conv generates its kernel from the input.",
			Check:      "properties DynamicMixedKernel, DynamicOneExpert and DynamicLinearInX",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("DynamicMixedKernel", "DynamicOneExpert", "DynamicLinearInX")
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: "per sample it is the standard conv with Σₑ αₑ(x)·wₑ; one expert with α = 1 is the standard conv; it is not linear in x",
					Details:  lines, Counterexamples: ces}
			},
		},
		{
			ID: "s15-empirical", Section: 15,
			Quote:      "DCN（可变形卷积网络）提升COCO数据集目标检测AP 3%~5%。… CondConv在ImageNet分类任务中提升精度1.2%。",
			Paraphrase: "Benchmark gains: DCN +3–5 AP on COCO, CondConv +1.2 % on ImageNet.",
			Check:      "none offline: trained-model results",
			Decide: func(c *Context) Result {
				return Result{Verdict: NotCheckable, Evidence: "results of trained models on datasets; nothing to compute"}
			},
		},
		{
			ID: "s15-squeezenet", Section: 15,
			Quote:      "SqueezeNet通过1×1卷积压缩参数，模型体积减少50倍。",
			Paraphrase: "SqueezeNet's 1×1 convs make the model 50× smaller.",
			Check:      "paramsOf (weights and biases) over the layer lists of SqueezeNet v1.0 (Iandola et al. 2016, Table 1) and AlexNet (Krizhevsky et al. 2012), and of SqueezeNet with its 1×1 expand filters made 3×3",
			Decide: func(c *Context) Result {
				alex, alexFC := paramsOfLayers(alexNetLayers())
				sq, _ := paramsOfLayers(squeezeNetLayers(false))
				sq3, _ := paramsOfLayers(squeezeNetLayers(true))
				r := float64(alex) / float64(sq)
				fifty := r >= 45 && r < 55 // "50×", a round figure
				return Result{Verdict: either(fifty, HoldsWithCaveat, Refuted),
					Evidence: fmt.Sprintf("AlexNet %s params, SqueezeNet %s: ×%.1f; mostly from dropping AlexNet's FC layers (%.0f %% of its weights), not from 1×1 convs", num(alex), num(sq), r, 100*float64(alexFC)/float64(alex)),
					Details: []string{
						fmt.Sprintf("Counted from the layer lists (claims/networks.go), biases included: AlexNet has %s parameters, %s of them in fc6–fc8; SqueezeNet v1.0 has %s (%s), so ×%.1f, the paper's '50×' (at 4 bytes each the model size shrinks by the same factor).", num(alex), num(alexFC), num(sq), paperAgrees(sq), r),
						fmt.Sprintf("The 1×1 convs are only part of it: with every expand filter 3×3 instead of half of them 1×1, SqueezeNet would have %s parameters, still ×%.1f smaller than AlexNet. Most of the reduction comes from having no fully connected layers and from the squeeze layers that cut the channels into each 3×3.", num(sq3), float64(alex)/float64(sq3)),
					}}
			},
		},
	}
}

func section16() []Claim {
	return []Claim{
		{
			ID: "s16-invariance", Section: 16,
			Quote:      "赋予平移不变性 (Translation Invariance)：这是CNN最强大的特性之一！",
			Paraphrase: "Weight sharing gives CNNs translation invariance.",
			Check:      "properties ShiftEquivariance, TranslationInvariance and StridedShiftEquivariance",
			Decide: func(c *Context) Result {
				ok, ces, lines := c.properties("ShiftEquivariance", "TranslationInvariance", "StridedShiftEquivariance")
				return Result{Verdict: either(ok, Refuted, Holds),
					Evidence: "equivariance (conv(shift x) = shift conv(x)) at stride 1, not invariance; at stride > 1 not even that for 1-pixel shifts",
					Details: append([]string{
						"A conv layer's output moves with its input: equivariance. Invariance needs something that forgets position, such as global pooling (see s16-fingerprint), and a stride s breaks even the equivariance for shifts that are not multiples of s.",
					}, lines...), Counterexamples: ces}
			},
		},
		{
			ID: "s16-filter-params", Section: 16,
			Quote:      "一个滤波器只有 Kernel_Width * Kernel_Height * Input_Channels 个参数，无论输入图像有多大。",
			Paraphrase: "A filter has KW·KH·Cin parameters whatever the input size.",
			Check:      fmt.Sprintf("paramsOf of one 3×3 filter on 3 channels at input %d and %d", settings.FilterSmall, settings.FilterLarge),
			Decide: func(c *Context) Result {
				lo, hi := settings.FilterSmall, settings.FilterLarge
				a, b := conv2d(3, 1, lo, 3, 1, 1, 1, 1), conv2d(3, 1, hi, 3, 1, 1, 1, 1)
				ok := paramsOf(&a, false) == paramsOf(&b, false) && paramsOf(&a, false) == 27
				return Result{Verdict: either(ok, Holds, Refuted),
					Evidence: fmt.Sprintf("3×3×3 filter: %d weights at %d×%d and at %d×%d (+1 bias)", paramsOf(&a, false), lo, lo, hi, hi)}
			},
		},
		{
			ID: "s16-local-connectivity", Section: 16,
			Quote:      "极大减少了参数量和计算量，让处理高分辨率图像成为可能。",
			Paraphrase: "Local connectivity greatly reduces parameters and compute.",
			Check:      "as s1-local-connectivity, plus counted MACs against a dense layer's",
			Decide: func(c *Context) Result {
				p := qaExample()
				fc := int64(conv.Elems(p.SrcShape())) * int64(conv.Elems(p.DstShape()))
				m := counted(&p).Taps
				return Result{Verdict: either(m < fc, Holds, Refuted),
					Evidence: fmt.Sprintf("the Q&A's %s layer executes %s MACs; a dense layer between the same activations %s", qaExampleName(), sci(float64(m)), sci(float64(fc)))}
			},
		},
		{
			ID: "s16-fingerprint", Section: 16,
			Quote:      "无论指纹图像在输入时是居中还是稍微偏移，只要脊线模式相同，CNN都能正确识别张三，因为检测关键特征的滤波器在图像任何位置都有效。",
			Paraphrase: "A CNN recognises a fingerprint whether centred or slightly shifted, because filters work at every position.",
			Check:      "global average of conv(x) against conv(shift x) at stride 1 and 2, input with a zero margin",
			Decide: func(c *Context) Result {
				gap := func(s int, shift int) float64 {
					p := conv2d(1, 2, 16, 3, s, 0, 1, 1)
					x := make([]float64, 256)
					for i := 4; i < 10; i++ {
						for j := 4; j < 10; j++ {
							x[i*16+j+shift] = float64((i*7 + j*3) % 5)
						}
					}
					w := ints(rand.New(rand.NewPCG(c.Seed, 23)), 18)
					var sum float64
					for _, v := range reference.Conv(&p, x, w, nil, nil) {
						sum += v
					}
					return sum
				}
				a1, b1, a2, b2 := gap(1, 0), gap(1, 1), gap(2, 0), gap(2, 1)
				inv1, inv2 := a1 == b1, a2 == b2
				says := func(inv bool) string {
					if inv {
						return "leaves it unchanged"
					}
					return "changes it"
				}
				return Result{Verdict: either(inv1 && !inv2, HoldsWithCaveat, Refuted),
					Evidence: fmt.Sprintf("a 1-pixel shift of the input %s under a global pool over a stride-1 conv (%.0f vs %.0f) and %s over a stride-2 conv (%.0f vs %.0f)", says(inv1), a1, b1, says(inv2), a2, b2),
					Details:  []string{"Invariance comes from pooling over positions on top of equivariant layers, and only for shifts that keep the content away from the borders; strided layers make it approximate (Zhang, 'Making convolutional networks shift-invariant again', 2019)."}}
			},
		},
		{
			ID: "s16-applications", Section: 16,
			Quote:      "Tesla的HydraNet。它使用一个大型共享的CNN骨干网络（如ResNet变体）同时处理多个摄像头输入。",
			Paraphrase: "Application claims (HydraNet, Stable Diffusion's U-Net, YOLO, V1→IT analogy).",
			Check:      "none offline",
			Decide: func(c *Context) Result {
				return Result{Verdict: NotCheckable, Evidence: "descriptions of products, architectures and neuroscience; nothing to compute"}
			},
		},
	}
}

// paperAgrees says whether a SqueezeNet count matches its paper's Table 1.
func paperAgrees(n int64) string {
	if n == squeezeNetPaperParams {
		return "as the paper's Table 1 states"
	}
	return fmt.Sprintf("the paper's Table 1 states %s: the layer list is off", num(squeezeNetPaperParams))
}
