package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/convverify/convverify/conv"
)

// description is the resolved problem as describe prints it.
type description struct {
	Descriptor  string         `json:"descriptor"`
	Command     string         `json:"command"`
	Name        string         `json:"name,omitempty"`
	Op          string         `json:"op"`
	Rank        int            `json:"rank"`
	Kinds       []conv.Kind    `json:"kinds"`
	MB          int            `json:"mb"`
	G           int            `json:"g"`
	IC          int            `json:"ic"`
	OC          int            `json:"oc"`
	Axes        []axisDesc     `json:"axes"`
	DG          int            `json:"dg,omitempty"`
	Mask        bool           `json:"mask,omitempty"`
	Experts     int            `json:"experts,omitempty"`
	Routing     string         `json:"routing,omitempty"`
	Temperature float64        `json:"temperature,omitempty"`
	Shapes      map[string]any `json:"shapes"`
	Params      int            `json:"params"`
	ParamsBias  int            `json:"params_with_bias"`
	MACs        int64          `json:"macs"`
	FLOPs       int64          `json:"flops"`
	BenchFLOPs  int64          `json:"benchdnn_flops"`
	ActBytes    int64          `json:"activation_bytes_f32"`
	TotalBytes  int64          `json:"total_bytes_f32"`
	// Dir, Tensors and DirFLOPs are given only for a problem with --dir (or a
	// shape file's --dir= line), so forward output stays as it was.
	Dir      string            `json:"dir,omitempty"`
	Tensors  []conv.TensorSpec `json:"tensors,omitempty"`
	DirFLOPs int64             `json:"dir_flops,omitempty"`
}

type axisDesc struct {
	Axis          string `json:"axis"`
	I             int    `json:"i"`
	O             int    `json:"o"`
	K             int    `json:"k"`
	S             int    `json:"s"`
	PBegin        int    `json:"p_begin"`
	PEnd          int    `json:"p_end"`
	Dilation      int    `json:"dilation"`          // framework convention, 1 = dense
	BenchdnnDil   int    `json:"benchdnn_dilation"` // benchdnn convention, 0 = dense
	OutputPadding int    `json:"output_padding,omitempty"`
}

// describe resolves every count of p. The counts are closed-form, so this is
// instant at any size, and each is exact or refused: a count over int64 is a
// usage error naming it (macs, flops, params, total_bytes, …), never a wrapped
// number. pf.problem has validated p, which checks the counts already; the
// check here keeps describe honest for any caller.
//
// withDir adds the direction, its tensors and its FLOPs even for FWD_B.
func describe(p conv.Problem, withDir bool) (description, error) {
	if err := p.CheckCounts(); err != nil {
		return description{}, usagef("descriptor %q: %v", p.Descriptor(), err)
	}
	d := description{
		Descriptor: p.Descriptor(), Command: "convverify check " + p.Command(), Name: p.DisplayName(), Op: p.Op.String(),
		Rank: p.Rank, Kinds: p.Kinds(), MB: p.MB, G: p.G, IC: p.IC, OC: p.OC,
		Params: p.Params(false), ParamsBias: p.Params(true),
		MACs: p.MACs(), FLOPs: p.FLOPs(), BenchFLOPs: p.BenchdnnFLOPs(),
		ActBytes: p.ActivationBytes(4), TotalBytes: p.TotalBytes(4),
		Shapes: map[string]any{"src": p.SrcShape(), "weights": p.WeightShape(), "bias": p.BiasShape(), "dst": p.DstShape()},
	}
	if p.Dir != conv.DirFwdB || withDir {
		ts, err := p.Tensors()
		if err != nil {
			return description{}, usagef("descriptor %q: %v", p.Descriptor(), err)
		}
		d.Dir, d.Tensors, d.DirFLOPs = p.Dir.String(), ts, p.DirFLOPs()
	}
	for _, a := range p.Axes() {
		ad := axisDesc{Axis: "dhw"[a : a+1], I: p.I[a], O: p.O[a], K: p.K[a], S: p.S[a],
			PBegin: p.PBegin[a], PEnd: p.PEnd[a], Dilation: p.Dil[a], BenchdnnDil: p.BenchdnnDil(a)}
		if p.Op == conv.OpDeconv {
			ad.OutputPadding = p.OutputPadding(a)
		}
		d.Axes = append(d.Axes, ad)
	}
	switch p.Op {
	case conv.OpDeform:
		d.DG, d.Mask = p.DG, p.Mask
		d.Shapes["offset"] = p.OffsetShape()
		if p.Mask {
			d.Shapes["mask"] = p.MaskShape()
		}
	case conv.OpDynamic:
		d.Experts, d.Routing = p.E, p.Routing.String()
		if p.Routing == conv.RoutingSoftmax {
			d.Temperature = p.Temperature
		}
		d.Shapes["route_w"], d.Shapes["route_b"] = p.RouteWShape(), p.RouteBShape()
	}
	return d, nil
}

