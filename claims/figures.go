package claims

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

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

// figure writes a plot once per context under FigDir and returns its file
// name, or "" when figures are off or writing failed (the error goes to progress).
func (c *Context) figure(name string, build func() (*plot.Plot, error)) string {
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
		p, err := build()
		if err != nil {
			return err
		}
		w, h := 16*vg.Centimeter, 12*vg.Centimeter
		if strings.HasPrefix(name, "erf_heat") || strings.HasPrefix(name, "checkerboard") {
			w, h = 14*vg.Centimeter, 15*vg.Centimeter
		}
		return savePlot(p, w, h, filepath.Join(c.FigDir, name))
	}()
	c.figures[name] = err
	if err != nil {
		c.logf("figure %s: %v", name, err)
		return ""
	}
	return name
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

func heat(title string, g grid, labels bool) (*plot.Plot, error) {
	p := plot.New()
	cm := moreland.Kindlmann()
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range g.v {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	p.Title.Text = fmt.Sprintf("%s\nblack = %.3g, white = %.3g", title, lo, hi)
	if hi == lo {
		hi = lo + 1
	}
	cm.SetMin(lo)
	cm.SetMax(hi)
	p.Add(plotter.NewHeatMap(g, cm.Palette(64)))
	if labels {
		var xy plotter.XYLabels
		for r := 0; r < g.side; r++ {
			for c := 0; c < g.side; c++ {
				xy.XYs = append(xy.XYs, plotter.XY{X: g.X(c) - 0.15, Y: g.Y(r) - 0.2})
				xy.Labels = append(xy.Labels, fmt.Sprintf("%.0f", g.Z(c, r)))
			}
		}
		l, err := plotter.NewLabels(xy)
		if err != nil {
			return nil, err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Color = color.RGBA{R: 255, G: 60, B: 60, A: 255}
		}
		p.Add(l)
	}
	p.X.Min, p.X.Max = -0.5, float64(g.side)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(g.side)-0.5
	return p, nil
}

// ERFFigure draws the effective receptive field of n stacked 3×3 convs with
// random positive weights (the gradient of the centre output, by the
// adjoint) with the theoretical field's border.
func (c *Context) ERFFigure(n int) string {
	return c.figure("erf_heatmap.png", func() (*plot.Plot, error) {
		rng := rand.New(rand.NewPCG(c.Seed, 1))
		const margin = 4
		g, side := properties.ERF(2, 3, margin, properties.RandomPositiveKernels(rng, n, 3, 2))
		p, err := heat(fmt.Sprintf("gradient of the centre output, %d stacked 3×3 convs (random positive weights)", n), grid{side, g}, false)
		if err != nil {
			return nil, err
		}
		f := float64(n*2 + 1)
		lo := float64(margin) - 0.5
		box := plotter.XYs{{X: lo, Y: lo}, {X: lo + f, Y: lo}, {X: lo + f, Y: lo + f}, {X: lo, Y: lo + f}, {X: lo, Y: lo}}
		l, err := plotter.NewLine(box)
		if err != nil {
			return nil, err
		}
		l.Color = color.RGBA{R: 255, G: 40, B: 40, A: 255}
		l.Width = vg.Points(2)
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		p.Title.Text += fmt.Sprintf("; dashed: theoretical field %d×%d", n*2+1, n*2+1)
		return p, nil
	})
}

// ERFProfileFigure plots the 1D gradient profile of n = 1..maxN layers of
// 3-tap uniform kernels against the field width: spread √n, field n.
func (c *Context) ERFProfileFigure(layers []int) string {
	return c.figure("erf_growth.png", func() (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = "Theoretical field vs ERF spread (3-tap kernels)"
		p.X.Label.Text = "layers n"
		p.Y.Label.Text = "input pixels"
		var field, two plotter.XYs
		for _, n := range layers {
			g, _ := properties.ERF(1, 3, 0, properties.UniformKernels(n, 3, 1))
			s, _ := properties.ERFStats(g)
			field = append(field, plotter.XY{X: float64(n), Y: float64(2*n + 1)})
			two = append(two, plotter.XY{X: float64(n), Y: 4 * s})
		}
		lf, pf, err := plotter.NewLinePoints(field)
		if err != nil {
			return nil, err
		}
		ls, ps, err := plotter.NewLinePoints(two)
		if err != nil {
			return nil, err
		}
		lf.Color, pf.Color = color.RGBA{B: 200, A: 255}, color.RGBA{B: 200, A: 255}
		ls.Color, ps.Color = color.RGBA{R: 200, A: 255}, color.RGBA{R: 200, A: 255}
		p.Add(lf, pf, ls, ps)
		p.Legend.Add("theoretical field 2n+1", lf, pf)
		p.Legend.Add("ERF width 4σ (σ: spread of the gradient)", ls, ps)
		p.Legend.Top, p.Legend.Left = true, true
		return p, nil
	})
}

// CheckerboardFigure draws the overlap count of a 2D stride-s, k×k
// transposed conv on an all-ones input.
func (c *Context) CheckerboardFigure(k, s int) string {
	return c.figure(fmt.Sprintf("checkerboard_k%d_s%d.png", k, s), func() (*plot.Plot, error) {
		m, o := properties.OverlapMap(2, k, s, 6)
		return heat(fmt.Sprintf("transposed conv overlap count, kernel %d, stride %d", k, s), grid{o, m}, true)
	})
}

// RFGrowthFigure plots receptive field against depth for plain, dilated and
// pooled stacks, from conv.ReceptiveField.
func (c *Context) RFGrowthFigure(stacks map[string][]conv.Layer, order []string) string {
	return c.figure("rf_growth.png", func() (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = "Receptive field per layer"
		p.X.Label.Text = "layer"
		p.Y.Label.Text = "receptive field (input pixels)"
		cols := []color.Color{color.RGBA{B: 200, A: 255}, color.RGBA{R: 200, A: 255}, color.RGBA{G: 150, A: 255}}
		for i, name := range order {
			var xy plotter.XYs
			for l, f := range receptiveField(stacks[name]) {
				xy = append(xy, plotter.XY{X: float64(l + 1), Y: float64(f.Size)})
			}
			ln, pt, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, err
			}
			ln.Color, pt.Color = cols[i%3], cols[i%3]
			p.Add(ln, pt)
			p.Legend.Add(name, ln, pt)
		}
		p.Legend.Top, p.Legend.Left = true, true
		return p, nil
	})
}

