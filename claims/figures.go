package claims

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/internal/atomicfile"
	"github.com/convverify/convverify/properties"
	"github.com/convverify/convverify/reference"
)

// grid is a square map for plotter.HeatMap, row 0 at the top.
type grid struct {
	side int
	v    []float64
}

func (g grid) Dims() (c, r int)   { return g.side, g.side }
func (g grid) Z(c, r int) float64 { return g.v[(g.side-1-r)*g.side+c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// figure renders a figure once per context, keeps its PNG for an HTML
// report, writes it under FigDir unless the context keeps figures in memory
// only, and records its caption (what the reader should see in it). It
// returns the file name, or "" when figures are off or rendering failed (the
// error goes to progress and to FigureErr).
func (c *Context) figure(name, caption string, w, h vg.Length, build func(dc draw.Canvas) error) string {
	if c.FigDir == "" {
		return ""
	}
	if err, done := c.figures[name]; done {
		if err != nil {
			return ""
		}
		return name
	}
	c.logf("figure %s", name)
	err := func() error {
		data, err := renderPNG(w, h, build)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		c.figData[name] = data
		c.captions[name] = caption
		if c.FiguresInMemory {
			return nil
		}
		return atomicfile.Write(filepath.Join(c.FigDir, name), func(f io.Writer) error {
			_, err := f.Write(data)
			return err
		})
	}()
	c.figures[name] = err
	if err != nil {
		c.logf("figure %s: %v", name, err)
		return ""
	}
	return name
}

// figDPI is the resolution figures render at.
const figDPI = 110

// renderPNG draws into a w×h canvas and encodes it, before anything is
// written: a figure that fails to draw leaves nothing behind.
func renderPNG(w, h vg.Length, build func(dc draw.Canvas) error) (data []byte, err error) {
	defer func() {
		if p := recover(); p != nil { // gonum/plot panics on some bad input
			err = fmt.Errorf("drawing: %v", p)
		}
	}()
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(figDPI), vgimg.UseBackgroundColor(color.White))
	if err := build(draw.New(img)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// plain draws one plot on the whole canvas.
func plain(p *plot.Plot) func(dc draw.Canvas) error {
	return func(dc draw.Canvas) error { p.Draw(dc); return nil }
}

// FigureErr returns the first error writing a figure, for the CLI.
func (c *Context) FigureErr() error {
	for n, err := range c.figures {
		if err != nil {
			return fmt.Errorf("figure %s: %w", n, err)
		}
	}
	return nil
}

// Caption is the caption recorded for a figure ("" if none was drawn).
func (c *Context) Caption(name string) string { return c.captions[name] }

// FigureData is a drawn figure's PNG (nil if none was drawn).
func (c *Context) FigureData(name string) []byte { return c.figData[name] }

// tickFormat is the one format of every numeric tick label: a plain number
// below a thousand (0.1, 5, 250) and an SI suffix from there (1k, 10k, 1M,
// 100M), never 1e+08 beside 100000.
func tickFormat(v float64) string {
	for _, u := range []struct {
		f float64
		s string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if math.Abs(v) >= u.f {
			return strconv.FormatFloat(v/u.f, 'g', 4, 64) + u.s
		}
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// plainTicks is gonum's default ticker with labels in tickFormat.
type plainTicks struct{}

func (plainTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = tickFormat(ts[i].Value)
		}
	}
	return ts
}

// logTicks labels powers of ten in tickFormat, with unlabelled minor ticks
// at 2…9 times each.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		base := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := float64(m) * base
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 {
				t.Label = tickFormat(v)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// newPlot is a plot with the report's tick format on both axes.
func newPlot() *plot.Plot {
	p := plot.New()
	p.X.Tick.Marker, p.Y.Tick.Marker = plainTicks{}, plainTicks{}
	return p
}

// heatColors is the colour map of every heat map: Moreland's smooth
// blue–red scale, perceptually even, light in the middle, and readable by
// the common forms of colour blindness (blue against red, not red against
// green).
func heatColors(lo, hi float64) palette.ColorMap {
	cm := moreland.SmoothBlueRed()
	cm.SetMin(lo)
	cm.SetMax(hi)
	return cm
}

// heat draws a map with a colour bar to its right; cell labels, when
// asked, are black or white, whichever reads on the cell's colour.
func heat(title, xlabel, ylabel, unit string, g grid, labels bool, extra func(p *plot.Plot) error) (func(dc draw.Canvas) error, error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range g.v {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if hi == lo {
		hi = lo + 1
	}
	cm := heatColors(lo, hi)
	p := newPlot()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	p.Add(plotter.NewHeatMap(g, cm.Palette(256)))
	if labels {
		var xy plotter.XYLabels
		var cols []color.Color
		for r := 0; r < g.side; r++ {
			for c := 0; c < g.side; c++ {
				z := g.Z(c, r)
				xy.XYs = append(xy.XYs, plotter.XY{X: g.X(c), Y: g.Y(r)})
				xy.Labels = append(xy.Labels, fmt.Sprintf("%.0f", z))
				col, _ := cm.At(z)
				cols = append(cols, readableOn(col))
			}
		}
		l, err := plotter.NewLabels(xy)
		if err != nil {
			return nil, err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Color = cols[i]
			l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		}
		p.Add(l)
	}
	if extra != nil {
		if err := extra(p); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Max = -0.5, float64(g.side)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(g.side)-0.5
	bar := plot.New()
	bar.HideX()
	bar.Y.Tick.Marker = plainTicks{}
	bar.Y.Label.Text = unit
	bar.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	bar.Title.Text = " " // the same title height as the map, so the two align
	return func(dc draw.Canvas) error {
		barW := dc.Max.X - dc.Min.X
		barW = barW * 0.16
		p.Draw(draw.Crop(dc, 0, -barW, 0, 0))
		bc := draw.Crop(dc, dc.Max.X-dc.Min.X-barW, 0, 0, 0)
		// Leave room for the map's x axis below and its title above.
		bar.Draw(draw.Crop(bc, 0, 0, vg.Points(40), -vg.Points(8)))
		return nil
	}, nil
}

// readableOn is black or white, whichever contrasts more with c.
func readableOn(c color.Color) color.Color {
	if c == nil {
		return color.Black
	}
	r, g, b, _ := c.RGBA()
	lum := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 0xffff
	if lum > 0.5 {
		return color.Black
	}
	return color.White
}

// The series colours of the line plots: blue, red, green (matplotlib's
// tab10), distinct on screen and in print.
var seriesColors = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 255},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 255},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 255},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 255},
}

// erfWeights says which weights the ERF heat map uses.
const erfWeights = "weights drawn uniformly from (0, 1]"

// ERFFigure draws the effective receptive field of n stacked 3×3 convs with
// random positive weights (the gradient of the centre output, by the
// adjoint) with the theoretical field's border.
func (c *Context) ERFFigure(n int) string {
	f := n*2 + 1
	caption := fmt.Sprintf("Gradient of the centre output of %d stacked 3×3 convs (one channel, %s, seed %d) with respect to each input pixel. The dashed square is the theoretical %d×%d field: the gradient is zero outside it, and most of its mass sits in a bell-shaped core much narrower than the square.", n, erfWeights, c.Seed, f, f)
	return c.figure("erf_heatmap.png", caption, 15*vg.Centimeter, 13*vg.Centimeter, func(dc draw.Canvas) error {
		rng := rand.New(rand.NewPCG(c.Seed, 1))
		const margin = 4
		g, side := properties.ERF(2, 3, margin, properties.RandomPositiveKernels(rng, n, 3, 2))
		draw, err := heat(fmt.Sprintf("ERF of %d stacked 3×3 convs, %s", n, erfWeights), "input x (px)", "input y (px)", "gradient (per unit output)", grid{side, g}, false,
			func(p *plot.Plot) error {
				lo := float64(margin) - 0.5
				ff := float64(f)
				box := plotter.XYs{{X: lo, Y: lo}, {X: lo + ff, Y: lo}, {X: lo + ff, Y: lo + ff}, {X: lo, Y: lo + ff}, {X: lo, Y: lo}}
				l, err := plotter.NewLine(box)
				if err != nil {
					return err
				}
				l.Color = color.Black
				l.Width = vg.Points(1.5)
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				p.Add(l)
				p.Legend.Add(fmt.Sprintf("theoretical field %d×%d", f, f), l)
				p.Legend.Top = true
				return nil
			})
		if err != nil {
			return err
		}
		return draw(dc)
	})
}

// ERFProfileFigure plots the 1D gradient profile of n = 1..maxN layers of
// 3-tap uniform kernels against the field width: spread √n, field n.
func (c *Context) ERFProfileFigure(layers []int) string {
	caption := "Width of the theoretical receptive field (2n + 1 px) and of the effective one (4σ, σ the spread of the gradient) for n stacked 3-tap convs with equal weights. The field grows like n, the effective width like √n, so the effective share of the field shrinks with depth."
	return c.figure("erf_growth.png", caption, 16*vg.Centimeter, 11*vg.Centimeter, func(dc draw.Canvas) error {
		p := newPlot()
		p.Title.Text = "Theoretical field against effective width (3-tap kernels, equal weights)"
		p.X.Label.Text = "stacked layers n"
		var ticks []plot.Tick
		for _, n := range layers {
			ticks = append(ticks, plot.Tick{Value: float64(n), Label: tickFormat(float64(n))})
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.Y.Label.Text = "width (input px)"
		var field, two plotter.XYs
		for _, n := range layers {
			g, _ := properties.ERF(1, 3, 0, properties.UniformKernels(n, 3, 1))
			s, _ := properties.ERFStats(g)
			field = append(field, plotter.XY{X: float64(n), Y: float64(2*n + 1)})
			two = append(two, plotter.XY{X: float64(n), Y: 4 * s})
		}
		if err := addSeries(p, field, seriesColors[0], "theoretical field 2n + 1", false); err != nil {
			return err
		}
		if err := addSeries(p, two, seriesColors[1], "effective width 4σ", true); err != nil {
			return err
		}
		p.Legend.Top, p.Legend.Left = true, true
		p.Draw(dc)
		return nil
	})
}

// addSeries adds a line with points; dashed lines get square points, so
// series differ by more than colour.
func addSeries(p *plot.Plot, xy plotter.XYs, col color.Color, name string, dashed bool) error {
	l, pt, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.Color, pt.Color = col, col
	l.Width = vg.Points(1.5)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		pt.Shape = draw.BoxGlyph{}
	}
	p.Add(l, pt)
	p.Legend.Add(name, l, pt)
	return nil
}

// checkerboardInput is the side of the all-ones input of the checkerboard
// maps.
const checkerboardInput = 6

// CheckerboardFigure draws the overlap count of a 2D stride-s, k×k
// transposed conv on an all-ones input.
func (c *Context) CheckerboardFigure(k, s int) string {
	m, o := properties.OverlapMap(2, k, s, checkerboardInput)
	pattern := "a stride-2 grid of unequal counts in the interior: the checkerboard"
	if k%s == 0 {
		pattern = "equal counts everywhere away from the border: no checkerboard"
	}
	caption := fmt.Sprintf("How many input pixels reach each output pixel of a %d×%d, stride-%d transposed conv: input %d×%d of ones, kernel of ones, output %d×%d. Look for %s (%d×%d kernel, stride %d).",
		k, k, s, checkerboardInput, checkerboardInput, o, o, pattern, k, k, s)
	return c.figure(fmt.Sprintf("checkerboard_k%d_s%d.png", k, s), caption, 15*vg.Centimeter, 13*vg.Centimeter, func(dc draw.Canvas) error {
		draw, err := heat(fmt.Sprintf("Transposed conv %d×%d, stride %d, on a %d×%d input of ones", k, k, s, checkerboardInput, checkerboardInput),
			"output x (px)", "output y (px)", "inputs overlapping (count)", grid{o, m}, true, nil)
		if err != nil {
			return err
		}
		return draw(dc)
	})
}

// RFGrowthFigure plots receptive field against depth for plain, dilated and
// pooled stacks, from conv.ReceptiveField.
func (c *Context) RFGrowthFigure(stacks map[string][]conv.Layer, order []string) string {
	caption := "Receptive field after each layer of three six-layer stacks: plain 3×3 convs grow it by 2 px a layer; doubling dilations and 2×2 pooling make it grow geometrically (pooling through the layers after it)."
	return c.figure("rf_growth.png", caption, 16*vg.Centimeter, 11*vg.Centimeter, func(dc draw.Canvas) error {
		p := newPlot()
		p.Title.Text = "Receptive field per layer"
		p.X.Label.Text = "layer (depth)"
		p.Y.Label.Text = "receptive field (input px)"
		for i, name := range order {
			var xy plotter.XYs
			for l, f := range receptiveField(stacks[name]) {
				xy = append(xy, plotter.XY{X: float64(l + 1), Y: float64(f.Size)})
			}
			if err := addSeries(p, xy, seriesColors[i%len(seriesColors)], name, i == 1); err != nil {
				return err
			}
		}
		p.Legend.Top, p.Legend.Left = true, true
		p.Draw(dc)
		return nil
	})
}

// SeparableFigure plots separable/standard cost against output channels N
// for K = 3, 5, 7: the formula 1/N + 1/K² as lines and the reference's
// counted MACs as points, and marks the Q&A's point (K = 3, N = 64).
func (c *Context) SeparableFigure() string {
	p0 := qaExample()
	n, k2 := p0.OC, p0.Taps()
	trueRatio := 1/float64(n) + 1/float64(k2)
	caption := fmt.Sprintf("Cost of a depthwise separable conv as a fraction of the standard one, against output channels N (both axes logarithmic): lines the formula 1/N + 1/K², circles the MACs the reference counts. The Q&A's layer (K = 3, N = %d) costs 1/%.2f of the standard conv (filled circle), not the 1/%d it claims (cross).", n, 1/trueRatio, qaSepSpeedup)
	return c.figure("separable_cost.png", caption, 16*vg.Centimeter, 12*vg.Centimeter, func(dc draw.Canvas) error {
		p := newPlot()
		p.Title.Text = "Depthwise separable cost / standard cost\n(lines: 1/N + 1/K²; circles: MACs counted by the reference)"
		p.X.Label.Text = "output channels N"
		p.Y.Label.Text = "cost ratio (separable / standard)"
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
		p.X.Max = 1500 // room for the last tick label
		for i, k := range []int{3, 5, 7} {
			var line, pts plotter.XYs
			for n := 1; n <= 1024; n *= 2 {
				line = append(line, plotter.XY{X: float64(n), Y: 1/float64(n) + 1/float64(k*k)})
			}
			for _, n := range []int{1, 4, 16, 64} {
				d := conv.New(conv.OpConv, 2)
				d.IC, d.OC = 4, n
				d.I = [3]int{1, k + 2, k + 2}
				d.K = [3]int{1, k, k}
				if err := d.Resolve(); err != nil {
					return err
				}
				s, err := conv.NewSeparable(d)
				if err != nil {
					return err
				}
				var cd, cs reference.Counter
				x := make([]float64, conv.Elems(d.SrcShape()))
				reference.Conv(&d, x, make([]float64, conv.Elems(d.WeightShape())), nil, &cd)
				reference.Separable(s, x, make([]float64, conv.Elems(s.Depthwise.WeightShape())), nil,
					make([]float64, conv.Elems(s.Pointwise.WeightShape())), nil, &cs)
				pts = append(pts, plotter.XY{X: float64(n), Y: float64(cs.Taps) / float64(cd.Taps)})
			}
			l, err := plotter.NewLine(line)
			if err != nil {
				return err
			}
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return err
			}
			l.Color, sc.Color = seriesColors[i], seriesColors[i]
			l.Width = vg.Points(1.5)
			sc.Radius = vg.Points(3)
			p.Add(l, sc)
			p.Legend.Add(fmt.Sprintf("K = %d", k), l, sc)
		}
		// The Q&A's point: claimed 1/13, true 1/7.89.
		truth, err := plotter.NewScatter(plotter.XYs{{X: float64(n), Y: trueRatio}})
		if err != nil {
			return err
		}
		truth.Shape, truth.Color, truth.Radius = draw.CircleGlyph{}, color.Black, vg.Points(5)
		claimed, err := plotter.NewScatter(plotter.XYs{{X: float64(n), Y: 1 / float64(qaSepSpeedup)}})
		if err != nil {
			return err
		}
		claimed.Shape, claimed.Color, claimed.Radius = draw.CrossGlyph{}, color.Black, vg.Points(7)
		lab, err := plotter.NewLabels(plotter.XYLabels{
			XYs:    []plotter.XY{{X: float64(n) * 1.15, Y: trueRatio}, {X: float64(n) * 1.15, Y: 1 / float64(qaSepSpeedup)}},
			Labels: []string{fmt.Sprintf("true: 1/%.2f", 1/trueRatio), fmt.Sprintf("Q&A: 1/%d", qaSepSpeedup)},
		})
		if err != nil {
			return err
		}
		for i := range lab.TextStyle {
			lab.TextStyle[i].YAlign = draw.YCenter
		}
		p.Add(truth, claimed, lab)
		p.Legend.Add(fmt.Sprintf("Q&A's layer (K = 3, N = %d): true cost", n), truth)
		p.Legend.Add("Q&A's layer: the cost it claims", claimed)
		p.Legend.Top = true
		p.Draw(dc)
		return nil
	})
}