func cmdDescribe(args []string) error {
	fs := flag.NewFlagSet("describe", flag.ContinueOnError)
	var pf problemFlags
	pf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON (one object per problem)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("describe: want a descriptor or a shape file")
	}
	if err := noEffect(fs, "on describe, which allocates no tensors", "budget"); err != nil {
		return err
	}
	// Resolve everything before printing anything, so bad input never leaves
	// a partial listing. A shape file, or several arguments, is list mode.
	var ds []description
	list := len(pos) > 1
	for _, a := range pos {
		descs, where, err := descriptorsOf(a)
		if err != nil {
			return err
		}
		list = list || where != nil
		if op, err := conv.ParseOp(pf.op); err == nil && where != nil {
			if w := shapeFileOpWarning(a, op); w != "" {
				fmt.Fprintln(stderr, w)
			}
		}
		for i, s := range descs {
			p, err := pf.problem(s)
			var d description
			if err == nil {
				d, err = describe(p, setFlag(fs, "dir"))
			}
			if err != nil {
				if where != nil {
					return usagef("%s: %v", where[i], err)
				}
				return err
			}
			ds = append(ds, d)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if !list {
			enc.SetIndent("", "  ")
		}
		for _, d := range ds {
			if err := enc.Encode(d); err != nil {
				return err
			}
		}
		return nil
	}
	if list {
		for _, d := range ds {
			fmt.Fprintln(stdout, oneLine(d))
		}
		return nil
	}
	printLong(ds[0])
	return nil
}

func oneLine(d description) string {
	if d.Dir != "" {
		return fmt.Sprintf("%s  op=%s dir=%s rank=%d kinds=%s params=%d params_with_bias=%d flops=%d benchdnn_flops=%d dir_flops=%d activation_bytes_f32=%d total_bytes_f32=%d",
			d.Descriptor, d.Op, d.Dir, d.Rank, joinKinds(d.Kinds), d.Params, d.ParamsBias, d.FLOPs, d.BenchFLOPs, d.DirFLOPs, d.ActBytes, d.TotalBytes)
	}
	return fmt.Sprintf("%s  op=%s rank=%d kinds=%s params=%d params_with_bias=%d flops=%d benchdnn_flops=%d activation_bytes_f32=%d total_bytes_f32=%d",
		d.Descriptor, d.Op, d.Rank, joinKinds(d.Kinds), d.Params, d.ParamsBias, d.FLOPs, d.BenchFLOPs, d.ActBytes, d.TotalBytes)
}

func joinKinds(ks []conv.Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

func printLong(d description) {
	w := stdout
	fmt.Fprintf(w, "descriptor   %s\n", d.Descriptor)
	fmt.Fprintf(w, "command      %s\n", d.Command)
	if d.Name != "" {
		fmt.Fprintf(w, "name         %s\n", d.Name)
	}
	fmt.Fprintf(w, "op           %s (%dD; %s)\n", d.Op, d.Rank, joinKinds(d.Kinds))
	fmt.Fprintf(w, "mb %d  g %d  ic %d  oc %d\n", d.MB, d.G, d.IC, d.OC)
	if d.Op == "deform" {
		fmt.Fprintf(w, "offset groups %d  mask %v\n", d.DG, d.Mask)
	}
	if d.Op == "dynamic" {
		fmt.Fprintf(w, "experts %d  routing %s", d.Experts, d.Routing)
		if d.Routing == "softmax" {
			fmt.Fprintf(w, "  temperature %g", d.Temperature)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%-5s %6s %6s %4s %4s %7s %7s %9s %13s", "axis", "in", "out", "k", "s", "p_begin", "p_end", "dilation", "benchdnn_d")
	if d.Op == "deconv" {
		fmt.Fprintf(w, " %14s", "output_padding")
	}
	fmt.Fprintln(w)
	for _, a := range d.Axes {
		fmt.Fprintf(w, "%-5s %6d %6d %4d %4d %7d %7d %9d %13d", a.Axis, a.I, a.O, a.K, a.S, a.PBegin, a.PEnd, a.Dilation, a.BenchdnnDil)
		if d.Op == "deconv" {
			fmt.Fprintf(w, " %14d", a.OutputPadding)
		}
		fmt.Fprintln(w)
	}
	for _, k := range []string{"src", "weights", "bias", "offset", "mask", "route_w", "route_b", "dst"} {
		if s, ok := d.Shapes[k]; ok {
			fmt.Fprintf(w, "%-8s %s\n", k, conv.ShapeString(s.([]int)))
		}
	}
	fmt.Fprintf(w, "params       %d (%d with bias)\n", d.Params, d.ParamsBias)
	fmt.Fprintf(w, "MACs         %d (dense)\n", d.MACs)
	fmt.Fprintf(w, "FLOPs        %d dense, %d benchdnn (taps inside the unpadded input)\n", d.FLOPs, d.BenchFLOPs)
	fmt.Fprintf(w, "memory f32   %d B activations, %d B all tensors\n", d.ActBytes, d.TotalBytes)
	if d.Dir != "" {
		fmt.Fprintf(w, "direction    %s: %d FLOPs (2·MACs; see conv.DirFLOPs for what deform and dynamic leave out)\n", d.Dir, d.DirFLOPs)
		for _, t := range d.Tensors {
			rw := "reads "
			if t.Written {
				rw = "writes"
			}
			fmt.Fprintf(w, "  %s %-9s %s\n", rw, t.Name, conv.ShapeString(t.Shape))
		}
	}
}