// SeparableFigure plots separable/standard cost against output channels N
// for K = 3, 5, 7: the formula 1/N + 1/K² as lines and the reference's
// counted MACs as points.
func (c *Context) SeparableFigure() string {
	return c.figure("separable_cost.png", func() (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = "Depthwise separable / standard cost (params and MACs)"
		p.X.Label.Text = "output channels N"
		p.Y.Label.Text = "ratio"
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		cols := []color.Color{color.RGBA{B: 200, A: 255}, color.RGBA{R: 200, A: 255}, color.RGBA{G: 150, A: 255}}
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
				_ = d.Resolve()
				s, _ := conv.NewSeparable(d)
				var cd, cs reference.Counter
				x := make([]float64, conv.Elems(d.SrcShape()))
				reference.Conv(&d, x, make([]float64, conv.Elems(d.WeightShape())), nil, &cd)
				reference.Separable(s, x, make([]float64, conv.Elems(s.Depthwise.WeightShape())), nil,
					make([]float64, conv.Elems(s.Pointwise.WeightShape())), nil, &cs)
				pts = append(pts, plotter.XY{X: float64(n), Y: float64(cs.Taps) / float64(cd.Taps)})
			}
			l, err := plotter.NewLine(line)
			if err != nil {
				return nil, err
			}
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, err
			}
			l.Color, sc.Color = cols[i], cols[i]
			p.Add(l, sc)
			p.Legend.Add(fmt.Sprintf("K=%d: 1/N + 1/K²", k), l)
			p.Legend.Add(fmt.Sprintf("K=%d: counted by the reference", k), sc)
		}
		p.Legend.Top = true
		return p, nil
	})
}

// ensureDir makes the figure directory.
func ensureDir(dir string) error { return os.MkdirAll(dir, 0o755) }

// savePlot renders p in the format its file extension names and writes it
// through atomicfile, not plot.Save: Save truncates the file first and then
// renders into it, so a run killed in between left an empty or half-written
// PNG where the committed figure was. Rendering happens before the temporary
// is even created, so a plot that fails to draw leaves nothing behind.
func savePlot(p *plot.Plot, w, h vg.Length, path string) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	wt, err := p.WriterTo(w, h, format)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, func(f io.Writer) error {
		_, err := wt.WriteTo(f)
		return err
	})
}

// SeparableLayersFigure plots parameters and MACs of standard against
// depthwise separable versions of a few MobileNet-shaped layers (3×3 kernels,
// 'same' padding), on a log scale, from paramsOf and macsOf.
func (c *Context) SeparableLayersFigure() string {
	return c.figure("separable_layers.png", func() (*plot.Plot, error) {
		type layer struct{ ic, oc, size int }
		layers := []layer{{3, 64, 224}, {32, 64, 112}, {128, 128, 56}, {256, 256, 28}, {512, 512, 14}, {1024, 1024, 7}}
		p := plot.New()
		p.Title.Text = "Standard vs depthwise separable 3×3 conv"
		p.Y.Label.Text = "count"
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		var ticks []plot.Tick
		series := map[string]plotter.XYs{}
		names := []string{"params, standard", "params, separable", "MACs, standard", "MACs, separable"}
		for i, l := range layers {
			d := conv2d(l.ic, l.oc, l.size, 3, 1, 1, 1, 1)
			s, err := conv.NewSeparable(d)
			if err != nil {
				return nil, err
			}
			x := float64(i)
			series[names[0]] = append(series[names[0]], plotter.XY{X: x, Y: float64(paramsOf(&d, false))})
			series[names[1]] = append(series[names[1]], plotter.XY{X: x, Y: float64(paramsOf(&s.Depthwise, false) + paramsOf(&s.Pointwise, false))})
			series[names[2]] = append(series[names[2]], plotter.XY{X: x, Y: float64(macsOf(&d))})
			series[names[3]] = append(series[names[3]], plotter.XY{X: x, Y: float64(macsOf(&s.Depthwise) + macsOf(&s.Pointwise))})
			ticks = append(ticks, plot.Tick{Value: x, Label: fmt.Sprintf("%d→%d\n%d²", l.ic, l.oc, l.size)})
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Min, p.X.Max = -0.3, float64(len(layers))-0.7
		cols := []color.Color{color.RGBA{B: 200, A: 255}, color.RGBA{B: 200, A: 255}, color.RGBA{R: 200, A: 255}, color.RGBA{R: 200, A: 255}}
		for i, n := range names {
			l, pts, err := plotter.NewLinePoints(series[n])
			if err != nil {
				return nil, err
			}
			l.Color, pts.Color = cols[i], cols[i]
			if i%2 == 1 {
				l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
				pts.Shape = draw.BoxGlyph{}
			}
			p.Add(l, pts)
			p.Legend.Add(n, l, pts)
		}
		p.Legend.Top = false // bottom right, below the large counts of the deep layers
		return p, nil
	})
}
