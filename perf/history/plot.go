package history

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"golang.org/x/perf/benchmath"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/convverify/convverify/internal/atomicfile"
	"github.com/convverify/convverify/perf"
)

// splitName splits a bench name into its layer (the name without its
// impl= part) and its implementation: one trend plot per layer, one line
// per implementation.
func splitName(name string) (layer, impl string) {
	parts := strings.Split(name, "/")
	var keep []string
	for _, p := range parts {
		if v, ok := strings.CutPrefix(p, "impl="); ok {
			impl = v
			continue
		}
		keep = append(keep, p)
	}
	return strings.Join(keep, "/"), impl
}

// Point is one run's median and confidence interval of one benchmark.
type Point struct {
	Unix          float64 // the run's date, Unix seconds
	Median        float64
	Lo, Hi        float64 // the 95 % interval of the median, clipped to the median where benchmath has none (n < 6)
	ShareOfPeak   float64 // median ÷ the run's FMA probe median of the same worker count; NaN without one
	Commit, Label string
}

// Trend is one benchmark's points over the history, in GFLOP/s.
type Trend struct {
	Name, Layer, Impl string
	Points            []Point
}

// Trends collects, per benchmark other than the probes, its GFLOP/s over
// the runs, in the order of first appearance.
func Trends(runs []Run) []Trend {
	var out []Trend
	idx := map[string]int{}
	th := benchmath.DefaultThresholds
	for _, r := range runs {
		for _, name := range r.Set.Names {
			g := r.Set.Values[name]["GFLOP/s"]
			if perf.IsProbe(name) || len(g) == 0 {
				continue
			}
			i, ok := idx[name]
			if !ok {
				i = len(out)
				idx[name] = i
				layer, impl := splitName(name)
				out = append(out, Trend{Name: name, Layer: layer, Impl: impl})
			}
			s := benchmath.AssumeNothing.Summary(benchmath.NewSample(append([]float64(nil), g...), &th), 0.95)
			lo, hi := s.Lo, s.Hi
			if math.IsInf(lo, 0) || math.IsNaN(lo) {
				lo = s.Center
			}
			if math.IsInf(hi, 0) || math.IsNaN(hi) {
				hi = s.Center
			}
			share := math.NaN()
			if p := perf.PeakOf(r.Set, name); p != "" {
				ps := benchmath.AssumeNothing.Summary(benchmath.NewSample(append([]float64(nil), r.Set.Values[p]["GFLOP/s"]...), &th), 0.95)
				if ps.Center > 0 {
					share = s.Center / ps.Center
				}
			}
			out[i].Points = append(out[i].Points, Point{Unix: float64(r.Date.Unix()), Median: s.Center, Lo: lo, Hi: hi, ShareOfPeak: share, Commit: r.Commit, Label: r.Label()})
		}
	}
	return out
}

// ciXY is a trend's points with their intervals, for plotter.YErrorBars.
type ciXY []Point

func (c ciXY) Len() int                        { return len(c) }
func (c ciXY) XY(i int) (float64, float64)     { return c[i].Unix, c[i].Median }
func (c ciXY) YError(i int) (float64, float64) { return c[i].Median - c[i].Lo, c[i].Hi - c[i].Median }

// Plots draws, per layer, GFLOP/s over time with each run's 95 % interval
// (trend-NN.png) and share of peak over time (share-NN.png) into dir, and
// returns the files with the layer each shows. Every figure is drawn
// before any is written, each written whole (internal/atomicfile).
func Plots(trends []Trend, dir string) (files [][2]string, err error) {
	defer func() {
		if p := recover(); p != nil { // gonum/plot panics on some degenerate input
			err = fmt.Errorf("drawing the trends: %v", p)
		}
	}()
	var layers []string
	byLayer := map[string][]Trend{}
	for _, t := range trends {
		if _, ok := byLayer[t.Layer]; !ok {
			layers = append(layers, t.Layer)
		}
		byLayer[t.Layer] = append(byLayer[t.Layer], t)
	}
	type fig struct {
		name, layer string
		png         []byte
	}
	var figs []fig
	for i, layer := range layers {
		for _, kind := range []string{"trend", "share"} {
			p := plot.New()
			p.Title.Text = layer
			p.X.Label.Text = "run date (UTC)"
			p.X.Tick.Marker = plot.TimeTicks{Format: "01-02\n15:04"}
			if kind == "trend" {
				p.Y.Label.Text = "GFLOP/s (median, 95% CI)"
			} else {
				p.Y.Label.Text = "share of the FMA peak"
			}
			p.Legend.Top = true
			for k, t := range byLayer[layer] {
				pts := ciXY(t.Points)
				var xys plotter.XYs
				for _, pt := range t.Points {
					y := pt.Median
					if kind == "share" {
						if math.IsNaN(pt.ShareOfPeak) {
							continue
						}
						y = pt.ShareOfPeak
					}
					xys = append(xys, plotter.XY{X: pt.Unix, Y: y})
				}
				if len(xys) == 0 {
					continue
				}
				line, points, err := plotter.NewLinePoints(xys)
				if err != nil {
					return nil, err
				}
				c := plotutil.Color(k)
				line.Color, points.Color = c, c
				points.Shape = plotutil.Shape(k)
				p.Add(line, points)
				p.Legend.Add(t.Impl, line, points)
				if kind == "trend" {
					bars, err := plotter.NewYErrorBars(pts)
					if err != nil {
						return nil, err
					}
					bars.Color = c
					p.Add(bars)
				}
			}
			if kind == "share" {
				p.Y.Min = 0
			}
			p.Add(plotter.NewGrid())
			p.BackgroundColor = color.White
			wt, err := p.WriterTo(8*vg.Inch, 4*vg.Inch, "png")
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			if _, err := wt.WriteTo(&buf); err != nil {
				return nil, err
			}
			figs = append(figs, fig{fmt.Sprintf("%s-%02d.png", kind, i+1), layer, buf.Bytes()})
		}
	}
	for _, f := range figs {
		if err := atomicfile.WriteFile(filepath.Join(dir, f.name), f.png); err != nil {
			return files, err
		}
		files = append(files, [2]string{f.name, f.layer})
	}
	return files, nil
}