// ensureDir makes the figure directory.
func ensureDir(dir string) error { return os.MkdirAll(dir, 0o755) }

// SeparableLayersFigure plots parameters and MACs of standard against
// depthwise separable versions of a few MobileNet-shaped layers (3×3 kernels,
// 'same' padding), on a log scale, from paramsOf and macsOf.
func (c *Context) SeparableLayersFigure() string {
	type layer struct{ ic, oc, size int }
	layers := []layer{{3, 64, 224}, {32, 64, 112}, {128, 128, 56}, {256, 256, 28}, {512, 512, 14}, {1024, 1024, 7}}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range layers {
		d := conv2d(l.ic, l.oc, l.size, 3, 1, 1, 1, 1)
		s, err := conv.NewSeparable(d)
		if err != nil {
			continue
		}
		r := float64(macsOf(&d)) / float64(macsOf(&s.Depthwise)+macsOf(&s.Pointwise))
		lo, hi = math.Min(lo, r), math.Max(hi, r)
	}
	first, last := layers[0], layers[len(layers)-1]
	caption := fmt.Sprintf("Parameters and MACs of standard (solid) and depthwise separable (dashed) 3×3 layers of MobileNet-like shapes, from the first layer (%d → %d channels on %d×%d) to the last (%d → %d on %d×%d). In every layer the separable version needs %.1f to %.1f times fewer MACs, 1/(1/N + 1/9): the saving depends on the output channels N alone, not on the input channels or the map size.",
		first.ic, first.oc, first.size, first.size, last.ic, last.oc, last.size, last.size, lo, hi)
	return c.figure("separable_layers.png", caption, 16*vg.Centimeter, 12*vg.Centimeter, func(dc draw.Canvas) error {
		p := newPlot()
		p.Title.Text = "Standard against depthwise separable 3×3 conv"
		p.X.Label.Text = "layer: channels in → out, map size (px)"
		p.Y.Label.Text = "count" // short: gonum pads a log axis for half its label above the arithmetic midpoint
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
		var ticks []plot.Tick
		series := map[string]plotter.XYs{}
		names := []string{"params, standard", "params, separable", "MACs, standard", "MACs, separable"}
		for i, l := range layers {
			d := conv2d(l.ic, l.oc, l.size, 3, 1, 1, 1, 1)
			s, err := conv.NewSeparable(d)
			if err != nil {
				return err
			}
			x := float64(i)
			series[names[0]] = append(series[names[0]], plotter.XY{X: x, Y: float64(paramsOf(&d, false))})
			series[names[1]] = append(series[names[1]], plotter.XY{X: x, Y: float64(paramsOf(&s.Depthwise, false) + paramsOf(&s.Pointwise, false))})
			series[names[2]] = append(series[names[2]], plotter.XY{X: x, Y: float64(macsOf(&d))})
			series[names[3]] = append(series[names[3]], plotter.XY{X: x, Y: float64(macsOf(&s.Depthwise) + macsOf(&s.Pointwise))})
			ticks = append(ticks, plot.Tick{Value: x, Label: fmt.Sprintf("%d→%d\n%d×%d", l.ic, l.oc, l.size, l.size)})
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Min, p.X.Max = -0.3, float64(len(layers))-0.7
		for i, n := range names {
			if err := addSeries(p, series[n], seriesColors[i/2], n, i%2 == 1); err != nil {
				return err
			}
		}
		p.Y.Max *= 2         // headroom between the largest count and the title
		p.Legend.Top = false // bottom right, below the large counts of the deep layers
		p.Draw(dc)
		return nil
	})
}
