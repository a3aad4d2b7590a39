package bench

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
)

// BestName is the impl= key of the automatic choice: per layer and worker
// count, the variant optimized.Best picks.
const BestName = "best"

// bestImpl times, per layer and worker count, the variant optimized.Best
// picks (one-shot, or through a plan).
type bestImpl struct{ plan bool }

// BestImpls returns the automatic choice as Impls: one-shot (if oneShot)
// and through a plan (if plan). They are not among VariantModes' so that
// the default selection times what it always did; a caller adds them when
// --impl asks for "best" (SelectsBest).
func BestImpls(oneShot, plan bool) []Impl {
	var out []Impl
	if oneShot {
		out = append(out, bestImpl{})
	}
	if plan {
		out = append(out, bestImpl{plan: true})
	}
	return out
}

// SelectsBest reports whether an --impl expression asks for the automatic
// choice: it is not empty (the default times every variant, as before) and
// it matches BestName.
func SelectsBest(implRe string) bool {
	if implRe == "" {
		return false
	}
	re, err := regexp.Compile(implRe)
	return err == nil && re.MatchString(BestName)
}

func (b bestImpl) Name() string { return BestName }

// Mode makes the planned form's benchmarks …/mode=plan, as a variant's.
func (b bestImpl) Mode() string {
	if b.plan {
		return optimized.PlanMode
	}
	return ""
}

func (b bestImpl) Kernel() string { return "per layer (optimized.Best)" }

func (b bestImpl) Supports(p *conv.Problem) error {
	_, err := optimized.Best(p, 1)
	return err
}

func (b bestImpl) Measure(l *Layer, workers int) (Measurement, error) {
	v, err := optimized.Best(&l.Problem, workers)
	if err != nil {
		return Measurement{}, err
	}
	if b.plan {
		return planned{variant{v}}.Measure(l, workers)
	}
	return variant{v}.Measure(l, workers)
}

// BestLayer is one layer's fastest variant of ours at one worker count.
type BestLayer struct {
	Layer   *Layer
	Impl    string  // the label of the fastest; best→NAME for the automatic choice
	Seconds float64 // its median time per run
}

// BestTotal is a network's time at one worker count when each layer runs
// on the fastest of our variants measured for it (peers excluded).
type BestTotal struct {
	Workers   int
	Seconds   float64 // Σ repeat × the fastest median time
	FLOPs     float64 // Σ repeat × FLOPs
	Instances int     // Σ repeat
	Layers    []BestLayer
}

// BestTotals is, per worker count, the network total taking per layer the
// fastest of our measured implementations (by median time; a layer timed
// with one implementation, such as --impl best, takes that one).
func (r *Results) BestTotals() []BestTotal {
	var out []BestTotal
	idx := map[int]int{}
	at := map[[2]int]int{} // (total, layer) → index in Layers
	layerNo := map[*Layer]int{}
	for _, s := range r.Series {
		if s.Pair.Layer == nil || strings.HasPrefix(s.Pair.Impl.Name(), PeerPrefix) {
			continue
		}
		i, ok := idx[s.Workers]
		if !ok {
			i = len(out)
			idx[s.Workers] = i
			out = append(out, BestTotal{Workers: s.Workers})
		}
		t := &out[i]
		ln, ok := layerNo[s.Pair.Layer]
		if !ok {
			ln = len(layerNo)
			layerNo[s.Pair.Layer] = ln
		}
		sec := Median(s.Values("ns/op")) / 1e9
		label := Label(s.Pair.Impl)
		if s.Pair.Impl.Name() == BestName {
			if v, err := optimized.Best(&s.Pair.Layer.Problem, s.Workers); err == nil {
				label = strings.Replace(label, BestName, BestName+"→"+v.Name, 1)
			}
		}
		j, ok := at[[2]int{i, ln}]
		if !ok {
			at[[2]int{i, ln}] = len(t.Layers)
			t.Layers = append(t.Layers, BestLayer{Layer: s.Pair.Layer, Impl: label, Seconds: sec})
			continue
		}
		if sec < t.Layers[j].Seconds {
			t.Layers[j] = BestLayer{Layer: s.Pair.Layer, Impl: label, Seconds: sec}
		}
	}
	for i := range out {
		t := &out[i]
		for _, bl := range t.Layers {
			rep := bl.Layer.Repeat
			t.Seconds += float64(rep) * bl.Seconds
			t.FLOPs += float64(rep) * float64(bl.Layer.Problem.DirFLOPs())
			t.Instances += rep
		}
	}
	return out
}

// writeBestNetwork prints the network total with the fastest of ours per
// layer, then which implementation that was for each layer.
func (r *Results) writeBestNetwork(w io.Writer) {
	totals := r.BestTotals()
	if len(totals) == 0 {
		return
	}
	fmt.Fprintf(w, "\nnetwork total, best of ours per layer (the fastest median per layer × its repeat count *N):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "workers\tms\tGFLOP/s\tlayers\tinstances")
	for _, t := range totals {
		fmt.Fprintf(tw, "%d\t%.3f\t%.2f\t%d\t%d\n", t.Workers, 1e3*t.Seconds, t.FLOPs/t.Seconds/1e9, len(t.Layers), t.Instances)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nbest variant per layer:\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "shape\tworkers\timpl\tms\t×N")
	for _, t := range totals {
		for _, bl := range t.Layers {
			shape := bl.Layer.Shape
			if bl.Layer.Name != "" {
				shape += " " + bl.Layer.Name
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%.3f\t%d\n", shape, t.Workers, bl.Impl, 1e3*bl.Seconds, bl.Layer.Repeat)
		}
	}
	tw.Flush()
}
